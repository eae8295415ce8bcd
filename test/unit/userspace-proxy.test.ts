// The userspace proxier (kube-proxy's old userspace mode) on 127.0.0.1: no
// root needed. Backends are small TCP/UDP echo servers that answer with their
// own name.
import dgram from "node:dgram";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_AFFINITY_TIMEOUT_SECONDS, RoundRobinBalancer } from "../../src/agent/proxy/userspace/loadbalancer.js";
import { ENDPOINT_DIAL_TIMEOUTS_MS, openProxySocket, UDP_BUFFER_BYTES } from "../../src/agent/proxy/userspace/proxysocket.js";
import { portalJumpRules, renderPortalRules, UserspaceProxier, type ServicePortState } from "../../src/agent/proxy/userspace/proxier.js";
import { servicePortKey, type EndpointInfo, type ServicePortInfo } from "../../src/agent/proxy/model.js";
import { readyEndpoint, servicePort as defaultServicePort } from "../support/fixtures.js";

const LOCAL = "127.0.0.1";
/** Fisher-Yates with j = i every time: the shuffle keeps the given order. */
const keepOrder = () => 0.999999;

// ---------------------------------------------------------------- helpers

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

interface TcpBackend {
  name: string;
  port: number;
  endpoint: string;
  accepted: number;
  close(): Promise<void>;
}

/**
 * Answers every chunk with "name|chunk"; when the client ends its side,
 * answers "name|end" (after `delayEndMs`) and ends its own.
 */
async function tcpBackend(name: string, delayEndMs = 0): Promise<TcpBackend> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    b.accepted++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.on("data", (d) => s.write(`${name}|${d.toString()}`));
    s.on("end", () => setTimeout(() => s.end(`${name}|end`), delayEndMs));
  });
  await new Promise<void>((resolve) => server.listen(0, LOCAL, resolve));
  const port = (server.address() as net.AddressInfo).port;
  const b: TcpBackend = {
    name,
    port,
    endpoint: `${LOCAL}:${port}`,
    accepted: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  cleanups.push(() => b.close());
  return b;
}

interface UdpBackend {
  name: string;
  endpoint: string;
  received: Buffer[];
}

async function udpBackend(name: string): Promise<UdpBackend> {
  const sock = dgram.createSocket("udp4");
  const b: UdpBackend = { name, endpoint: "", received: [] };
  sock.on("message", (msg, rinfo) => {
    b.received.push(msg);
    sock.send(`${name}|${msg.length > 32 ? `${msg.length} bytes` : msg.toString()}`, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => sock.bind(0, LOCAL, resolve));
  b.endpoint = `${LOCAL}:${sock.address().port}`;
  cleanups.push(() => new Promise<void>((resolve) => sock.close(() => resolve())));
  return b;
}

/** A port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, LOCAL, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Connects, half-closes at once, and returns everything received until the proxy closes. */
function ask(port: number, message?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: LOCAL, port, allowHalfOpen: true });
    let got = "";
    s.on("connect", () => (message === undefined ? s.end() : s.end(message)));
    s.on("data", (d) => (got += d.toString()));
    s.on("end", () => resolve(got));
    s.on("error", reject);
  });
}

/** Connects, sends, and expects the proxy to close without a reply: a FIN, or a reset when our bytes were never read. */
async function closedWithoutReply(port: number, message: string): Promise<boolean> {
  try {
    return (await ask(port, message)) === "";
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ECONNRESET";
  }
}

/** The backend name in a reply "name|end". */
async function whoAnswers(port: number): Promise<string> {
  return (await ask(port)).split("|")[0]!;
}

/** An open connection we can talk over line by line. */
async function openConn(port: number): Promise<{ say(msg: string): Promise<string>; socket: net.Socket }> {
  const socket = net.connect({ host: LOCAL, port });
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  cleanups.push(() => void socket.destroy());
  return {
    socket,
    say: (msg) =>
      new Promise((resolve) => {
        socket.once("data", (d) => resolve(d.toString()));
        socket.write(msg);
      }),
  };
}

