// The REST server answers kubectl 1.32's requests with the documents it
// expects (shared reference kubectl-api.md §2, §3, §5), over the unix
// socket with kubectl's exact Accept headers (no root needed).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiServer } from "../../src/api/apiserver.js";
import { RestServer } from "../../src/api/server.js";
import { resourceByKind } from "../../src/api/resources.js";
import { servedOpenApiDocument } from "../../src/api/openapi.js";

const DISCOVERY_ACCEPT =
  "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";
const TABLE_ACCEPT = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
const TABLE_TYPE = "application/json;as=Table;v=v1;g=meta.k8s.io";

let dir: string;
let rest: RestServer;
let api: ApiServer;
let socketPath: string;

interface Reply {
  status: number;
  type: string | undefined;
  location: string | undefined;
  body: string;
}

function request(path: string, accept = "application/json"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path, headers: { Accept: accept } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: res.headers["content-type"], location: res.headers.location, body }));
    });
    req.on("error", reject);
  });
}

/** Reads watch events until `count` have arrived, then closes the stream. */
function watchEvents(path: string, count: number, accept: string): Promise<{ type: string | undefined; events: { type: string; object: Record<string, unknown> }[] }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ socketPath, path, headers: { Accept: accept } }, (res) => {
      let buf = "";
      const events: { type: string; object: Record<string, unknown> }[] = [];
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        buf += c;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          events.push(JSON.parse(buf.slice(0, nl)));
          buf = buf.slice(nl + 1);
        }
        if (events.length >= count) {
          req.destroy();
          resolve({ type: res.headers["content-type"], events });
        }
      });
    });
    req.on("error", (e) => ((e as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(e)));
  });
}

const pod = (name: string) => ({ apiVersion: "v1", kind: "Pod", metadata: { name, labels: { app: "web" } }, spec: { containers: [{ name: "c", image: "img" }] } });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kemu-table-"));
  socketPath = join(dir, "api.sock");
  api = new ApiServer();
  api.create(resourceByKind("Namespace")!, { apiVersion: "v1", kind: "Namespace", metadata: { name: "default" } });
  api.create(resourceByKind("Pod")!, pod("web-1"));
  rest = new RestServer(api);
  await rest.listen(socketPath);
});

afterAll(async () => {
  await rest?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("discovery over the socket", () => {
  it("/api and /apis answer aggregated v2 with its exact Content-Type", async () => {
    for (const path of ["/api", "/apis"]) {
      const r = await request(path, DISCOVERY_ACCEPT);
      expect(r.status).toBe(200);
      expect(r.type).toBe("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList");
      expect(JSON.parse(r.body).kind).toBe("APIGroupDiscoveryList");
    }
  });

  it("plain JSON gets legacy discovery; /apis/<group> is an APIGroup; an unknown group is a 404", async () => {
    expect(JSON.parse((await request("/apis")).body).kind).toBe("APIGroupList");
    expect(JSON.parse((await request("/apis/apps")).body)).toMatchObject({ kind: "APIGroup", name: "apps" });
    expect(JSON.parse((await request("/apis/apps/v1")).body).kind).toBe("APIResourceList");
    expect((await request("/apis/example.com/v1")).status).toBe(404);
  });
});

describe("Tables over the socket", () => {
  it("a list with kubectl's Accept is a v1 Table with the list's resourceVersion", async () => {
    const r = await request("/api/v1/namespaces/default/pods?limit=500", TABLE_ACCEPT);
    expect(r.type).toBe(TABLE_TYPE);
    const t = JSON.parse(r.body);
    expect(t.kind).toBe("Table");
    expect(t.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(t.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(["Name", "Ready", "Status", "Restarts", "Age", "IP", "Node", "Nominated Node", "Readiness Gates"]);
    expect(t.rows).toHaveLength(1);
    expect(t.rows[0].cells.slice(0, 3)).toEqual(["web-1", "0/1", "Pending"]);
    expect(t.rows[0].object).toMatchObject({ kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: { name: "web-1", namespace: "default", labels: { app: "web" } } });
  });

  it("a get is a Table of one row; includeObject=Object carries the pod; a bad includeObject is a 400", async () => {
    const one = JSON.parse((await request("/api/v1/namespaces/default/pods/web-1?includeObject=Object", TABLE_ACCEPT)).body);
    expect(one.rows).toHaveLength(1);
    expect(one.rows[0].object).toMatchObject({ kind: "Pod", spec: { containers: [{ name: "c" }] } });
    const bad = await request("/api/v1/namespaces/default/pods?includeObject=Everything", TABLE_ACCEPT);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ kind: "Status", reason: "BadRequest" });
  });

  it("without a Table Accept, a list is still a PodList", async () => {
    expect(JSON.parse((await request("/api/v1/namespaces/default/pods")).body).kind).toBe("PodList");
  });

  it("a watch sends Tables of one row; only the first event has column definitions", async () => {
    const { resourceVersion } = api.list(resourceByKind("Pod")!, { namespace: "default" });
    const done = watchEvents(`/api/v1/namespaces/default/pods?resourceVersion=${resourceVersion}&watch=true`, 2, TABLE_ACCEPT);
    setTimeout(() => {
      api.create(resourceByKind("Pod")!, pod("web-2"));
      api.delete(resourceByKind("Pod")!, "default", "web-2", { gracePeriodSeconds: 0 });
    }, 50);
    const { type, events } = await done;
    expect(type).toBe(TABLE_TYPE);
    expect(events.map((e) => [e.type, e.object.kind, (e.object.rows as { cells: unknown[] }[])[0]!.cells[0]])).toEqual([
      ["ADDED", "Table", "web-2"],
      [events[1]!.type, "Table", "web-2"],
    ]);
    expect((events[0]!.object.columnDefinitions as unknown[]).length).toBe(9);
    expect(events[1]!.object.columnDefinitions).toBeNull();
  });
});

describe("OpenAPI over the socket", () => {
  it("/openapi/v3 lists the group versions; a stale hash is redirected to the current one", async () => {
    const index = JSON.parse((await request("/openapi/v3")).body);
    const url: string = index.paths["api/v1"].serverRelativeURL;
    const doc = await request(url);
    expect(doc.status).toBe(200);
    expect(JSON.parse(doc.body).openapi).toBe("3.0.0");
    const stale = await request("/openapi/v3/api/v1?hash=0123");
    expect(stale.status).toBe(301);
    expect(stale.location).toBe(`/openapi/v3/api/v1?hash=${servedOpenApiDocument("api/v1")!.hash}`);
    expect((await request("/openapi/v3/apis/example.com/v1")).status).toBe(404);
    expect((await request("/openapi/v2")).status).toBe(404);
  });
});
