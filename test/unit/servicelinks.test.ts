// Service environment variables (upstream pkg/kubelet/envvars, getServiceEnvVarMap).
import { describe, it, expect } from "vitest";
import { serviceEnv, MASTER_SERVICES } from "../../src/agent/kubelet/servicelinks.js";
import type { Service } from "../../src/api/types.js";

type Port = { name?: string; port: number; protocol?: "TCP" | "UDP" | "SCTP" };

function svc(namespace: string, name: string, clusterIP: string, ports: Port[], type: "ClusterIP" | "ExternalName" = "ClusterIP"): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec: { type, clusterIP, ports } };
}

const kubernetes = svc("default", "kubernetes", "10.96.0.1", [{ name: "https", port: 443, protocol: "TCP" }]);

const KUBERNETES_ENV = {
  KUBERNETES_SERVICE_HOST: "10.96.0.1",
  KUBERNETES_SERVICE_PORT: "443",
  KUBERNETES_SERVICE_PORT_HTTPS: "443",
  KUBERNETES_PORT: "tcp://10.96.0.1:443",
  KUBERNETES_PORT_443_TCP: "tcp://10.96.0.1:443",
  KUBERNETES_PORT_443_TCP_PROTO: "tcp",
  KUBERNETES_PORT_443_TCP_PORT: "443",
  KUBERNETES_PORT_443_TCP_ADDR: "10.96.0.1",
};

