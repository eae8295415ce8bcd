// kemu flows: conntrack events and logged drops → one record per connection;
// names, the filter, and the text a person reads.
import { describe, expect, it } from "vitest";
import { AddressBook } from "../../src/observe/address-book.js";
import { parseConntrackLine } from "../../src/observe/flows/conntrack.js";
import type { Flow } from "../../src/observe/flows/model.js";
import { matchesFilter, nameFlow } from "../../src/observe/flows/name.js";
import { parseNflogLine, type LoggedPacket } from "../../src/observe/flows/nflog.js";
import { flowJson, formatTime, renderFlow, renderNotice } from "../../src/observe/flows/render.js";
import { FlowTracker } from "../../src/observe/flows/tracker.js";
import type { Node, Pod, Service } from "../../src/api/types.js";

const ct = (line: string) => parseConntrackLine(line)!;
const drop = (line: string): LoggedPacket => {
  const parsed = parseNflogLine(line);
  if (parsed?.kind !== "packet") throw new Error("not a packet line");
  return parsed.packet;
};

// client 10.244.1.2 on node-1 → Service web 10.96.0.20:80 → endpoint 10.244.2.4:8080 on node-2
const CLIENT_NODE_NEW = "[1000.000]\t[NEW] tcp 6 120 SYN_SENT src=10.244.1.2 dst=10.96.0.20 sport=43512 dport=80 [UNREPLIED] src=10.244.2.4 dst=10.244.1.2 sport=8080 dport=43512 id=11";
const SERVER_NODE_NEW = "[1000.001]\t[NEW] tcp 6 120 SYN_SENT src=10.244.1.2 dst=10.244.2.4 sport=43512 dport=8080 [UNREPLIED] src=10.244.2.4 dst=10.244.1.2 sport=8080 dport=43512 id=22";
const CLIENT_NODE_TIME_WAIT = "[1000.012]\t[UPDATE] tcp 6 120 TIME_WAIT src=10.244.1.2 dst=10.96.0.20 sport=43512 dport=80 src=10.244.2.4 dst=10.244.1.2 sport=8080 dport=43512 [ASSURED] id=11";
const SERVER_NODE_TIME_WAIT = "[1000.012]\t[UPDATE] tcp 6 120 TIME_WAIT src=10.244.1.2 dst=10.244.2.4 sport=43512 dport=8080 src=10.244.2.4 dst=10.244.1.2 sport=8080 dport=43512 [ASSURED] id=22";

