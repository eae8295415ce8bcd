// Service allocation (ClusterIPs, NodePorts, load-balancer IPs) as an API-server admission.
export { ServiceAllocation, DEFAULT_SERVICE_CIDR, DEFAULT_NODE_PORT_RANGE, DEFAULT_LOAD_BALANCER_POOL } from "./admission.js";
export type { ServiceAllocationOptions, Holdings } from "./admission.js";
export { defaultKubernetesService, apiServerServiceIP } from "./kubernetes.js";
export { ClusterIpAllocator } from "./clusterip.js";
export { NodePortAllocator } from "./nodeport.js";
export { LoadBalancerPool } from "./loadbalancer.js";
export { Bitmap, AllocationError } from "./bitmap.js";
