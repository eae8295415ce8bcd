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
