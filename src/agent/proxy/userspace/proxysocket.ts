// The userspace proxier's per-service-port sockets (upstream: pkg/proxy/userspace
// proxysocket.go). iptables steers a service's traffic to one of these; it
// picks an endpoint and relays bytes (TCP) or datagrams (UDP) to it, so the
// backend always sees the node as the source.
import dgram from "node:dgram";
import net from "node:net";
import type { EndpointPicker } from "./loadbalancer.js";
import { parseIP } from "../../../net/ip.js";

/** Upstream's endpointDialTimeout: one try per entry, the next endpoint each time. */
export const ENDPOINT_DIAL_TIMEOUTS_MS: readonly number[] = [250, 500, 1000, 2000];
/** kube-proxy's --udp-timeout default. */
export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 250;
/** Upstream read datagrams into a 4 KiB buffer: longer ones were cut to that. */
export const UDP_BUFFER_BYTES = 4096;
/** Datagrams held for a client whose backend socket is still being set up. */
const UDP_PENDING_MAX = 64;
/** Go's net package turns on TCP keepalive (15 s) for every connection. */
const TCP_KEEPALIVE_MS = 15_000;

export type ProxyProtocol = "TCP" | "UDP";

export interface ProxySocket {
  readonly protocol: ProxyProtocol;
  /** the port the socket listens on (allocated by the kernel) */
  readonly port: number;
  /** TCP: accepted connections until both they and their backend socket are closed; UDP: client flows */
  activeConnections(): number;
  /**
   * Stops taking new traffic. TCP: established connections are left alone
   * (upstream's tcpProxySocket); UDP: the socket and every client flow are
   * closed (upstream: "existing connections are broken").
   */
  close(): Promise<void>;
  /** close(), then destroys every connection still being proxied. */
  destroy(): Promise<void>;
}

export interface ProxySocketOptions {
  protocol: ProxyProtocol;
  /**
   * Addresses to listen on, all with the same port. TCP takes exactly one
   * (normally "0.0.0.0"); UDP may take several, see openUdpProxySocket.
   */
  hosts: string[];
  /** 0 (the default) = a random port */
  port?: number;
  picker: EndpointPicker;
  /** UDP: a client flow is closed after this long without a datagram either way */
  udpIdleTimeoutMs?: number;
  dialTimeoutsMs?: readonly number[];
  log?: (message: string) => void;
}

export async function openProxySocket(opts: ProxySocketOptions): Promise<ProxySocket> {
  if (opts.hosts.length === 0) throw new Error("proxy socket: no listen address");
  if (opts.protocol === "TCP") {
    if (opts.hosts.length !== 1) throw new Error("TCP proxy socket: exactly one listen address");
    return TcpProxySocket.open(opts);
  }
  return UdpProxySocket.open(opts);
}

/** "ip:port" -> parts (IPv4; the last colon separates the port). */
function splitHostPort(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(":");
  return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
}