function udpClient(): { send(port: number, msg: string | Buffer, waitMs?: number): Promise<{ text: string; from: number }>; socket: dgram.Socket } {
  const socket = dgram.createSocket("udp4");
  cleanups.push(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return {
    socket,
    send: (port, msg, waitMs = 2000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no UDP reply")), waitMs);
        socket.once("message", (m, rinfo) => {
          clearTimeout(timer);
          resolve({ text: m.toString(), from: rinfo.port });
        });
        socket.send(msg, port, LOCAL);
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until fn() returns `want` (sockets close a moment after the peer sees the end). */
async function eventually<T>(fn: () => T, want: T, timeoutMs = 2000): Promise<T> {
  const until = Date.now() + timeoutMs;
  while (fn() !== want && Date.now() < until) await sleep(10);
  return fn();
}

// This file's Services live on 10.96.0.20; endpoints are written "ip:port".
const servicePort = (o: Partial<ServicePortInfo> = {}) => defaultServicePort({ clusterIP: "10.96.0.20", ...o });

function endpoint(ep: string, o: Partial<EndpointInfo> = {}): EndpointInfo {
  const [ip, port] = ep.split(":");
  return readyEndpoint(ip!, { port: Number(port), ...o });
}

function proxier(o: Partial<ConstructorParameters<typeof UserspaceProxier>[0]> = {}): UserspaceProxier {
  const p = new UserspaceProxier({ nodeIP: "172.18.0.2", gatewayIP: "10.244.1.1", listenHost: LOCAL, random: keepOrder, log: () => undefined, ...o });
  cleanups.push(() => p.close());
  return p;
}

const state = (port: ServicePortInfo, eps: string[]): ServicePortState => ({ port, endpoints: eps.map((e) => endpoint(e)) });

// ---------------------------------------------------------------- balancer

describe("round-robin balancer", () => {
  it("shuffles once per change of the endpoint set and resets the index", () => {
    const seq = [0, 0.5, 0.1, 0.9];
    let i = 0;
    const lb = new RoundRobinBalancer({ random: () => seq[i++ % seq.length]! });
    expect(lb.setEndpoints(["a:1", "b:1", "c:1", "d:1"])).toBe(true);
    const order = [...lb.endpoints];
    expect([...order].sort()).toEqual(["a:1", "b:1", "c:1", "d:1"]);
    expect(order).not.toEqual(["a:1", "b:1", "c:1", "d:1"]);
    expect([1, 2, 3, 4, 5].map(() => lb.next("10.0.0.1"))).toEqual([...order, order[0]]);
    // The same set in another order: nothing changes, the index goes on.
    expect(lb.setEndpoints(["d:1", "c:1", "b:1", "a:1"])).toBe(false);
    expect(lb.next("10.0.0.1")).toBe(order[1]);
    // A new set: reshuffled, index back to 0.
    expect(lb.setEndpoints(["a:1", "b:1"])).toBe(true);
    expect(lb.next("10.0.0.1")).toBe(lb.endpoints[0]);
    expect(lb.setEndpoints([])).toBe(true);
    expect(lb.next("10.0.0.1")).toBeUndefined();
  });

  it("pins a client with ClientIP affinity until the timeout after its last use", () => {
    let now = 1_000_000;
    const lb = new RoundRobinBalancer({ affinityTimeoutSeconds: 10, now: () => now, random: keepOrder });
    lb.setEndpoints(["a:1", "b:1", "c:1"]);
    expect(lb.next("10.0.0.1")).toBe("a:1");
    expect(lb.next("10.0.0.2")).toBe("b:1");
    now += 9_999;
    expect(lb.next("10.0.0.1")).toBe("a:1"); // refreshes last use
    now += 9_999;
    expect(lb.next("10.0.0.1")).toBe("a:1");
    now += 10_000;
    expect(lb.affinityOf("10.0.0.1")).toBeUndefined();
    expect(lb.next("10.0.0.1")).toBe("c:1"); // expired: the next in turn
    expect(lb.affinityEntries).toBe(2);
    lb.sweep();
    expect(lb.affinityEntries).toBe(1); // 10.0.0.2's expired entry is gone
  });

  it("drops affinity to removed endpoints; a retry resets the client's affinity", () => {
    const lb = new RoundRobinBalancer({ affinityTimeoutSeconds: 0, random: keepOrder });
    expect(lb.affinityTimeoutSeconds).toBe(DEFAULT_AFFINITY_TIMEOUT_SECONDS);
    lb.setEndpoints(["a:1", "b:1", "c:1"]);
    expect(lb.next("10.0.0.1")).toBe("a:1");
    expect(lb.next("10.0.0.1", true)).toBe("b:1");
    expect(lb.next("10.0.0.1")).toBe("b:1");
    lb.setEndpoints(["a:1", "c:1"]);
    expect(lb.affinityOf("10.0.0.1")).toBeUndefined();
    lb.setAffinity(undefined);
    expect(lb.affinityEntries).toBe(0);
  });
});

// ---------------------------------------------------------------- TCP

describe("userspace proxier: TCP", () => {
  it("spreads connections round robin over the shuffled endpoint list", async () => {
    const backends = await Promise.all(["web-1", "web-2", "web-3"].map((n) => tcpBackend(n)));
    const byEndpoint = new Map(backends.map((b) => [b.endpoint, b.name]));
    let r = 0;
    const seq = [0.1, 0.7, 0.4];
    const p = proxier({ random: () => seq[r++ % 3]! });
    const sp = servicePort();
    await p.update([state(sp, backends.map((b) => b.endpoint))]);
    const key = servicePortKey(sp);
    const order = p.balancer(key)!.endpoints.map((e) => byEndpoint.get(e));
    expect(order).not.toEqual(["web-1", "web-2", "web-3"]); // really shuffled
    const port = p.proxyPort(key)!;
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(await whoAnswers(port));
    expect(seen).toEqual([...order, ...order]);
  });

  it("pins a client with ClientIP affinity, until the affinity timeout", async () => {
    const backends = await Promise.all(["web-1", "web-2", "web-3"].map((n) => tcpBackend(n)));
    let now = 5_000_000;
    const p = proxier({ now: () => now });
    const sp = servicePort({ affinityTimeoutSeconds: 1 });
    await p.update([state(sp, backends.map((b) => b.endpoint))]);
    const port = p.proxyPort(servicePortKey(sp))!;
    for (let i = 0; i < 4; i++) expect(await whoAnswers(port)).toBe("web-1");
    expect(p.balancer(servicePortKey(sp))!.affinityOf(LOCAL)).toBe(backends[0]!.endpoint);
    now += 999;
    expect(await whoAnswers(port)).toBe("web-1");
    now += 1000;
    expect(await whoAnswers(port)).toBe("web-2");
    expect(await whoAnswers(port)).toBe("web-2");
  });

  it("retries a dead first endpoint transparently on the next one", async () => {
    const dead = `${LOCAL}:${await closedPort()}`;
    const web2 = await tcpBackend("web-2");
    const web3 = await tcpBackend("web-3");
    const p = proxier();
    const sp = servicePort({ affinityTimeoutSeconds: 60 });
    await p.update([state(sp, [dead, web2.endpoint, web3.endpoint])]);
    const key = servicePortKey(sp);
    expect(p.balancer(key)!.endpoints[0]).toBe(dead);
    const port = p.proxyPort(key)!;
    expect(await ask(port, "hello")).toBe("web-2|helloweb-2|end");
    // The retry reset the client's affinity to the endpoint that answered.
    expect(p.balancer(key)!.affinityOf(LOCAL)).toBe(web2.endpoint);
    expect(ENDPOINT_DIAL_TIMEOUTS_MS).toEqual([250, 500, 1000, 2000]);
  });

  it("gives up after one try per dial timeout, closing the client", async () => {
    const dead = `${LOCAL}:${await closedPort()}`;
    const tried: string[] = [];
    const sock = await openProxySocket({
      protocol: "TCP",
      hosts: [LOCAL],
      picker: { next: (_ip, reset) => (tried.push(reset ? "reset" : "first"), dead) },
    });
    cleanups.push(() => sock.destroy());
    expect(await closedWithoutReply(sock.port, "x")).toBe(true);
    expect(tried).toEqual(["first", "reset", "reset", "reset"]);
  });

  it("accepts, then closes connections to a service port without endpoints (as upstream)", async () => {
    const p = proxier();
    const sp = servicePort();
    await p.update([state(sp, [])]);
    const port = p.proxyPort(servicePortKey(sp))!;
    expect(port).toBeGreaterThan(0);
    expect(await closedWithoutReply(port, "anyone?")).toBe(true);
    expect(await ask(port)).toBe("");
    expect(p.portalRules()).toContain("--dport 80 -j DNAT");
  });

  it("uses ready endpoints only", async () => {
    const web1 = await tcpBackend("web-1");
    const web2 = await tcpBackend("web-2");
    const p = proxier();
    const sp = servicePort();
    await p.update([{ port: sp, endpoints: [endpoint(web1.endpoint, { ready: false, serving: false }), endpoint(web2.endpoint)] }]);
    const port = p.proxyPort(servicePortKey(sp))!;
    for (let i = 0; i < 3; i++) expect(await whoAnswers(port)).toBe("web-2");
  });

  it("ignores traffic policies, as upstream's userspace mode: remote endpoints of an iTP=Local service get traffic", async () => {
    const web1 = await tcpBackend("web-1");
    const web2 = await tcpBackend("web-2");
    const p = proxier();
    const sp = servicePort({ internalPolicyLocal: true });
    await p.update([{ port: sp, endpoints: [endpoint(web1.endpoint, { isLocal: true }), endpoint(web2.endpoint, { isLocal: false })] }]);
    const port = p.proxyPort(servicePortKey(sp))!;
    expect([await whoAnswers(port), await whoAnswers(port)]).toEqual(["web-1", "web-2"]);
  });

  it("updates endpoints in place: same proxy port, a removed backend gets no new connections, an existing connection survives", async () => {
    const [web1, web2, web3] = await Promise.all(["web-1", "web-2", "web-3"].map((n) => tcpBackend(n)));
    const p = proxier();
    const sp = servicePort();
    const key = servicePortKey(sp);
    await p.update([state(sp, [web1!.endpoint, web2!.endpoint])]);
    const port = p.proxyPort(key)!;
    const conn = await openConn(port);
    expect(await conn.say("one")).toBe("web-1|one");

    await p.update([state(sp, [web2!.endpoint, web3!.endpoint])]);
    expect(p.proxyPort(key)).toBe(port);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await whoAnswers(port));
    expect([...seen].sort()).toEqual(["web-2", "web-3"]);
    expect(web1!.accepted).toBe(1);
    expect(await conn.say("two")).toBe("web-1|two");
    expect(await eventually(() => p.connections(key), 1)).toBe(1);

    // Removing the service port closes the listener but not the connection.
    await p.update([]);
    expect(p.proxyPort(key)).toBeUndefined();
    await expect(ask(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(await conn.say("three")).toBe("web-1|three");
  });

  it("half-close: the client ends its side and still gets the reply", async () => {
    const slow = await tcpBackend("slow", 150);
    const p = proxier();
    const sp = servicePort();
    await p.update([state(sp, [slow.endpoint])]);
    const port = p.proxyPort(servicePortKey(sp))!;
    expect(await ask(port, "ping")).toBe("slow|pingslow|end");
  });

  it("a reset on one side tears down the other", async () => {
    const web1 = await tcpBackend("web-1");
    const p = proxier();
    const sp = servicePort();
    await p.update([state(sp, [web1.endpoint])]);
    const key = servicePortKey(sp);
    const conn = await openConn(p.proxyPort(key)!);
    expect(await conn.say("hi")).toBe("web-1|hi");
    const closed = new Promise((resolve) => conn.socket.once("close", resolve));
    await web1.close(); // destroys the backend's side
    await closed;
    expect(await eventually(() => p.connections(key), 0)).toBe(0);
  });
});

// ---------------------------------------------------------------- UDP

describe("userspace proxier: UDP", () => {
  it("relays request and response, keeps a client on its backend until the flow is idle", async () => {
    const [dns1, dns2] = await Promise.all([udpBackend("dns-1"), udpBackend("dns-2")]);
    const p = proxier({ udpIdleTimeoutMs: 400 });
    const sp = servicePort({ name: "dns", portName: "dns", protocol: "UDP", port: 53 });
    const key = servicePortKey(sp);
    await p.update([state(sp, [dns1.endpoint, dns2.endpoint])]);
    const port = p.proxyPort(key)!;
    const client = udpClient();
    const r1 = await client.send(port, "q1");
    expect(r1).toEqual({ text: "dns-1|q1", from: port });
    expect(await eventually(() => p.connections(key), 1)).toBe(1);
    // Within the idle timeout: the same flow, the same backend.
    await sleep(100);
    expect((await client.send(port, "q2")).text).toBe("dns-1|q2");
    await sleep(100);
    expect((await client.send(port, "q3")).text).toBe("dns-1|q3");
    // Idle for longer than the timeout: the flow is gone, the next datagram
    // starts a new one on the next endpoint.
    await sleep(900);
    expect(p.connections(key)).toBe(0);
    expect((await client.send(port, "q4")).text).toBe("dns-2|q4");
    // Another client is another flow.
    expect((await udpClient().send(port, "other")).text).toBe("dns-1|other");
  });

  it("cuts datagrams to 4 KiB, as upstream's buffer did", async () => {
    const big = await udpBackend("big");
    const p = proxier();
    const sp = servicePort({ protocol: "UDP", port: 53 });
    await p.update([state(sp, [big.endpoint])]);
    const reply = await udpClient().send(p.proxyPort(servicePortKey(sp))!, Buffer.alloc(6000, 1));
    expect(reply.text).toBe(`big|${UDP_BUFFER_BYTES} bytes`);
  });

  it("drops datagrams for a service port without endpoints, serves once one appears", async () => {
    const dns1 = await udpBackend("dns-1");
    const p = proxier();
    const sp = servicePort({ protocol: "UDP", port: 53 });
    const key = servicePortKey(sp);
    await p.update([state(sp, [])]);
    const client = udpClient();
    await expect(client.send(p.proxyPort(key)!, "lost", 300)).rejects.toThrow(/no UDP reply/);
    await p.update([state(sp, [dns1.endpoint])]);
    expect((await client.send(p.proxyPort(key)!, "found")).text).toBe("dns-1|found");
  });
});

// ---------------------------------------------------------------- rules

describe("portal rules", () => {
  it("renders the nat chains for a ClusterIP + NodePort service", async () => {
    const web1 = await tcpBackend("web-1");
    // The default listenHost (0.0.0.0): container traffic goes to cni0's address, host traffic to the node IP.
    const p = new UserspaceProxier({ nodeIP: "172.18.0.2", gatewayIP: "10.244.1.1" });
    cleanups.push(() => p.close());
    const sp = servicePort({ nodePort: 30080 });
    await p.update([state(sp, [web1.endpoint]), state(servicePort({ name: "headless", clusterIP: "" }), [web1.endpoint])]);
    const pp = p.proxyPort("default/web:http")!;
    expect(p.proxyPort("default/headless:http")).toBeUndefined();
    expect(p.portalRules()).toBe(
      [
        "*nat",
        ":KUBE-PORTALS-CONTAINER - [0:0]",
        ":KUBE-PORTALS-HOST - [0:0]",
        ":KUBE-NODEPORT-CONTAINER - [0:0]",
        ":KUBE-NODEPORT-HOST - [0:0]",
        `-A KUBE-PORTALS-CONTAINER -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http" -m tcp --dport 80 -j DNAT --to-destination 10.244.1.1:${pp}`,
        `-A KUBE-PORTALS-HOST -d 10.96.0.20/32 -p tcp -m comment --comment "default/web:http" -m tcp --dport 80 -j DNAT --to-destination 172.18.0.2:${pp}`,
        `-A KUBE-NODEPORT-CONTAINER -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j DNAT --to-destination 10.244.1.1:${pp}`,
        `-A KUBE-NODEPORT-HOST -p tcp -m comment --comment "default/web:http" -m tcp --dport 30080 -j DNAT --to-destination 172.18.0.2:${pp}`,
        "COMMIT",
        "",
      ].join("\n"),
    );
  });

  it("renders externalIPs and LoadBalancer IPs as upstream, and empty chains with no services", () => {
    const sp = servicePort({ name: "lb", portName: "", protocol: "UDP", port: 53, externalIPs: ["192.0.2.10"], loadBalancerIPs: ["198.51.100.7"] });
    const text = renderPortalRules({ nodeIP: "172.18.0.2", gatewayIP: "10.244.1.1" }, [{ port: sp, proxyPort: 40000 }]);
    const c = `-p udp -m comment --comment "default/lb" -m udp --dport 53`;
    expect(text.split("\n").filter((l) => l.startsWith("-A"))).toEqual([
      `-A KUBE-PORTALS-CONTAINER -d 10.96.0.20/32 ${c} -j DNAT --to-destination 10.244.1.1:40000`,
      `-A KUBE-PORTALS-CONTAINER -d 192.0.2.10/32 ${c} -j DNAT --to-destination 10.244.1.1:40000`,
      `-A KUBE-PORTALS-CONTAINER -d 192.0.2.10/32 ${c} -m addrtype --dst-type LOCAL -j DNAT --to-destination 10.244.1.1:40000`,
      `-A KUBE-PORTALS-CONTAINER -d 198.51.100.7/32 ${c} -j DNAT --to-destination 10.244.1.1:40000`,
      `-A KUBE-PORTALS-HOST -d 10.96.0.20/32 ${c} -j DNAT --to-destination 172.18.0.2:40000`,
      `-A KUBE-PORTALS-HOST -d 192.0.2.10/32 ${c} -m addrtype --dst-type LOCAL -j DNAT --to-destination 172.18.0.2:40000`,
      `-A KUBE-PORTALS-HOST -d 198.51.100.7/32 ${c} -j DNAT --to-destination 172.18.0.2:40000`,
    ]);
    // A specific listen address is the DNAT target from both chains.
    expect(renderPortalRules({ nodeIP: "172.18.0.2", gatewayIP: "10.244.1.1", listenHost: "172.18.0.2" }, [{ port: sp, proxyPort: 1 }])).not.toContain("10.244.1.1:");
    expect(renderPortalRules({ nodeIP: "172.18.0.2", gatewayIP: "10.244.1.1" }, [])).toBe(
      "*nat\n:KUBE-PORTALS-CONTAINER - [0:0]\n:KUBE-PORTALS-HOST - [0:0]\n:KUBE-NODEPORT-CONTAINER - [0:0]\n:KUBE-NODEPORT-HOST - [0:0]\nCOMMIT\n",
    );
  });

  it("jumps: portals first, NodePorts last and for local destinations only", () => {
    expect(portalJumpRules()).toEqual([
      ["-t", "nat", "-I", "PREROUTING", "-m", "comment", "--comment", "handle ClusterIPs; NOTE: this must be before the NodePort rules", "-j", "KUBE-PORTALS-CONTAINER"],
      ["-t", "nat", "-I", "OUTPUT", "-m", "comment", "--comment", "handle ClusterIPs; NOTE: this must be before the NodePort rules", "-j", "KUBE-PORTALS-HOST"],
      ["-t", "nat", "-A", "PREROUTING", "-m", "addrtype", "--dst-type", "LOCAL", "-m", "comment", "--comment", "handle service NodePorts; NOTE: this must be the last rule in the chain", "-j", "KUBE-NODEPORT-CONTAINER"],
      ["-t", "nat", "-A", "OUTPUT", "-m", "addrtype", "--dst-type", "LOCAL", "-m", "comment", "--comment", "handle service NodePorts; NOTE: this must be the last rule in the chain", "-j", "KUBE-NODEPORT-HOST"],
    ]);
  });
});

// ---------------------------------------------------------------- close

describe("close", () => {
  const handles = () => {
    const counts: Record<string, number> = {};
    // Sockets only: the test runner's own timers come and go.
    for (const r of process.getActiveResourcesInfo()) if (/TCP|UDP/.test(r)) counts[r] = (counts[r] ?? 0) + 1;
    return counts;
  };

  /** Handles go away one loop turn after their close callbacks: wait until the counts settle. */
  const settled = async (expected?: Record<string, number>) => {
    let last = "";
    for (let i = 0; i < 50; i++) {
      await sleep(20);
      const now = JSON.stringify(handles());
      if (expected ? now === JSON.stringify(expected) : now === last) break;
      last = now;
    }
    return handles();
  };

  it("releases every socket: listeners, established connections, UDP flows", async () => {
    const before = await settled();
    const web1 = await tcpBackend("web-1");
    const dns1 = await udpBackend("dns-1");
    const p = new UserspaceProxier({ nodeIP: "172.18.0.2", gatewayIP: "10.244.1.1", listenHost: LOCAL, udpIdleTimeoutMs: 60_000 });
    const tcp = servicePort();
    const udp = servicePort({ name: "dns", protocol: "UDP", port: 53 });
    await p.update([state(tcp, [web1.endpoint]), state(udp, [dns1.endpoint])]);
    const tcpPort = p.proxyPort(servicePortKey(tcp))!;
    const udpPort = p.proxyPort(servicePortKey(udp))!;
    const conn = await openConn(tcpPort);
    expect(await conn.say("x")).toBe("web-1|x");
    const client = udpClient();
    expect((await client.send(udpPort, "y")).text).toBe("dns-1|y");
    const connClosed = new Promise((resolve) => conn.socket.once("close", resolve));

    await p.close();
    await connClosed; // the established connection was closed too
    await expect(ask(tcpPort)).rejects.toThrow(/ECONNREFUSED/);
    await expect(p.update([])).rejects.toThrow(/closed/);
    while (cleanups.length) await cleanups.pop()!(); // the backends and clients
    expect(await settled(before)).toEqual(before);
  });

  it("leaves nothing behind: a process that used the proxier exits by itself", async () => {
    // In a child process so that the test runner's own handles do not count:
    // any socket or ref'd timer left after close() would keep it alive.
    const module = JSON.stringify(new URL("../../src/agent/proxy/userspace/proxier.ts", import.meta.url).pathname);
    const code = `
      import dgram from "node:dgram";
      import net from "node:net";
      import { UserspaceProxier } from ${module};
      const L = "127.0.0.1";
      const tcpBackend = net.createServer((s) => s.on("data", (d) => s.write("t|" + d)).on("error", () => {}));
      await new Promise((r) => tcpBackend.listen(0, L, r));
      const udpBackend = dgram.createSocket("udp4").on("message", (m, r) => udpBackend.send("u|" + m, r.port, r.address));
      await new Promise((r) => udpBackend.bind(0, L, r));
      const sp = (o) => ({ namespace: "ns", name: "svc", portName: "", protocol: "TCP", clusterIP: "10.96.0.9", port: 80, nodePort: 0,
        externalIPs: [], loadBalancerIPs: [], loadBalancerSourceRanges: [], externalPolicyLocal: false, internalPolicyLocal: false, healthCheckNodePort: 0, affinityTimeoutSeconds: 60, ...o });
      const ep = (port) => [{ ip: L, port, ready: true, serving: true, terminating: false, isLocal: false }];
      const p = new UserspaceProxier({ nodeIP: "172.18.0.2", gatewayIP: "10.244.1.1", listenHost: L, udpIdleTimeoutMs: 60000 });
      await p.update([
        { port: sp({}), endpoints: ep(tcpBackend.address().port) },
        { port: sp({ name: "dns", protocol: "UDP", port: 53 }), endpoints: ep(udpBackend.address().port) },
      ]);
      const conn = net.connect(p.proxyPort("ns/svc"), L);
      await new Promise((r) => conn.once("data", r).write("x"));
      const client = dgram.createSocket("udp4");
      await new Promise((r) => { client.once("message", r); client.send("y", p.proxyPort("ns/dns"), L); });
      // A service port removed while its connection is open: the listener goes, the connection stays.
      await p.update([{ port: sp({ name: "dns", protocol: "UDP", port: 53 }), endpoints: ep(udpBackend.address().port) }]);
      await new Promise((r) => conn.once("data", r).write("z"));
      await p.close();
      await new Promise((r) => conn.once("close", r));
      client.close();
      udpBackend.close();
      tcpBackend.close();
      console.log("closed");
    `;
    const { execFile } = await import("node:child_process");
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { timeout: 10_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === "number" ? err.code : null) : 0, stdout, stderr }),
      );
    });
    expect(result.stderr).toBe("");
    expect(result.stdout).toBe("closed\n");
    expect(result.code).toBe(0);
  });
});
