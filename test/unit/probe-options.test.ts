// kemu probe's command line and the probe's pure planning: each bad flag is
// named with what was expected; the default tables come from containerPorts;
// the prober's answer is read strictly.
import { describe, expect, it } from "vitest";
import { checkProbeOptions, parseProbeCommand, type ProbeFlags } from "../../src/probe/options.js";
import { choosePortProtocols, declaredPorts, planJobs, type MatrixEnd } from "../../src/probe/model.js";
import { parseProberOutput, proberArgv, serverArgv } from "../../src/probe/prober.js";
import type { Pod } from "../../src/api/types.js";
import { describeFailure } from "../../src/cli/output.js";

const parse = (flags: ProbeFlags, args: string[] = []) => parseProbeCommand(args, flags);

describe("kemu probe flags", () => {
  it("read lists, protocols in any case, durations and outputs", () => {
    expect(parse({ namespace: "x, y,x", port: "80,81", protocol: "tcp,UDP", timeout: "500ms", toServices: true, output: "json" })).toEqual({
      kind: "matrix",
      options: { namespaces: ["x", "y"], ports: [80, 81], protocols: ["TCP", "UDP"], timeoutMs: 500, toServices: true },
      output: "json",
    });
    expect(parse({ allNamespaces: true, expect: "e.json", loopback: true })).toEqual({ kind: "matrix", options: { allNamespaces: true, loopback: true }, output: "table", expectFile: "e.json" });
  });

  it("read --explain FROM TO, bare names in the one namespace given", () => {
    expect(parse({ explain: true, port: "80" }, ["x/a", "y/b"])).toEqual({ kind: "explain", from: "x/a", to: "y/b", options: { ports: [80] }, output: "table" });
    expect(parse({ explain: true, namespace: "x" }, ["a", "b"])).toMatchObject({ from: "x/a", to: "x/b" });
    expect(parse({ explain: true }, ["a", "outside"])).toMatchObject({ from: "default/a", to: "outside" });
    expect(parse({ explain: true }, ["x/a", "172.18.0.2"])).toMatchObject({ to: "172.18.0.2" });
  });

  it.each<[ProbeFlags, string[], string]>([
    [{ port: "80,http" }, [], '--port: invalid port "http": expected a number from 1 to 65535'],
    [{ port: "0" }, [], '--port: invalid port "0": expected a number from 1 to 65535'],
    [{ port: "65536" }, [], '--port: invalid port "65536": expected a number from 1 to 65535'],
    [{ port: "," }, [], "--port: expected port numbers separated by commas, e.g. --port 80,81"],
    [{ protocol: "TCP,ICMP" }, [], '--protocol: unknown protocol "ICMP": expected TCP, UDP or SCTP'],
    [{ protocol: "" }, [], "--protocol: expected protocols separated by commas, e.g. --protocol TCP,UDP"],
    [{ namespace: "X_y" }, [], '-n: invalid namespace "X_y": expected a DNS label (lower-case letters, digits and \'-\', at most 63)'],
    [{ namespace: "x", allNamespaces: true }, [], "-A and -n cannot be used together: -A probes every namespace except kube-system and kemu-system, -n only those named"],
    [{ timeout: "soon" }, [], '--timeout: invalid duration "soon": use e.g. 30s, 2m, 500ms'],
    [{ timeout: "5ms" }, [], '--timeout: must be between 10ms and 60s, got "5ms"'],
    [{ timeout: "2m" }, [], '--timeout: must be between 10ms and 60s, got "2m"'],
    [{ output: "yaml" }, [], '-o: unknown output format "yaml": expected one of table, wide, json'],
    [{ expect: "e.json", compare: true }, [], "--expect and --compare cannot be used together: each gives the expected values (a file, or the cluster's policies)"],
    [{ expect: " " }, [], "--expect: expected a file name"],
    [{}, ["x/a"], 'unexpected argument "x/a": kemu probe takes flags only; to explain one connection, use --explain FROM TO'],
    [{ explain: true }, ["x/a"], '--explain: expected two pods, FROM and TO (ns/name), e.g. kemu probe --explain x/a y/b --port 80; got "x/a"'],
    [{ explain: true }, [], "--explain: expected two pods, FROM and TO (ns/name), e.g. kemu probe --explain x/a y/b --port 80; got none"],
    [{ explain: true }, ["x/a/b", "y/b"], '--explain: FROM "x/a/b": expected a pod as ns/name (or name, in default)'],
    [{ explain: true }, ["x/a", "svc:y/web"], '--explain: TO "svc:y/web": give the pod behind the Service: NetworkPolicy judges Service traffic after DNAT, against the pod it reaches'],
    [{ explain: true, port: "80,81" }, ["x/a", "y/b"], "--explain: give at most one --port and one --protocol (without them, every port the target pod declares is explained)"],
    [{ explain: true, compare: true }, ["x/a", "y/b"], "--compare cannot be used with --explain, which looks at one connection"],
    [{ explain: true, expect: "f" }, ["x/a", "y/b"], "--expect cannot be used with --explain, which looks at one connection"],
    [{ explain: true, output: "wide" }, ["x/a", "y/b"], "-o wide: --explain prints table (the default) or json"],
  ])("refuse %j %j", (flags, args, message) => {
    let caught: unknown;
    try {
      parse(flags, args);
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).message).toBe(message);
    // One line for the user, no stack, no "looks like a bug".
    expect(describeFailure(caught, false)).toBe(`error: ${message}\n`);
  });

  it("check the library's options by their field names", () => {
    expect(() => checkProbeOptions({ ports: [80.5] })).toThrow("probe: ports: invalid port 80.5: expected a number from 1 to 65535");
    expect(() => checkProbeOptions({ protocols: ["tcp" as "TCP"] })).toThrow('probe: protocols: unknown protocol "tcp": expected TCP, UDP or SCTP');
    expect(() => checkProbeOptions({ namespaces: [] })).toThrow("probe: namespaces: expected a non-empty list of namespace names");
    expect(() => checkProbeOptions({ namespaces: ["x"], allNamespaces: true })).toThrow("probe: namespaces and allNamespaces cannot be used together");
    expect(() => checkProbeOptions({ timeoutMs: 0 })).toThrow("probe: timeoutMs: must be between 10ms and 60s, got 0");
    expect(() => checkProbeOptions({ ports: [80], protocols: ["UDP"], timeoutMs: 300 })).not.toThrow();
  });
});

