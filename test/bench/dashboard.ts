// Benchmark: the dashboard's first paint with 100 pods — from navigation
// start to the page's "kemu-pods-drawn" mark (set in the frame after the
// first scene with pods is in the SVG), in Debian's headless chromium
// through playwright-core. The median of several fresh loads; the hello
// message's size beside it. The probe and the metrics are off (they are
// not part of painting).
import { existsSync } from "node:fs";
import { chromium } from "playwright-core";
import { Cluster } from "../../src/index.js";
import { startDashboard } from "../../src/observe/dashboard/server.js";
import { AGNHOST } from "../support/workloads.js";
import { median } from "./datapath.js";

const PODS = 100;
const LOADS = 7;
const CHROMIUM = "/usr/bin/chromium";
const step = (what: string) => console.error(`… dashboard: ${what}`);

const pauseDeployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: many }
spec:
  replicas: ${PODS}
  selector: { matchLabels: { app: many } }
  template:
    metadata: { labels: { app: many } }
    spec:
      terminationGracePeriodSeconds: 0
      containers: [{ name: c, image: "${AGNHOST}", args: [pause] }]
`;

export async function benchDashboard(): Promise<void> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  const cluster = await Cluster.start({ name: `bdash${process.pid}`, nodes: 3, ingress: false, timeoutMs: 180_000 });
  try {
    step(`starting ${PODS} pods`);
    await cluster.apply(pauseDeployment);
    await cluster.waitForPods({ labelSelector: "app=many", count: PODS, condition: "Running", timeoutMs: 300_000 });
    const total = (await cluster.pods({})).length;
    const dashboard = await startDashboard(cluster, { probe: false, metrics: false });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const paints: number[] = [];
      const walls: number[] = [];
      let helloBytes = 0;
      for (let i = 0; i < LOADS; i++) {
        const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
        page.on("websocket", (ws) => ws.on("framereceived", (f) => (helloBytes ||= typeof f.payload === "string" ? Buffer.byteLength(f.payload) : f.payload.length)));
        const t0 = Date.now();
        await page.goto(dashboard.url);
        // A string: the page's globals (document) are not in this program's types.
        await page.waitForFunction(`Number(document.body.dataset.pods ?? 0) >= ${total}`, undefined, { timeout: 30_000 });
        const mark = await page.waitForFunction(() => performance.getEntriesByName("kemu-pods-drawn")[0]?.startTime, undefined, { timeout: 10_000 });
        paints.push(Number(await mark.jsonValue()));
        walls.push(Date.now() - t0);
        await page.close();
      }
      const fmt = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(", ");
      console.log(`\ndashboard first paint with ${total} pods (${PODS} + the cluster's own), ${LOADS} fresh loads in headless chromium:`);
      console.log(`  navigation → pods drawn: median ${median(paints).toFixed(0)} ms (${fmt(paints)})`);
      console.log(`  goto → pods counted (playwright's side): median ${median(walls).toFixed(0)} ms`);
      console.log(`  hello message (the whole scene): ${(helloBytes / 1024).toFixed(1)} KiB`);
    } finally {
      await browser.close();
      await dashboard.stop();
    }
  } finally {
    await cluster.stop();
  }
}
