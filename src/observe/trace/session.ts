// The kernel side of one trace: in every namespace of the cluster's hosts, a
// small nftables table of kemu's own that sets `meta nftrace` on packets to or
// from the addresses involved, and `xtables-monitor --trace` reading the
// events. Both go away when the trace ends, whatever happens; nothing of the
// cluster's own tables is touched.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { run } from "../../linux/exec.js";

export interface TraceNamespace {
  host: string;
  /** argv prefix that runs a command in the host's namespace (nsenter --net=…) */
  enter: (argv: string[]) => string[];
}

/** The table of one trace: its own name, so that traces at the same time do not meet. */
export function traceTableName(token: string): string {
  return `kemu-trace-${token}`;
}

/** nft script for the table (pure). Priority -350: before conntrack and NAT, so every chain after it is traced. */
export function renderTraceTable(table: string, peers: string[]): string {
  const elements = [...new Set(peers)].sort().join(", ");
  return [
    `table ip ${table} {`,
    `  set peers { type ipv4_addr; ${elements ? `elements = { ${elements} }` : ""} }`,
    "  chain pre { type filter hook prerouting priority -350; policy accept;",
    "    ip saddr @peers meta nftrace set 1",
    "    ip daddr @peers meta nftrace set 1",
    "  }",
    "  chain out { type filter hook output priority -350; policy accept;",
    "    ip saddr @peers meta nftrace set 1",
    "    ip daddr @peers meta nftrace set 1",
    "  }",
    "}",
    "",
  ].join("\n");
}

interface Monitor {
  ns: TraceNamespace;
  child: ChildProcess;
  text: string;
  armed: boolean;
}

export class TraceSession {
  readonly table: string;
  private readonly monitors: Monitor[] = [];

  private constructor() {
    this.table = traceTableName(randomBytes(4).toString("hex"));
  }

  /** Starts the monitors, then adds the tables (so no traced packet is missed). */
  static async start(namespaces: TraceNamespace[], peers: string[]): Promise<TraceSession> {
    const s = new TraceSession();
    try {
      for (const ns of namespaces) {
        const argv = ns.enter(["xtables-monitor", "--trace"]);
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
        const m: Monitor = { ns, child, text: "", armed: false };
        child.stdout!.on("data", (c: Buffer) => (m.text += c.toString("utf8")));
        child.on("error", () => undefined);
        s.monitors.push(m);
      }
      // The monitor subscribes to trace events as it starts; give it that moment.
      await new Promise((r) => setTimeout(r, 150));
      const script = renderTraceTable(s.table, peers);
      await Promise.all(
        s.monitors.map(async (m) => {
          const argv = m.ns.enter(["nft", "-f", "-"]);
          await run(argv[0]!, argv.slice(1), { input: script });
          m.armed = true;
        }),
      );
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  /** Removes the tables, stops the monitors, and returns what each saw. */
  async stop(settleMs = 0): Promise<Map<string, string>> {
    if (settleMs > 0) await new Promise((r) => setTimeout(r, settleMs));
    await Promise.all(
      this.monitors.map(async (m) => {
        if (!m.armed) return;
        const argv = m.ns.enter(["nft", "delete", "table", "ip", this.table]);
        await run(argv[0]!, argv.slice(1)).catch(() => undefined);
        m.armed = false;
      }),
    );
    await Promise.all(
      this.monitors.map(
        (m) =>
          new Promise<void>((resolve) => {
            if (m.child.exitCode !== null || m.child.signalCode !== null) return resolve();
            m.child.once("close", () => resolve());
            m.child.kill("SIGTERM");
          }),
      ),
    );
    return new Map(this.monitors.map((m) => [m.ns.host, m.text]));
  }
}