describe("FlowTracker", () => {
  it("prints a connection crossing two nodes once: the translating node's view, both nodes listed; then its close with the duration", () => {
    const t = new FlowTracker({ mergeWindowMs: 100 });
    // the server's node happens to be read first
    t.conntrack("node-2", ct(SERVER_NODE_NEW), 5_000);
    t.conntrack("node-1", ct(CLIENT_NODE_NEW), 5_010);
    t.conntrack("node-2", ct(SERVER_NODE_TIME_WAIT), 5_020);
    t.conntrack("node-1", ct(CLIENT_NODE_TIME_WAIT), 5_021);
    expect(t.flush(5_050)).toEqual([]);
    const flows = t.flush(5_100);
    const opened: Flow = {
      time: new Date(1_000_000).toISOString(),
      node: "node-1",
      nodes: ["node-1", "node-2"],
      protocol: "TCP",
      source: { ip: "10.244.1.2", port: 43512 },
      destination: { ip: "10.96.0.20", port: 80 },
      endpoint: { ip: "10.244.2.4", port: 8080 },
      verdict: "forwarded",
      state: "new",
      conntrackId: 11,
    };
    expect(flows).toEqual([opened, { ...opened, time: new Date(1_000_012).toISOString(), state: "closed", durationMs: 12 }]);
    expect(t.flush(6_000)).toEqual([]);
  });

  it("a node whose reader runs late still joins the connection: its NEW is from before the other node's close", () => {
    const t = new FlowTracker({ mergeWindowMs: 100 });
    t.conntrack("node-1", ct(CLIENT_NODE_NEW), 5_000);
    t.conntrack("node-1", ct(CLIENT_NODE_TIME_WAIT), 5_001);
    t.conntrack("node-2", ct(SERVER_NODE_NEW), 5_050);
    t.conntrack("node-2", ct(SERVER_NODE_TIME_WAIT), 5_051);
    const flows = t.flush(5_100);
    expect(flows.map((f) => `${f.state} ${f.nodes.join(",")}`)).toEqual(["new node-1,node-2", "closed node-1,node-2"]);
    // a NEW of the same tuple after the close is a new connection
    t.conntrack("node-2", ct(SERVER_NODE_NEW.replace("[1000.001]", "[1001.000]")), 6_000);
    expect(t.flush(7_000).map((f) => `${f.state} ${f.node}`)).toEqual(["new node-2"]);
  });

  it("a drop on the server's node joins the connection the client's node confirmed; retransmissions only count", () => {
    const t = new FlowTracker({ mergeWindowMs: 100 });
    t.conntrack("node-1", ct(CLIENT_NODE_NEW), 0);
    const syn = "seq=0 time=1000.001 proto=6 src=10.244.1.2 dst=10.244.2.4 sport=43512 dport=8080 flags=S prefix=kemu-drop ingress np x/deny-all";
    t.drop("node-2", drop(syn), 1);
    const [flow, ...rest] = t.flush(100);
    expect(rest).toEqual([]);
    expect(flow).toMatchObject({
      node: "node-1",
      nodes: ["node-1", "node-2"],
      destination: { ip: "10.96.0.20", port: 80 },
      endpoint: { ip: "10.244.2.4", port: 8080 },
      verdict: "dropped",
      policy: { kind: "NetworkPolicy", namespace: "x", name: "deny-all", part: "ingress" },
      dropReason: "ingress np x/deny-all",
      droppedPackets: 1,
    });
    t.drop("node-2", drop(syn.replace("seq=0", "seq=1")), 1_000);
    expect(t.flush(2_000)).toEqual([]);
  });

  it("a drop nobody confirmed is a record of its own; with the conntrack original direction it names what the client addressed", () => {
    const t = new FlowTracker({ mergeWindowMs: 0 });
    t.drop("node-1", drop("time=1000.5 proto=17 src=10.244.1.2 dst=10.244.1.3 sport=5000 dport=53 orig-src=10.244.1.2 orig-sport=5000 orig-dst=10.96.0.10 orig-dport=53 prefix=kemu-drop egress cnp no-dns 0"), 0);
    t.drop("node-1", drop("time=1000.6 proto=6 src=10.244.1.2 dst=10.244.1.3 sport=5001 dport=80 prefix=kemu-drop ingress np y/deny"), 0);
    t.drop("node-1", drop("time=1000.7 proto=6 src=10.244.1.2 dst=10.244.1.3 sport=5002 dport=80 prefix=not ours"), 0);
    expect(t.flush(0)).toEqual([
      {
        time: new Date(1_000_500).toISOString(),
        node: "node-1",
        nodes: ["node-1"],
        protocol: "UDP",
        source: { ip: "10.244.1.2", port: 5000 },
        destination: { ip: "10.96.0.10", port: 53 },
        endpoint: { ip: "10.244.1.3", port: 53 },
        state: "new",
        verdict: "dropped",
        policy: { kind: "ClusterNetworkPolicy", name: "no-dns", part: "egress rule 0" },
        dropReason: "egress cnp no-dns 0",
        droppedPackets: 1,
      },
      {
        time: new Date(1_000_600).toISOString(),
        node: "node-1",
        nodes: ["node-1"],
        protocol: "TCP",
        source: { ip: "10.244.1.2", port: 5001 },
        destination: { ip: "10.244.1.3", port: 80 },
        state: "new",
        verdict: "dropped",
        policy: { kind: "NetworkPolicy", namespace: "y", name: "deny", part: "ingress" },
        dropReason: "ingress np y/deny",
        droppedPackets: 1,
      },
    ]);
  });

  it("records masquerade, closes UDP on DESTROY with bytes, and lists a table as established / new (unanswered) / closed", () => {
    const t = new FlowTracker({ mergeWindowMs: 0 });
    t.conntrack("node-1", ct("[10.0]\t[NEW] udp 17 30 src=172.18.0.9 dst=172.18.0.2 sport=4000 dport=30053 [UNREPLIED] src=10.244.2.3 dst=172.18.0.2 sport=53 dport=61000 id=5"), 0);
    t.conntrack("node-1", ct("[42.0]\t[DESTROY] udp 17 src=172.18.0.9 dst=172.18.0.2 sport=4000 dport=30053 packets=1 bytes=60 src=10.244.2.3 dst=172.18.0.2 sport=53 dport=61000 packets=1 bytes=120 id=5"), 1);
    const [opened, closed] = t.flush(1);
    expect(opened).toMatchObject({ masqueradedAs: { ip: "172.18.0.2", port: 61000 }, endpoint: { ip: "10.244.2.3", port: 53 }, state: "new" });
    expect(closed).toMatchObject({ state: "closed", durationMs: 32_000, bytes: { sent: 60, received: 120 } });

    const listed = new FlowTracker();
    listed.conntrack("node-1", ct("tcp 6 431999 ESTABLISHED src=10.244.1.2 dst=10.244.1.3 sport=1 dport=80 src=10.244.1.3 dst=10.244.1.2 sport=80 dport=1 [ASSURED] mark=0 use=1 id=1"), 0);
    listed.conntrack("node-1", ct("tcp 6 119 SYN_SENT src=10.244.1.2 dst=10.244.1.3 sport=2 dport=80 [UNREPLIED] src=10.244.1.3 dst=10.244.1.2 sport=80 dport=2 mark=0 use=1 id=2"), 0);
    listed.conntrack("node-1", ct("tcp 6 100 TIME_WAIT src=10.244.1.2 dst=10.244.1.3 sport=3 dport=80 src=10.244.1.3 dst=10.244.1.2 sport=80 dport=3 [ASSURED] mark=0 use=1 id=3"), 0);
    expect(listed.flush(0, true).map((f) => f.state)).toEqual(["established", "new", "closed"]);
  });

  it("a tuple reused after its close (or reported twice by one node) is a new connection, not a merge", () => {
    const t = new FlowTracker({ mergeWindowMs: 0 });
    t.conntrack("node-1", ct(CLIENT_NODE_NEW), 0);
    t.conntrack("node-1", ct(CLIENT_NODE_TIME_WAIT), 1);
    t.conntrack("node-1", ct(CLIENT_NODE_NEW.replace("[1000.000]", "[1001.000]").replace("id=11", "id=12")), 2);
    expect(t.flush(2).map((f) => [f.state, f.conntrackId])).toEqual([
      ["new", 11],
      ["closed", 11],
      ["new", 12],
    ]);
  });

  it("forgets the oldest connection beyond its limit", () => {
    const t = new FlowTracker({ mergeWindowMs: 0, maxTracked: 2 });
    for (const port of [1, 2, 3]) t.conntrack("node-1", ct(`[1.0]\t[NEW] udp 17 30 src=10.0.0.1 dst=10.0.0.2 sport=${port} dport=53 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=53 dport=${port} id=${port}`), 0);
    expect(t.size).toBe(2);
    expect(t.flush(0).map((f) => f.source.port)).toEqual([2, 3]);
  });
});

