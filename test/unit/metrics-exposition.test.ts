import { describe, expect, it } from "vitest";
import { formatValue, labelText, renderFamilies } from "../../src/metrics/exposition.js";
import { Registry, exponentialBuckets, linearBuckets, mergeSnapshots } from "../../src/metrics/registry.js";
import { Metrics, renderMetrics } from "../../src/dns/metrics.js";
import { TYPE } from "../../src/dns/rr.js";

describe("formatValue (Go's strconv 'g', -1, as client_golang prints)", () => {
  it("switches to exponent form below 1e-4 and from 1e+06", () => {
    expect([0, 1, 0.5, 0.0001, 0.00001, 123456, 1e6, 1234567, 1.7e9, 1712345678.25, -2.5e-7].map(formatValue)).toEqual([
      "0", "1", "0.5", "0.0001", "1e-05", "123456", "1e+06", "1.234567e+06", "1.7e+09", "1.71234567825e+09", "-2.5e-07",
    ]);
    expect([Infinity, -Infinity, NaN].map(formatValue)).toEqual(["+Inf", "-Inf", "NaN"]);
  });

  it("sorts labels by name and escapes values", () => {
    expect(labelText([["verb", "GET"], ["code", '4"0\\4\n']])).toBe('{code="4\\"0\\\\4\\n",verb="GET"}');
    expect(labelText([])).toBe("");
  });
});

describe("Registry", () => {
  it("renders counters, gauges and histograms as client_golang does: families by name, series by labels, le last, unlabelled ones at zero", () => {
    const r = new Registry();
    const requests = r.counter("x_requests_total", "Requests.", ["verb", "code"]);
    const h = r.histogram("x_duration_seconds", "Durations.", [0.1, 1]);
    r.gauge("x_last_timestamp_seconds", "When.");
    r.counter("x_unused_total", "Labelled, never counted.", ["a"]);
    requests.inc(["LIST", "200"]);
    requests.inc(["GET", "404"], 2);
    requests.inc(["LIST", "200"]);
    h.observe(0.05);
    h.observe(0.5);
    h.observe(3);
    expect(r.render()).toBe(
      [
        "# HELP x_duration_seconds Durations.",
        "# TYPE x_duration_seconds histogram",
        'x_duration_seconds_bucket{le="0.1"} 1',
        'x_duration_seconds_bucket{le="1"} 2',
        'x_duration_seconds_bucket{le="+Inf"} 3',
        "x_duration_seconds_sum 3.55",
        "x_duration_seconds_count 3",
        "# HELP x_last_timestamp_seconds When.",
        "# TYPE x_last_timestamp_seconds gauge",
        "x_last_timestamp_seconds 0",
        "# HELP x_requests_total Requests.",
        "# TYPE x_requests_total counter",
        'x_requests_total{code="200",verb="LIST"} 2',
        'x_requests_total{code="404",verb="GET"} 2',
        "",
      ].join("\n"),
    );
  });

  it("puts le after the series' labels on buckets", () => {
    const r = new Registry();
    r.histogram("d", "D.", [1], ["verb"]).observe(1, ["GET"]);
    expect(r.render()).toContain('d_bucket{verb="GET",le="1"} 1\nd_bucket{verb="GET",le="+Inf"} 1\nd_sum{verb="GET"} 1\nd_count{verb="GET"} 1\n');
  });

  it("refuses a wrong number of label values, a family registered twice and bounds that do not increase", () => {
    const r = new Registry();
    const c = r.counter("c_total", "C.", ["a", "b"]);
    expect(() => c.inc(["1"])).toThrow("c_total: expected 2 label values (a, b), got 1");
    expect(() => r.counter("c_total", "again")).toThrow("metric c_total is registered twice");
    expect(() => r.histogram("h", "H.", [1, 1])).toThrow("h: bucket bounds must increase, got 1, 1");
  });

  it("sums worker processes' snapshots", () => {
    const make = (n: number) => {
      const r = new Registry();
      r.counter("req_total", "R.", ["status"]).inc([n === 1 ? "200" : "502"], n);
      r.counter("req_total_only_200", "R.").inc([], n);
      r.histogram("t", "T.", [1]).observe(n);
      return r.snapshot();
    };
    expect(renderFamilies(mergeSnapshots([make(1), make(2)]))).toBe(
      [
        "# HELP req_total R.",
        "# TYPE req_total counter",
        'req_total{status="200"} 1',
        'req_total{status="502"} 2',
        "# HELP req_total_only_200 R.",
        "# TYPE req_total_only_200 counter",
        "req_total_only_200 3",
        "# HELP t T.",
        "# TYPE t histogram",
        't_bucket{le="1"} 1',
        't_bucket{le="+Inf"} 2',
        "t_sum 3",
        "t_count 2",
        "",
      ].join("\n"),
    );
  });

  it("makes client_golang's bucket series", () => {
    expect(exponentialBuckets(0.001, 2, 15).map(formatValue).join(" ")).toBe("0.001 0.002 0.004 0.008 0.016 0.032 0.064 0.128 0.256 0.512 1.024 2.048 4.096 8.192 16.384");
    expect(linearBuckets(60, 5, 3)).toEqual([60, 65, 70]);
  });
});

describe("CoreDNS metrics", () => {
  it("renders coredns_dns_request_duration_seconds by server, type and zone on CoreDNS's time buckets", () => {
    const m = new Metrics();
    m.request(false, false, TYPE.A);
    m.duration(TYPE.A, 0.0001);
    m.duration(TYPE.A, 0.003);
    const text = renderMetrics([m.snapshot()], { server: "dns://:53" });
    const labels = 'server="dns://:53",type="A",zone="."';
    expect(text).toContain("# TYPE coredns_dns_request_duration_seconds histogram\n");
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${labels},le="0.00025"} 1\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${labels},le="0.002"} 1\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${labels},le="0.004"} 2\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${labels},le="8.192"} 2\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_bucket{${labels},le="+Inf"} 2\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_sum{${labels}} 0.0031\n`);
    expect(text).toContain(`coredns_dns_request_duration_seconds_count{${labels}} 2\n`);
  });
});
