// The conversation with the native prober (netns/kemu-probe.c): the argv for
// one source's probes and the reading of its answer, one line per target in
// the order given. Pure.
import type { ProbeDetail, ProbeJob } from "./model.js";

export function proberArgv(binary: string, netns: string, timeoutMs: number, jobs: ProbeJob[]): string[] {
  return [binary, "--netns", netns, "--timeout-ms", String(timeoutMs), "--", ...jobs.map((j) => `${j.protocol.toLowerCase()}:${j.address}:${j.port}`)];
}

export function serverArgv(binary: string, netns: string, listeners: { port: number; protocol: string }[]): string[] {
  return [binary, "--netns", netns, "--serve", "--", ...listeners.map((l) => `${l.protocol.toLowerCase()}:${l.port}`)];
}

const LINE_RE = /^(tcp|udp|sctp) (\S+) (\d+) (ok|unsupported|blocked (timeout|refused|unreachable|no-data|error .+))$/;

/** The details of the prober's answer, in job order; an error names the first line that does not fit. */
export function parseProberOutput(stdout: string, jobs: ProbeJob[]): ProbeDetail[] {
  const lines = stdout.split("\n").filter((l) => l !== "");
  if (lines.length !== jobs.length) throw new Error(`kemu-probe answered ${lines.length} lines for ${jobs.length} targets`);
  return lines.map((line, i) => {
    const m = LINE_RE.exec(line);
    const job = jobs[i]!;
    if (!m || m[1] !== job.protocol.toLowerCase() || m[2] !== job.address || Number(m[3]) !== job.port) {
      throw new Error(`kemu-probe: unexpected line ${JSON.stringify(line)} for ${job.protocol.toLowerCase()} ${job.address} ${job.port}`);
    }
    return (m[5] ?? m[4]) as ProbeDetail;
  });
}
