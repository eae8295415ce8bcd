// An HTTP load loop to run inside a pod (with the host's node): a new
// connection per request, until a stop file appears; prints counts as JSON.
export function loadScript(url: string, stopFile: string): string {
  return `
const http = require("http"), fs = require("fs");
let ok = 0, failed = 0; const errors = {}; const latencies = [];
function one() {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.get(${JSON.stringify(url)}, { agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on("end", () => { if (res.statusCode === 200) ok++; else { failed++; errors["HTTP " + res.statusCode] = (errors["HTTP " + res.statusCode] || 0) + 1; } latencies.push(Number(process.hrtime.bigint() - t0) / 1e6); resolve(); });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => { failed++; errors[e.code || e.message] = (errors[e.code || e.message] || 0) + 1; resolve(); });
  });
}
(async () => {
  while (!fs.existsSync(${JSON.stringify(stopFile)})) await one();
  latencies.sort((a, b) => a - b);
  console.log(JSON.stringify({ ok, failed, errors, p99: latencies[Math.floor(latencies.length * 0.99)] || 0 }));
})();`;
}

export interface LoadResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  p99: number;
}

/**
 * A paced HTTP load to run inside a pod: `rate` requests a second for
 * `seconds`, each on a new connection with a timeout (1 s), started on
 * schedule whether or not earlier ones finished (an open-loop client, so an
 * outage shows as failures, not as a slower client). Prints, as JSON, the
 * counts and the send time (ms from the start) of every failed request.
 */
export function pacedLoadScript(url: string, rate: number, seconds: number, headers: Record<string, string> = {}, timeoutMs = 1000): string {
  return `
const http = require("http");
const total = ${Math.round(rate * seconds)}, gap = ${1000 / rate}, t0 = Date.now();
let ok = 0, done = 0; const failures = []; const errors = {};
function fail(at, why) { failures.push(at); errors[why] = (errors[why] || 0) + 1; }
function one(i) {
  const at = Date.now() - t0;
  const req = http.get(${JSON.stringify(url)}, { agent: false, timeout: ${timeoutMs}, headers: ${JSON.stringify(headers)} }, (res) => {
    res.resume();
    res.on("end", () => { if (res.statusCode === 200) ok++; else fail(at, "HTTP " + res.statusCode); finish(); });
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", (e) => { fail(at, e.code || e.message); finish(); });
}
function finish() { if (++done === total) console.log(JSON.stringify({ ok, failed: failures.length, errors, failures, startedAt: t0 })); }
for (let i = 0; i < total; i++) setTimeout(() => one(i), i * gap);
`;
}

export interface PacedLoadResult {
  ok: number;
  failed: number;
  errors: Record<string, number>;
  /** when each failed request was sent, in ms from the start */
  failures: number[];
  /** the start, in ms since the epoch (pods share the host's clock) */
  startedAt: number;
}