describe("the tables to probe", () => {
  const declared = [
    { port: 81, protocol: "UDP" as const },
    { port: 80, protocol: "TCP" as const },
    { port: 80, protocol: "UDP" as const },
    { port: 80, protocol: "TCP" as const },
  ];
  it("default to every declared port/protocol, sorted and unique", () => {
    expect(choosePortProtocols({}, declared)).toEqual([
      { port: 80, protocol: "TCP" },
      { port: 80, protocol: "UDP" },
      { port: 81, protocol: "UDP" },
    ]);
  });
  it("--port alone: the declared protocols of those ports, TCP for a port nobody declares", () => {
    expect(choosePortProtocols({ ports: [81, 9000] }, declared)).toEqual([
      { port: 81, protocol: "UDP" },
      { port: 9000, protocol: "TCP" },
    ]);
  });
  it("--protocol alone: the declared ports of those protocols; both: every combination", () => {
    expect(choosePortProtocols({ protocols: ["UDP"] }, declared)).toEqual([
      { port: 80, protocol: "UDP" },
      { port: 81, protocol: "UDP" },
    ]);
    expect(choosePortProtocols({ protocols: ["SCTP"] }, declared)).toEqual([]);
    expect(choosePortProtocols({ ports: [81, 80], protocols: ["SCTP", "TCP"] }, [])).toEqual([
      { port: 80, protocol: "TCP" },
      { port: 80, protocol: "SCTP" },
      { port: 81, protocol: "TCP" },
      { port: 81, protocol: "SCTP" },
    ]);
  });
  it("declared ports come from containers and sidecars, TCP by default", () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "a" },
      spec: {
        initContainers: [
          { name: "init", ports: [{ containerPort: 9 }] },
          { name: "sidecar", restartPolicy: "Always", ports: [{ containerPort: 53, protocol: "UDP" }] },
        ],
        containers: [{ name: "c", ports: [{ containerPort: 80 }, { containerPort: 132, protocol: "SCTP" }] }, { name: "d" }],
      },
    } as unknown as Pod;
    expect(declaredPorts(pod)).toEqual([
      { port: 53, protocol: "UDP" },
      { port: 80, protocol: "TCP" },
      { port: 132, protocol: "SCTP" },
    ]);
  });
  it("plan a job per source, target and table, Services only on their own ports", () => {
    const a: MatrixEnd = { key: "x/a", kind: "pod", ip: "10.244.1.2" };
    const svc: MatrixEnd = { key: "svc:x/web", kind: "service", ip: "10.96.0.9" };
    const jobs = planJobs([a], [a, svc], [{ port: 80, protocol: "TCP" }, { port: 81, protocol: "TCP" }], (t, pp) => t.kind === "pod" || pp.port === 80);
    expect(jobs).toEqual([
      { from: "x/a", to: "x/a", port: 80, protocol: "TCP", address: "10.244.1.2" },
      { from: "x/a", to: "svc:x/web", port: 80, protocol: "TCP", address: "10.96.0.9" },
      { from: "x/a", to: "x/a", port: 81, protocol: "TCP", address: "10.244.1.2" },
    ]);
  });
});

