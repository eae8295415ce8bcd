// kemu dashboard in a real browser: Debian's headless chromium, driven by
// playwright-core, against a real cluster. The page loads with the token
// (and nothing without it), lists the cluster's pods by the names the API
// gives, shows a new pod without a reload, draws the probe's heatmap, and
// draws a real `kemu trace` (runTrace) on the topology. Screenshots go to
// test-artifacts/dashboard/.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import WebSocket from "ws";
import { Cluster, resourceByKind, type Pod } from "../../src/index.js";
import { PACKAGE_ROOT } from "../../src/paths.js";
import { startDashboard, type DashboardServer } from "../../src/observe/dashboard/server.js";
import { runTrace } from "../../src/observe/trace/run.js";
import { rootOnly, uniqueClusterName, leftovers, NONE } from "../support/host.js";
import { netexecDeployment, pausePod } from "../support/workloads.js";

const CHROMIUM = "/usr/bin/chromium";
const ARTIFACTS = join(PACKAGE_ROOT, "test-artifacts", "dashboard");
const haveChromium = existsSync(CHROMIUM);
if (rootOnly() && !haveChromium) console.warn(`dashboard tests skipped: ${CHROMIUM} is missing (scripts/test.sh installs Debian's chromium; or apt-get install chromium)`);

const WEB_SERVICE = `apiVersion: v1
kind: Service
metadata: { name: web }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
`;

describe.skipIf(!rootOnly() || !haveChromium)("kemu dashboard in headless chromium", () => {
  const name = uniqueClusterName("h13m-dash");
  let cluster: Cluster;
  let dashboard: DashboardServer;
  let browser: Browser;
  let page: Page;
  const shot = (file: string) => page.screenshot({ path: join(ARTIFACTS, file), fullPage: true });

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    cluster = await Cluster.start({ name, nodes: 2, ingress: false, timeoutMs: 90_000, manifests: [netexecDeployment("web", 2), WEB_SERVICE, pausePod("client", "node-1")] });
    await cluster.waitForPods({ labelSelector: "app=web", count: 2, condition: "Ready" });
    dashboard = await startDashboard(cluster, { trace: (r) => runTrace(cluster, r), metrics: false });
    // As root, chromium's sandbox needs --no-sandbox.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await cluster?.stop();
    expect(leftovers(name)).toEqual(NONE);
  });

  it("answers only with the token: 403 for the page, its files and the WebSocket without it or with another", async () => {
    const base = `http://127.0.0.1:${dashboard.port}`;
    expect((await fetch(`${base}/`)).status).toBe(403);
    expect((await fetch(`${base}/app.js?token=x${dashboard.token}`)).status).toBe(403);
    expect((await fetch(`${base}/api/trace`, { method: "POST", body: "{}" })).status).toBe(403);
    expect((await fetch(`${base}/app.js?token=${dashboard.token}`)).status).toBe(200);
    const upgrade = (token: string) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${dashboard.port}/ws?token=${token}`);
        ws.on("open", () => (ws.close(), resolve("open")));
        ws.on("unexpected-response", (_req, res) => resolve(String(res.statusCode)));
        ws.on("error", (err) => resolve(err.message));
      });
    expect(await upgrade("wrong")).toBe("403");
    expect(await upgrade(dashboard.token)).toBe("open");
    expect(dashboard.url).toBe(`http://127.0.0.1:${dashboard.port}/?token=${dashboard.token}`);
  });

  it("loads and shows every pod the API lists, on its node", async () => {
    await page.goto(dashboard.url);
    await page.waitForSelector("#connection.ok");
    const pods = await cluster.api.list<Pod>(resourceByKind("Pod")!);
    expect(pods.items.length).toBeGreaterThanOrEqual(4);
    for (const p of pods.items) await page.waitForSelector(`[data-pod="${p.metadata.namespace}/${p.metadata.name}"]`, { timeout: 5000 });
    expect(Number(await page.getAttribute("body", "data-pods"))).toBe(pods.items.length);
    expect(await page.textContent("#cluster")).toBe(name);
    expect(await page.$$eval("[data-kind=node]", (els) => els.map((e) => e.getAttribute("data-node")))).toEqual(["node-1", "node-2"]);
    // The Service and its two endpoints, drawn as links.
    await page.waitForSelector('[data-service="default/web"]');
    expect(await page.$$eval("line.link.endpoint", (els) => els.length)).toBeGreaterThanOrEqual(2);
    await shot("loaded.png");
  });

  it("shows a new pod without a reload", async () => {
    await cluster.apply(pausePod("late-comer", "node-2"));
    await page.waitForSelector('[data-pod="default/late-comer"]', { timeout: 10_000 });
    // It turns ready where it is drawn.
    await page.waitForSelector('[data-pod="default/late-comer"].ok', { timeout: 30_000 });
    await shot("new-pod.png");
  });

  it("draws the probe's reachability matrix as a heatmap per port", async () => {
    await page.waitForSelector("#probe-panel[data-state=done] [data-grid='8080/TCP']", { timeout: 60_000 });
    const heading = await page.textContent("[data-grid='8080/TCP'] h3");
    // web pods serve 8080; the pause pods do not: some cells are reachable, some refused.
    expect(heading).toMatch(/^8080\/TCP: [1-9]\d* reachable, [1-9]\d* blocked$/);
    expect(await page.$$eval("[data-grid='8080/TCP'] rect.cell.r1", (els) => els.length)).toBeGreaterThan(0);
    await shot("heatmap.png");
  });

  it("draws a real trace on the topology: client → node → endpoint, with the Service's rules in the panel", async () => {
    await page.fill("#trace-from", "default/client");
    await page.fill("#trace-target", "web:80");
    await page.click("#trace-form button");
    await page.waitForSelector("#trace-summary[data-result]", { timeout: 30_000 });
    expect(await page.getAttribute("#trace-summary", "data-result")).toBe("connected");
    expect(await page.textContent("#trace-summary")).toMatch(/^default\/client → .*default\/web.*: connected → default\/web-/);
    expect(await page.$$eval("path.arrow.request", (els) => els.length)).toBeGreaterThanOrEqual(2);
    expect(await page.$$eval("[data-mark=endpoint]", (els) => els.length)).toBe(1);
    expect(await page.$$eval("[data-mark=dnat]", (els) => els.length)).toBeGreaterThanOrEqual(1);
    expect(await page.$$eval(".shape.on-path", (els) => els.map((e) => e.getAttribute("data-id")))).toContain("pod:default/client");
    expect(await page.textContent("#trace-hops")).toContain("Service default/web");
    await shot("trace.png");
  });
});