describe("serviceEnv", () => {
  it("gives the kubernetes Service of the default namespace to every pod", () => {
    expect(MASTER_SERVICES).toEqual(["kubernetes"]);
    expect(serviceEnv([kubernetes], "default")).toEqual(KUBERNETES_ENV);
    expect(serviceEnv([kubernetes], "app")).toEqual(KUBERNETES_ENV);
    expect(serviceEnv([kubernetes], "app", { enableServiceLinks: false })).toEqual(KUBERNETES_ENV);
    expect(serviceEnv([], "app")).toEqual({});
  });

  it("adds the Services of the pod's namespace: host, ports, named ports and Docker link variables", () => {
    const services = [
      kubernetes,
      svc("app", "web-frontend", "10.96.12.7", [
        { port: 80, protocol: "TCP" },
        { name: "metrics-http", port: 9090, protocol: "TCP" },
        { name: "dns", port: 53, protocol: "UDP" },
      ]),
      svc("other", "elsewhere", "10.96.1.1", [{ port: 8080, protocol: "TCP" }]),
    ];
    expect(serviceEnv(services, "app")).toEqual({
      ...KUBERNETES_ENV,
      WEB_FRONTEND_SERVICE_HOST: "10.96.12.7",
      WEB_FRONTEND_SERVICE_PORT: "80",
      WEB_FRONTEND_SERVICE_PORT_METRICS_HTTP: "9090",
      WEB_FRONTEND_SERVICE_PORT_DNS: "53",
      WEB_FRONTEND_PORT: "tcp://10.96.12.7:80",
      WEB_FRONTEND_PORT_80_TCP: "tcp://10.96.12.7:80",
      WEB_FRONTEND_PORT_80_TCP_PROTO: "tcp",
      WEB_FRONTEND_PORT_80_TCP_PORT: "80",
      WEB_FRONTEND_PORT_80_TCP_ADDR: "10.96.12.7",
      WEB_FRONTEND_PORT_9090_TCP: "tcp://10.96.12.7:9090",
      WEB_FRONTEND_PORT_9090_TCP_PROTO: "tcp",
      WEB_FRONTEND_PORT_9090_TCP_PORT: "9090",
      WEB_FRONTEND_PORT_9090_TCP_ADDR: "10.96.12.7",
      WEB_FRONTEND_PORT_53_UDP: "udp://10.96.12.7:53",
      WEB_FRONTEND_PORT_53_UDP_PROTO: "udp",
      WEB_FRONTEND_PORT_53_UDP_PORT: "53",
      WEB_FRONTEND_PORT_53_UDP_ADDR: "10.96.12.7",
    });
    // enableServiceLinks: false keeps only the master service.
    expect(serviceEnv(services, "app", { enableServiceLinks: false })).toEqual(KUBERNETES_ENV);
  });

  it("takes the first port for <NAME>_PORT and <NAME>_SERVICE_PORT, protocol TCP when unset", () => {
    expect(serviceEnv([svc("app", "db", "10.96.3.3", [{ name: "sql", port: 5432 }, { name: "admin", port: 8081, protocol: "SCTP" }])], "app")).toEqual({
      DB_SERVICE_HOST: "10.96.3.3",
      DB_SERVICE_PORT: "5432",
      DB_SERVICE_PORT_SQL: "5432",
      DB_SERVICE_PORT_ADMIN: "8081",
      DB_PORT: "tcp://10.96.3.3:5432",
      DB_PORT_5432_TCP: "tcp://10.96.3.3:5432",
      DB_PORT_5432_TCP_PROTO: "tcp",
      DB_PORT_5432_TCP_PORT: "5432",
      DB_PORT_5432_TCP_ADDR: "10.96.3.3",
      DB_PORT_8081_SCTP: "sctp://10.96.3.3:8081",
      DB_PORT_8081_SCTP_PROTO: "sctp",
      DB_PORT_8081_SCTP_PORT: "8081",
      DB_PORT_8081_SCTP_ADDR: "10.96.3.3",
    });
  });

  it("skips headless and ExternalName Services", () => {
    const services = [
      svc("app", "headless", "None", [{ port: 80 }]),
      svc("app", "external", "", [], "ExternalName"),
      svc("app", "pending", "", [{ port: 80 }]),
    ];
    expect(serviceEnv(services, "app")).toEqual({});
  });

  it("brackets IPv6 addresses in URLs", () => {
    expect(serviceEnv([svc("app", "v6", "fd00::10", [{ port: 80, protocol: "TCP" }])], "app")).toEqual({
      V6_SERVICE_HOST: "fd00::10",
      V6_SERVICE_PORT: "80",
      V6_PORT: "tcp://[fd00::10]:80",
      V6_PORT_80_TCP: "tcp://[fd00::10]:80",
      V6_PORT_80_TCP_PROTO: "tcp",
      V6_PORT_80_TCP_PORT: "80",
      V6_PORT_80_TCP_ADDR: "fd00::10",
    });
  });

  it("lets a kubernetes Service of the pod's namespace shadow the default one, whatever the list order", () => {
    const own = svc("app", "kubernetes", "10.96.9.9", [{ port: 8443, protocol: "TCP" }]);
    const expected = {
      KUBERNETES_SERVICE_HOST: "10.96.9.9",
      KUBERNETES_SERVICE_PORT: "8443",
      KUBERNETES_PORT: "tcp://10.96.9.9:8443",
      KUBERNETES_PORT_8443_TCP: "tcp://10.96.9.9:8443",
      KUBERNETES_PORT_8443_TCP_PROTO: "tcp",
      KUBERNETES_PORT_8443_TCP_PORT: "8443",
      KUBERNETES_PORT_8443_TCP_ADDR: "10.96.9.9",
    };
    expect(serviceEnv([kubernetes, own], "app")).toEqual(expected);
    expect(serviceEnv([own, kubernetes], "app")).toEqual(expected);
    // Without service links, the pod's own Services do not count, so the default one stays.
    expect(serviceEnv([own, kubernetes], "app", { enableServiceLinks: false })).toEqual(KUBERNETES_ENV);
  });

  it("only counts master services from the default namespace, and honours another master list", () => {
    const services = [svc("kube-system", "kubernetes", "10.96.5.5", [{ port: 443 }]), svc("default", "api", "10.96.0.2", [{ port: 6443 }])];
    expect(serviceEnv(services, "app")).toEqual({});
    expect(Object.keys(serviceEnv(services, "app", { masterServices: ["api"], enableServiceLinks: false })).sort()).toEqual([
      "API_PORT",
      "API_PORT_6443_TCP",
      "API_PORT_6443_TCP_ADDR",
      "API_PORT_6443_TCP_PORT",
      "API_PORT_6443_TCP_PROTO",
      "API_SERVICE_HOST",
      "API_SERVICE_PORT",
    ]);
  });
});