describe("the prober's wire format (netns/kemu-probe.c)", () => {
  const jobs = [
    { from: "x/a", to: "x/b", port: 80, protocol: "TCP" as const, address: "10.244.2.2" },
    { from: "x/a", to: "x/b", port: 81, protocol: "UDP" as const, address: "10.244.2.2" },
    { from: "x/a", to: "x/b", port: 80, protocol: "SCTP" as const, address: "10.244.2.2" },
    { from: "x/a", to: "outside", port: 80, protocol: "TCP" as const, address: "172.18.0.1" },
  ];
  it("asks for every target of one source in one argv", () => {
    expect(proberArgv("/k/kemu-probe", "/run/netns/p", 1000, jobs)).toEqual([
      "/k/kemu-probe", "--netns", "/run/netns/p", "--timeout-ms", "1000", "--",
      "tcp:10.244.2.2:80", "udp:10.244.2.2:81", "sctp:10.244.2.2:80", "tcp:172.18.0.1:80",
    ]);
    expect(serverArgv("/k/kemu-probe", "/run/netns/o", [{ port: 80, protocol: "TCP" }, { port: 81, protocol: "UDP" }])).toEqual(["/k/kemu-probe", "--netns", "/run/netns/o", "--serve", "--", "tcp:80", "udp:81"]);
  });
  it("reads one verdict per line, in order", () => {
    const out = "tcp 10.244.2.2 80 ok\nudp 10.244.2.2 81 blocked refused\nsctp 10.244.2.2 80 unsupported\ntcp 172.18.0.1 80 blocked error Permission denied\n";
    expect(parseProberOutput(out, jobs)).toEqual(["ok", "refused", "unsupported", "error Permission denied"]);
  });
  it("refuses an answer that does not fit the question", () => {
    expect(() => parseProberOutput("tcp 10.244.2.2 80 ok\n", jobs)).toThrow("kemu-probe answered 1 lines for 4 targets");
    expect(() => parseProberOutput("tcp 10.244.2.2 80 ok\nudp 10.244.2.2 82 ok\nsctp 10.244.2.2 80 ok\ntcp 172.18.0.1 80 ok\n", jobs)).toThrow('kemu-probe: unexpected line "udp 10.244.2.2 82 ok" for udp 10.244.2.2 81');
    expect(() => parseProberOutput("tcp 10.244.2.2 80 ok\nudp 10.244.2.2 81 blocked maybe\nsctp 10.244.2.2 80 ok\ntcp 172.18.0.1 80 ok\n", jobs)).toThrow(/unexpected line "udp 10.244.2.2 81 blocked maybe"/);
  });
});
