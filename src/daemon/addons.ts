// The cluster add-ons every kemu cluster starts with, as kubeadm installs
// them: CoreDNS (kemu's resolver) as the kube-system/coredns Deployment
// behind the kube-dns Service at 10.96.0.10.
import type { KubeObject } from "../api/types.js";
import type { ClusterConfig } from "./config.js";
import { outsideAddress } from "../linux/addressing.js";

export const COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3";

/** The upstreams the cluster DNS forwards to: the configured ones, plus the outside host's test server if it runs. */
export function dnsUpstreams(config: ClusterConfig): string[] {
  return [...config.dnsUpstreams, ...(config.testUpstreamDns ? [`${outsideAddress(config.underlayCidr)}:53`] : [])];
}

export function coreDnsAddon(config: ClusterConfig): KubeObject[] {
  const labels = { "k8s-app": "kube-dns" };
  const args = ["--zone", config.clusterDomain, "--dns-ip", config.clusterDns[0]!, "--ttl", "30", "--workers", "2", ...dnsUpstreams(config).flatMap((u) => ["--upstream", u])];
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "coredns", namespace: "kube-system", labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1, maxSurge: "25%" } },
        template: {
          metadata: { labels },
          spec: {
            // As kubeadm's: the DNS server itself must not resolve through itself.
            dnsPolicy: "Default",
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: "coredns",
                image: COREDNS_IMAGE,
                args,
                ports: [
                  { name: "dns", containerPort: 53, protocol: "UDP" },
                  { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                  { name: "metrics", containerPort: 9153, protocol: "TCP" },
                ],
                livenessProbe: { httpGet: { path: "/health", port: 8080 }, initialDelaySeconds: 60, timeoutSeconds: 5, failureThreshold: 5 },
                readinessProbe: { httpGet: { path: "/ready", port: 8181 }, periodSeconds: 1 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "kube-dns",
        namespace: "kube-system",
        labels: { ...labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" },
        annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" },
      },
      spec: {
        clusterIP: config.clusterDns[0],
        selector: labels,
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
          { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
        ],
      },
    },
  ];
}

export const INGRESS_ROUTER_IMAGE = "kemu.dev/kemu-ingress-router:v1";
/** kemu's router serves these IngressClasses: its own (the default) and ingress-nginx's, so manifests written for it work unchanged. */
export const INGRESS_CLASSES = [
  { name: "kemu", controller: "kemu.dev/ingress-router", default: true },
  { name: "nginx", controller: "k8s.io/ingress-nginx", default: false },
];

/** kemu's GatewayClass: Gateways of this class are served by the same router (the router's KEMU_GATEWAY_CONTROLLER; a unit test holds them equal). */
export const GATEWAY_CLASS = { name: "kemu", controllerName: "kemu.dev/gateway-controller" };

/**
 * The Ingress router, as ingress-nginx is usually deployed: a Deployment in
 * its own namespace behind a LoadBalancer Service with externalTrafficPolicy
 * Local (clients' addresses reach the router unchanged, so X-Forwarded-For
 * and X-Real-IP carry them), its IngressClasses and its GatewayClass. Each
 * Gateway gets a LoadBalancer Service of its own from the router itself.
 */
export function ingressRouterAddon(): KubeObject[] {
  const labels = { "app.kubernetes.io/name": "ingress-router", "app.kubernetes.io/part-of": "kemu" };
  return [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "kemu-system" } },
    ...INGRESS_CLASSES.map((c) => ({
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: c.name, ...(c.default ? { annotations: { "ingressclass.kubernetes.io/is-default-class": "true" } } : {}) },
      spec: { controller: c.controller },
    })),
    {
      apiVersion: "gateway.networking.k8s.io/v1",
      kind: "GatewayClass",
      metadata: { name: GATEWAY_CLASS.name },
      spec: { controllerName: GATEWAY_CLASS.controllerName, description: "kemu's router: Ingress and Gateway API in one" },
    },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "ingress-router", namespace: "kemu-system", labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            terminationGracePeriodSeconds: 5,
            containers: [
              {
                name: "router",
                image: INGRESS_ROUTER_IMAGE,
                args: ["--publish-service", "kemu-system/ingress-router", "--workers", "2"],
                ports: [
                  { name: "http", containerPort: 80, protocol: "TCP" },
                  { name: "https", containerPort: 443, protocol: "TCP" },
                  { name: "health", containerPort: 10254, protocol: "TCP" },
                ],
                readinessProbe: { httpGet: { path: "/healthz", port: 10254 }, periodSeconds: 1 },
                livenessProbe: { httpGet: { path: "/healthz", port: 10254 }, initialDelaySeconds: 10, failureThreshold: 5 },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "ingress-router", namespace: "kemu-system", labels },
      spec: {
        type: "LoadBalancer",
        externalTrafficPolicy: "Local",
        selector: labels,
        ports: [
          { name: "http", port: 80, targetPort: "http", protocol: "TCP" },
          { name: "https", port: 443, targetPort: "https", protocol: "TCP" },
        ],
      },
    },
  ];
}
