import { describe, expect, it } from "vitest";
import { parseMetricTypes, parsePrometheusText } from "../../src/observe/metrics/parse.js";
import { sumOf } from "../../src/observe/metrics/select.js";

const TEXT = `# HELP kubeproxy_sync_proxy_rules_duration_seconds SyncProxyRules latency in seconds
# TYPE kubeproxy_sync_proxy_rules_duration_seconds histogram
kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="0.001"} 0
kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="+Inf"} 3
kubeproxy_sync_proxy_rules_duration_seconds_sum 0.25
kubeproxy_sync_proxy_rules_duration_seconds_count 3
# TYPE kubeproxy_sync_proxy_rules_last_timestamp_seconds gauge
kubeproxy_sync_proxy_rules_last_timestamp_seconds 1.7e+09
apiserver_request_total{code="200",component="apiserver",verb="LIST"} 7 1700000000000
odd{a="q\\"uote",b="back\\\\slash",c="new\\nline",} NaN
neg -Inf
`;

describe("parsePrometheusText", () => {
  it("reads names, labels (escapes, trailing comma), values, timestamps; histograms as their _bucket/_sum/_count samples", () => {
    expect(parsePrometheusText(TEXT)).toEqual([
      { name: "kubeproxy_sync_proxy_rules_duration_seconds_bucket", labels: { le: "0.001" }, value: 0 },
      { name: "kubeproxy_sync_proxy_rules_duration_seconds_bucket", labels: { le: "+Inf" }, value: 3 },
      { name: "kubeproxy_sync_proxy_rules_duration_seconds_sum", labels: {}, value: 0.25 },
      { name: "kubeproxy_sync_proxy_rules_duration_seconds_count", labels: {}, value: 3 },
      { name: "kubeproxy_sync_proxy_rules_last_timestamp_seconds", labels: {}, value: 1.7e9 },
      { name: "apiserver_request_total", labels: { code: "200", component: "apiserver", verb: "LIST" }, value: 7, timestampMs: 1700000000000 },
      { name: "odd", labels: { a: 'q"uote', b: "back\\slash", c: "new\nline" }, value: NaN },
      { name: "neg", labels: {}, value: -Infinity },
    ]);
  });

  it("reads the # TYPE lines", () => {
    expect([...parseMetricTypes(TEXT)]).toEqual([
      ["kubeproxy_sync_proxy_rules_duration_seconds", "histogram"],
      ["kubeproxy_sync_proxy_rules_last_timestamp_seconds", "gauge"],
    ]);
  });

  it("names the line it cannot read", () => {
    expect(() => parsePrometheusText("ok 1\nbad{a=1} 2\n")).toThrow('metrics text line 2: expected ="…" after label a: "bad{a=1} 2"');
    expect(() => parsePrometheusText("x{a=\"1\"}\n")).toThrow("line 1: expected a value");
    expect(() => parsePrometheusText("x one\n")).toThrow("expected a number, got one");
    expect(() => parsePrometheusText('x{a="1} 2\n')).toThrow("unterminated label value");
  });

  it("sums the series that match", () => {
    const samples = parsePrometheusText('r{code="200",verb="GET"} 2\nr{code="404",verb="GET"} 1\nr{code="200",verb="LIST"} 5\n');
    expect(sumOf(samples, "r", { verb: "GET" })).toBe(3);
    expect(sumOf(samples, "r", { code: "200" })).toBe(7);
    expect(sumOf(samples, "r", { code: "500" })).toBe(0);
    expect(sumOf(samples, "r")).toBe(8);
  });
});
