import { describe, expect, it } from "vitest";
import { ApiMetrics, requestLabels } from "../../src/api/metrics.js";

const short = (method: string, url: string, ct?: string) => {
  const l = requestLabels(method, url, ct);
  return l && `${l.verb} ${l.dry_run}|${l.group}|${l.version}|${l.resource}|${l.subresource}|${l.scope}`;
};

describe("apiserver request labels (upstream's CanonicalVerb, CleanVerb, CleanScope, cleanDryRun)", () => {
  it("tells GET from LIST by scope, and WATCH by ?watch", () => {
    expect(short("GET", "/api/v1/namespaces/default/pods/web")).toBe("GET ||v1|pods||resource");
    expect(short("GET", "/api/v1/namespaces/default/pods")).toBe("LIST ||v1|pods||namespace");
    expect(short("GET", "/api/v1/pods")).toBe("LIST ||v1|pods||cluster");
    expect(short("GET", "/api/v1/namespaces/default/pods?watch=true&resourceVersion=5")).toBe("WATCH ||v1|pods||namespace");
    expect(short("GET", "/api/v1/pods?watch=1")).toBe("WATCH ||v1|pods||cluster");
    expect(short("GET", "/api/v1/pods?watch=false")).toBe("LIST ||v1|pods||cluster");
    expect(short("GET", "/apis/apps/v1/namespaces/default/deployments/web")).toBe("GET |apps|v1|deployments||resource");
  });

  it("reports creates as POST on the resource scope, APPLY for a server-side apply PATCH, DELETE for collections too", () => {
    expect(short("POST", "/api/v1/namespaces/default/services")).toBe("POST ||v1|services||resource");
    expect(short("PUT", "/api/v1/namespaces/default/services/web")).toBe("PUT ||v1|services||resource");
    expect(short("PATCH", "/api/v1/namespaces/default/services/web", "application/merge-patch+json")).toBe("PATCH ||v1|services||resource");
    expect(short("PATCH", "/api/v1/namespaces/default/services/web?fieldManager=x", "application/apply-patch+yaml")).toBe("APPLY ||v1|services||resource");
    expect(short("DELETE", "/api/v1/namespaces/default/pods")).toBe("DELETE ||v1|pods||namespace");
    expect(short("PUT", "/api/v1/namespaces/default/pods/web/status")).toBe("PUT ||v1|pods|status|resource");
  });

  it("reports CONNECT for exec, attach, portforward and log", () => {
    expect(short("GET", "/api/v1/namespaces/default/pods/web/log")).toBe("CONNECT ||v1|pods|log|resource");
    expect(short("POST", "/api/v1/namespaces/default/pods/web/exec?command=ls")).toBe("CONNECT ||v1|pods|exec|resource");
  });

  it("labels dryRun, and non-resource paths by path; unknown paths are not recorded", () => {
    expect(short("POST", "/api/v1/namespaces/default/services?dryRun=All")).toBe("POST All||v1|services||resource");
    expect(short("POST", "/api/v1/namespaces/default/services?dryRun=Yes")).toBe("POST invalid||v1|services||resource");
    expect(short("GET", "/healthz")).toBe("GET ||||/healthz|");
    expect(short("GET", "/apis/apps/v1")).toBe("GET ||||/apis/apps/v1|");
    expect(short("GET", "/no/such/thing")).toBeUndefined();
  });

  it("renders both families with upstream's label names and buckets", () => {
    const m = new ApiMetrics();
    m.record(requestLabels("GET", "/api/v1/namespaces/default/pods", undefined)!, 200, 0.003);
    const text = m.render();
    const labels = 'component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"';
    expect(text).toContain(`apiserver_request_total{code="200",${labels}} 1\n`);
    expect(text).toContain(`apiserver_request_duration_seconds_bucket{${labels},le="0.005"} 1\n`);
    expect(text).toContain(`apiserver_request_duration_seconds_bucket{${labels},le="60"} 1\n`);
    expect(text).toContain(`apiserver_request_duration_seconds_count{${labels}} 1\n`);
    expect(text).toContain("# TYPE apiserver_request_duration_seconds histogram\n");
  });
});
