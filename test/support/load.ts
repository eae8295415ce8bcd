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