/** A socket's remote address, IPv4-mapped ones (a dual-stack listener's IPv4 clients) as IPv4. */
function clientIPOf(address: string | undefined): string {
  const a = address ?? "";
  return parseIP(a)?.to4()?.toString() ?? a;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class TcpProxySocket implements ProxySocket {
  readonly protocol = "TCP" as const;
  /** every socket we own: accepted clients and backend sockets (also while dialling) */
  private readonly sockets = new Set<net.Socket>();
  private pairs = 0;
  private closed = false;
  private serverClosed?: Promise<void>;

  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly opts: ProxySocketOptions,
  ) {}

  static async open(opts: ProxySocketOptions): Promise<TcpProxySocket> {
    // allowHalfOpen: a client's FIN must not end our side towards it (the
    // reply may still be coming). pauseOnConnect: nothing is read from the
    // client before a backend is connected.
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: opts.hosts[0], port: opts.port ?? 0, exclusive: true }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    const sock = new TcpProxySocket(server, port, opts);
    server.on("connection", (client: net.Socket) => void sock.accept(client));
    server.on("error", (err) => opts.log?.(`userspace proxy: TCP listener on port ${port}: ${errorText(err)}`));
    return sock;
  }

  activeConnections(): number {
    return this.pairs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // server.close() stops listening at once; its 'close' event only comes
    // once every accepted connection is gone, so do not wait for it here.
    this.serverClosed = new Promise((resolve) => this.server.close(() => resolve()));
  }

  async destroy(): Promise<void> {
    await this.close();
    const all = [...this.sockets];
    for (const s of all) s.destroy();
    await Promise.all(all.map((s) => (s.closed ? undefined : new Promise<void>((resolve) => s.once("close", () => resolve())))));
    await this.serverClosed;
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once("close", () => this.sockets.delete(s));
  }

  private async accept(client: net.Socket): Promise<void> {
    this.track(client);
    // One "connection" lasts until the client socket and its backend socket
    // (if any) are both closed.
    this.pairs++;
    let open = 1;
    const closed = () => {
      if (--open === 0) this.pairs--;
    };
    client.once("close", closed);
    // A client may reset before a backend is found: nothing to do but let it close.
    client.on("error", () => client.destroy());
    const clientIP = clientIPOf(client.remoteAddress);
    const backend = await this.connectBackend(clientIP, client);
    if (!backend) {
      // No endpoint, or none answered: upstream closes the accepted connection.
      client.destroy();
      return;
    }
    open++;
    backend.once("close", closed);
    if (client.destroyed) {
      backend.destroy();
      return;
    }
    for (const s of [client, backend]) {
      s.setNoDelay(true);
      s.setKeepAlive(true, TCP_KEEPALIVE_MS);
    }
    // Bytes both ways; an EOF on one side becomes a FIN (end()) on the other,
    // the other direction keeps flowing (half-close). Each socket destroys
    // itself once both of its directions are done (autoDestroy); an error or
    // reset on either side tears both down.
    const abort = () => {
      client.destroy();
      backend.destroy();
    };
    client.on("error", abort);
    backend.on("error", abort);
    client.once("close", (hadError) => hadError && backend.destroy());
    backend.once("close", (hadError) => hadError && client.destroy());
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  }

  /** Upstream's tryConnect: up to one try per dial timeout, the next endpoint each time. */
  private async connectBackend(clientIP: string, client: net.Socket): Promise<net.Socket | undefined> {
    let affinityReset = false;
    for (const timeoutMs of this.opts.dialTimeoutsMs ?? ENDPOINT_DIAL_TIMEOUTS_MS) {
      if (client.destroyed) return undefined;
      const endpoint = this.opts.picker.next(clientIP, affinityReset);
      if (endpoint === undefined) return undefined;
      const result = await this.dial(endpoint, timeoutMs);
      if (result instanceof net.Socket) return result;
      this.opts.log?.(`userspace proxy: dial ${endpoint} failed: ${result.message}`);
      affinityReset = true;
    }
    return undefined;
  }

  private dial(endpoint: string, timeoutMs: number): Promise<net.Socket | Error> {
    const { host, port } = splitHostPort(endpoint);
    return new Promise((resolve) => {
      const s = net.connect({ host, port, allowHalfOpen: true });
      this.track(s);
      let settled = false;
      const settle = (result: net.Socket | Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        s.off("connect", ok);
        s.off("error", fail);
        s.off("close", gone);
        // Until the caller takes over, an error only closes the socket.
        s.on("error", () => s.destroy());
        if (result instanceof Error) s.destroy();
        resolve(result);
      };
      const ok = () => settle(s);
      const fail = (err: Error) => settle(err);
      // destroy() (the proxy socket being torn down) while dialling
      const gone = () => settle(new Error("closed while connecting"));
      const timer = setTimeout(() => settle(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
      s.once("connect", ok);
      s.once("error", fail);
      s.once("close", gone);
    });
  }
}

interface UdpFlow {
  /** the service socket the client talks to (replies leave through it) */
  via: dgram.Socket;
  clientAddress: string;
  clientPort: number;
  backend?: dgram.Socket;
  pending: Buffer[];
  timer?: NodeJS.Timeout;
  closed: boolean;
}

/**
 * One UDP socket per listen address, all on the same port: with DNAT in
 * front, a reply must leave with the address the client's datagram was
 * DNATed to as its source, or conntrack cannot undo the DNAT. A socket bound
 * to 0.0.0.0 lets the route pick the source, so the proxier binds the exact
 * DNAT targets instead (kemu: cni0's and eth0's addresses).
 */
class UdpProxySocket implements ProxySocket {
  readonly protocol = "UDP" as const;
  private readonly flows = new Map<string, UdpFlow>();
  private closed = false;

  private constructor(
    private readonly sockets: dgram.Socket[],
    readonly port: number,
    private readonly opts: ProxySocketOptions,
  ) {
    for (const s of sockets) {
      s.on("message", (msg, rinfo) => this.fromClient(s, msg, rinfo));
      s.on("error", (err) => opts.log?.(`userspace proxy: UDP socket on port ${port}: ${errorText(err)}`));
    }
  }

  static async open(opts: ProxySocketOptions): Promise<UdpProxySocket> {
    // The first address picks the port (unless given); the others must get
    // the same one: if that port is taken on one of them, start again.
    for (let attempt = 0; ; attempt++) {
      const bound: dgram.Socket[] = [];
      try {
        let port = opts.port ?? 0;
        for (const host of opts.hosts) {
          const s = await bindUdp(host, port);
          bound.push(s);
          port = s.address().port;
        }
        return new UdpProxySocket(bound, port, opts);
      } catch (err) {
        await Promise.all(bound.map(closeUdp));
        const retry = (err as NodeJS.ErrnoException).code === "EADDRINUSE" && !opts.port && opts.hosts.length > 1 && attempt < 10;
        if (!retry) throw err;
      }
    }
  }

  activeConnections(): number {
    return this.flows.size;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const flows = [...this.flows.values()];
    await Promise.all([...flows.map((f) => this.closeFlow(f)), ...this.sockets.map(closeUdp)]);
  }

  destroy(): Promise<void> {
    return this.close();
  }

  private idleMs(): number {
    return this.opts.udpIdleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS;
  }

  private fromClient(via: dgram.Socket, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const data = msg.length > UDP_BUFFER_BYTES ? msg.subarray(0, UDP_BUFFER_BYTES) : msg;
    const key = `${rinfo.address}:${rinfo.port}`;
    let flow = this.flows.get(key);
    if (!flow) {
      flow = { via, clientAddress: rinfo.address, clientPort: rinfo.port, pending: [], closed: false };
      this.flows.set(key, flow);
      void this.connectFlow(key, flow);
    }
    if (!flow.backend) {
      if (flow.pending.length < UDP_PENDING_MAX) flow.pending.push(Buffer.from(data));
      return;
    }
    this.toBackend(flow, data);
  }

  private toBackend(flow: UdpFlow, data: Buffer): void {
    if (flow.closed || !flow.backend) return;
    flow.backend.send(data, (err) => {
      if (err) this.opts.log?.(`userspace proxy: UDP write failed: ${err.message}`);
    });
    flow.timer?.refresh();
  }

  /** Upstream's tryConnect for UDP: a connected socket to the chosen endpoint. */
  private async connectFlow(key: string, flow: UdpFlow): Promise<void> {
    const clientIP = clientIPOf(flow.clientAddress);
    let affinityReset = false;
    for (const timeoutMs of this.opts.dialTimeoutsMs ?? ENDPOINT_DIAL_TIMEOUTS_MS) {
      const endpoint = this.opts.picker.next(clientIP, affinityReset);
      if (endpoint === undefined) break;
      const backend = await connectUdp(endpoint, timeoutMs);
      if (backend instanceof Error) {
        this.opts.log?.(`userspace proxy: dial ${endpoint} failed: ${backend.message}`);
        affinityReset = true;
        continue;
      }
      if (flow.closed) {
        await closeUdp(backend);
        return;
      }
      flow.backend = backend;
      backend.on("message", (msg) => {
        if (flow.closed) return;
        flow.timer?.refresh();
        const reply = msg.length > UDP_BUFFER_BYTES ? msg.subarray(0, UDP_BUFFER_BYTES) : msg;
        flow.via.send(reply, flow.clientPort, flow.clientAddress, (err) => {
          if (err) {
            this.opts.log?.(`userspace proxy: UDP reply failed: ${err.message}`);
            void this.closeFlow(flow);
          }
        });
      });
      // e.g. ECONNREFUSED from an ICMP port unreachable: upstream ends the flow.
      backend.on("error", () => void this.closeFlow(flow));
      flow.timer = setTimeout(() => void this.closeFlow(flow), this.idleMs());
      const pending = flow.pending;
      flow.pending = [];
      for (const data of pending) this.toBackend(flow, data);
      return;
    }
    // No endpoint (or none reachable): the datagrams are dropped; the next
    // one from this client tries again.
    if (this.flows.get(key) === flow) this.flows.delete(key);
    flow.closed = true;
    flow.pending = [];
  }

  private async closeFlow(flow: UdpFlow): Promise<void> {
    if (flow.closed) return;
    flow.closed = true;
    if (flow.timer) clearTimeout(flow.timer);
    flow.pending = [];
    const key = `${flow.clientAddress}:${flow.clientPort}`;
    if (this.flows.get(key) === flow) this.flows.delete(key);
    if (flow.backend) await closeUdp(flow.backend);
  }
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: "udp4" });
    const fail = (err: Error) => {
      void closeUdp(s).then(() => reject(err));
    };
    s.once("error", fail);
    s.bind({ address: host, port, exclusive: true }, () => {
      s.off("error", fail);
      resolve(s);
    });
  });
}

function connectUdp(endpoint: string, timeoutMs: number): Promise<dgram.Socket | Error> {
  const { host, port } = splitHostPort(endpoint);
  return new Promise((resolve) => {
    const s = dgram.createSocket({ type: "udp4" });
    const fail = (err: Error) => {
      clearTimeout(timer);
      s.off("error", fail);
      void closeUdp(s).then(() => resolve(err));
    };
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
    s.once("error", fail);
    s.connect(port, host, (err?: Error) => {
      if (err) return fail(err);
      clearTimeout(timer);
      s.off("error", fail);
      resolve(s);
    });
  });
}

/** Closes a dgram socket (once), resolving when its handle is gone. */
function closeUdp(s: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      s.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
