// The `kubernetes` Service in `default`, which every cluster's API server
// keeps: the first address of the service CIDR (10.96.0.1), port 443 named
// https to the API server's 6443.
import type { Service } from "../../api/types.js";
import { parseIPv4Cidr } from "./clusterip.js";
import { DEFAULT_SERVICE_CIDR } from "./admission.js";

/** The first usable address of a service CIDR: what the `kubernetes` Service gets. */
export function apiServerServiceIP(serviceCidr: string = DEFAULT_SERVICE_CIDR): string {
  return parseIPv4Cidr(serviceCidr).network.plus(1)!.toString();
}

/**
 * The manifest of the `kubernetes` Service. It has no selector: upstream the
 * API server writes its endpoints itself. kemu's API is a unix socket, not a
 * TCP listener on the node network, so there is nothing to point them at yet
 * and the Service has no endpoints.
 */
export function defaultKubernetesService(serviceCidr: string = DEFAULT_SERVICE_CIDR): Service {
  const ip = apiServerServiceIP(serviceCidr);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
    spec: {
      type: "ClusterIP",
      clusterIP: ip,
      clusterIPs: [ip],
      ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }],
      sessionAffinity: "None",
    },
  };
}