const book = new AddressBook({
  pods: [
    { metadata: { namespace: "default", name: "client" }, spec: { nodeName: "node-1", containers: [] }, status: { podIP: "10.244.1.2" } },
    { metadata: { namespace: "default", name: "web-7d4" }, spec: { nodeName: "node-2", containers: [] }, status: { podIP: "10.244.2.4" } },
  ] as Pod[],
  services: [{ metadata: { namespace: "default", name: "web" }, spec: { clusterIP: "10.96.0.20", ports: [] } }] as unknown as Service[],
  nodes: [{ metadata: { name: "node-1" }, status: { addresses: [{ type: "InternalIP", address: "172.18.0.2" }] } }] as Node[],
});

const forwarded: Flow = {
  time: "2026-12-07T23:10:01.123Z",
  node: "node-1",
  nodes: ["node-1", "node-2"],
  protocol: "TCP",
  source: { ip: "10.244.1.2", port: 43512 },
  destination: { ip: "10.96.0.20", port: 80 },
  endpoint: { ip: "10.244.2.4", port: 8080 },
  verdict: "forwarded",
  state: "new",
};

describe("names, filter, text", () => {
  it("names pods (with their node), Services and nodes; leaves unknown addresses bare", () => {
    const named = nameFlow({ ...forwarded, masqueradedAs: { ip: "172.18.0.2", port: 6000 } }, book);
    expect(named.source).toEqual({ ip: "10.244.1.2", port: 43512, name: "default/client", kind: "pod", node: "node-1" });
    expect(named.destination).toEqual({ ip: "10.96.0.20", port: 80, name: "default/web", kind: "service" });
    expect(named.endpoint).toEqual({ ip: "10.244.2.4", port: 8080, name: "default/web-7d4", kind: "pod", node: "node-2" });
    expect(nameFlow({ ...forwarded, source: { ip: "192.0.2.1", port: 1 } }, book).source).toEqual({ ip: "192.0.2.1", port: 1 });
  });

  it("prints one line: time, nodes, source -> Service => endpoint (its node), protocol, verdict; drops with their policy; closes with duration and bytes", () => {
    const named = nameFlow(forwarded, book);
    expect(renderFlow(named, { utc: true })).toBe("Dec  7 23:10:01.123  node-1,node-2  default/client:43512 -> default/web:80 (Service) => default/web-7d4:8080 (node-2)  TCP  FORWARDED");
    const dropped: Flow = { ...named, verdict: "dropped", policy: { kind: "NetworkPolicy", namespace: "x", name: "deny-all", part: "ingress" }, droppedPackets: 3 };
    expect(renderFlow(dropped, { utc: true })).toBe("Dec  7 23:10:01.123  node-1,node-2  default/client:43512 -> default/web:80 (Service) => default/web-7d4:8080 (node-2)  TCP  DROPPED by NetworkPolicy x/deny-all (ingress) (3 packets)");
    const direct = nameFlow({ ...forwarded, nodes: ["node-1"], destination: { ip: "10.244.2.4", port: 8080 }, endpoint: undefined, state: "closed", durationMs: 1500, bytes: { sent: 80, received: 2048 }, masqueradedAs: { ip: "172.18.0.2", port: 7 } }, book);
    expect(renderFlow(direct, { utc: true })).toBe("Dec  7 23:10:01.123  node-1  default/client:43512 [masqueraded as 172.18.0.2:7] -> default/web-7d4:8080 (node-2)  TCP  FORWARDED  closed after 1.5s, 80B sent, 2.0kB received");
    const fromNode = nameFlow({ ...forwarded, source: { ip: "172.18.0.2", port: 5 }, endpoint: undefined, destination: { ip: "10.244.1.2", port: 8181 }, state: "established" }, book);
    expect(renderFlow(fromNode, { utc: true })).toBe("Dec  7 23:10:01.123  node-1,node-2  node-1:5 (172.18.0.2) -> default/client:8181 (node-1)  TCP  FORWARDED  established");
    expect(formatTime("2026-01-15T01:02:03.004Z", { utc: true })).toBe("Jan 15 01:02:03.004");
    expect(renderNotice({ time: "2026-12-07T23:10:01.123Z", node: "node-2", kind: "lost", source: "nflog", count: 4, message: "the kernel dropped log messages" }, { utc: true })).toBe(
      "Dec  7 23:10:01.123  node-2  4 nflog events lost: the kernel dropped log messages",
    );
    expect(JSON.parse(flowJson(named))).toEqual({ flow: named });
  });

  it("filters: -n either end (Services count), --pod a name prefix at either end, --verdict, --node", () => {
    const named = nameFlow(forwarded, book);
    expect(matchesFilter(named, { namespace: "default" })).toBe(true);
    expect(matchesFilter(named, { namespace: "x" })).toBe(false);
    expect(matchesFilter(named, { pod: "web" })).toBe(true);
    expect(matchesFilter(named, { pod: "default/cli" })).toBe(true);
    expect(matchesFilter(named, { pod: "cli", namespace: "x" })).toBe(false);
    expect(matchesFilter(named, { pod: "nginx" })).toBe(false);
    expect(matchesFilter(named, { verdict: "dropped" })).toBe(false);
    expect(matchesFilter(named, { verdict: "forwarded", node: "node-2" })).toBe(true);
    expect(matchesFilter(named, { node: "node-3" })).toBe(false);
  });
});
