// The rules of one service port, in the order and wording of upstream's
// syncProxyRules loop body (pkg/proxy/iptables/proxier.go, v1.29–1.31):
// its entries in the top-level chains (nat KUBE-SERVICES/KUBE-NODEPORTS,
// filter KUBE-SERVICES/KUBE-EXTERNAL-SERVICES/KUBE-NODEPORTS/KUBE-PROXY-FIREWALL)
// and its own chains (KUBE-SVC/SVL/EXT/FW/SEP). Pure.
import { categorizeEndpoints, servicePortKey, type EndpointInfo, type ServicePortInfo } from "../model.js";
import { parseCIDR, type CIDR } from "../../../net/cidr.js";
import { parseIP } from "../../../net/ip.js";
import {
  EXT_PREFIX,
  FW_PREFIX,
  KUBE_EXTERNAL_SERVICES,
  KUBE_MARK_MASQ,
  KUBE_NODEPORTS,
  KUBE_PROXY_FIREWALL,
  KUBE_SERVICES,
  SVC_PREFIX,
  SVL_PREFIX,
  endpointChainName,
  portProtoHash,
} from "./names.js";

/** Settings shared by every service port of one sync. */
export interface ServiceRenderContext {
  masqueradeAll: boolean;
  /** the local-traffic detector's matches (`-s CIDR` / `! -s CIDR`), or undefined when no cluster CIDR is configured */
  ifLocal?: string;
  ifNotLocal?: string;
  /** the node's primary IPv4 address (for loadBalancerSourceRanges that include the node) */
  nodeIP?: string;
  /** more than 1000 endpoints in total: no comments on SVC→SEP and SEP rules */
  largeClusterMode: boolean;
}

/**
 * Everything one service port contributes to a sync. Its entries in the
 * top-level chains are computed at once; its own chains (which need one
 * hash per endpoint and most of the text) on first read, so that a partial
 * sync only pays for the services it rewrites.
 */
export interface ServiceRules {
  /** servicePortKey(): "ns/name:port" */
  readonly key: string;
  /** "ns/name" (what upstream tracks changes by) */
  readonly serviceName: string;
  /** its rules in the filter table's top-level chains */
  readonly filterRules: string[];
  /** its rules in nat KUBE-SERVICES and KUBE-NODEPORTS (written on every sync) */
  readonly natJumps: string[];
  /** names of its own nat chains, in declaration order (EXT, FW, SVC, SVL, SEP…) */
  readonly chainNames: string[];
  /** ":CHAIN - [0:0]" lines for chainNames */
  readonly chains: string[];
  /** -A lines of its own chains (written only when the service changed, or on a full sync) */
  readonly rules: string[];
  /** chains joined with "\n" ("" when none): what the restore text is assembled from */
  readonly chainsText: string;
  /** rules joined with "\n" ("" when none), built without keeping the lines */
  readonly rulesText: string;
}

/**
 * Upstream's endpoint order: by the "ip:port" string (so 10.0.0.10 sorts
 * before 10.0.0.9). Compares without building the strings.
 */
function compareEndpointStrings(a: EndpointInfo, b: EndpointInfo): number {
  if (a.ip === b.ip) {
    const pa = String(a.port);
    const pb = String(b.port);
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  }
  const n = Math.min(a.ip.length, b.ip.length);
  for (let i = 0; i < n; i++) {
    const d = a.ip.charCodeAt(i) - b.ip.charCodeAt(i);
    if (d !== 0) return d;
  }
  // One address is a prefix of the other: the shorter one continues with ":".
  return a.ip.length < b.ip.length ? 58 - b.ip.charCodeAt(n) : a.ip.charCodeAt(n) - 58;
}

function sortByEndpointString(endpoints: EndpointInfo[]): EndpointInfo[] {
  for (let i = 1; i < endpoints.length; i++) {
    if (compareEndpointStrings(endpoints[i - 1]!, endpoints[i]!) > 0) return [...endpoints].sort(compareEndpointStrings);
  }
  return endpoints; // usually sorted already
}

const probabilityCache: string[] = [];

/**
 * 1/n with 10 decimals, as Go's fmt "%0.10f" prints the float64 1.0/n. JS
 * toFixed rounds the same exact binary value, except that it breaks exact
 * ties upwards where Go rounds half to even; a tie needs 1/n to be exact in
 * binary (n a power of two), so those are computed exactly.
 */
export function probability(n: number): string {
  const cached = probabilityCache[n];
  if (cached !== undefined) return cached;
  let text: string;
  if (n > 0 && (n & (n - 1)) === 0) {
    const scale = 10n ** 10n;
    const big = BigInt(n);
    let q = scale / big;
    const r2 = (scale % big) * 2n;
    if (r2 > big || (r2 === big && q % 2n === 1n)) q += 1n;
    const digits = q.toString().padStart(11, "0");
    text = `${digits.slice(0, -10)}.${digits.slice(-10)}`;
  } else {
    text = (1 / n).toFixed(10);
  }
  probabilityCache[n] = text;
  return text;
}

/**
 * The endpoints that get a KUBE-SEP chain on this node: the union of the
 * cluster and local lists (upstream's allReachableEndpoints), cluster ones
 * first. Ready local endpoints are always in the cluster list already.
 */
function reachableEndpoints(cluster: EndpointInfo[], local: EndpointInfo[]): EndpointInfo[] {
  if (local.length === 0) return cluster;
  if (cluster.length === 0) return local;
  if (local.every((e) => e.ready)) return cluster;
  const seen = new Set(cluster);
  return [...cluster, ...local.filter((e) => !seen.has(e))];
}

const statisticCache: string[] = [];

/** The random-choice match of a rule that picks one of n remaining endpoints. */
/**
 * How this IPv4 proxier reads an address: a dotted quad (octets of up to
 * three digits), which it writes into rules as given. IPv6 and IPv4-mapped
 * addresses are another family's proxier's business.
 */
export function isIPv4(ip: string): boolean {
  return parseIP(ip, "dotted")?.family === 4;
}

/** A loadBalancerSourceRanges or --nodeport-addresses entry: an IPv4 CIDR, surrounding spaces ignored (upstream trims them); undefined for anything else. */
export function parseIPv4CIDR(text: string): CIDR | undefined {
  const cidr = parseCIDR(text.trim(), "dotted");
  return cidr?.family === 4 ? cidr : undefined;
}

function statisticMatch(n: number): string {
  return (statisticCache[n] ??= ` -m statistic --mode random --probability ${probability(n)}`);
}

export function renderServicePort(ctx: ServiceRenderContext, sp: ServicePortInfo, rawEndpoints: EndpointInfo[]): ServiceRules {
  const key = servicePortKey(sp);
  const protocol = sp.protocol.toLowerCase();
  const proto = `-m ${protocol} -p ${protocol}`;
  const port = String(sp.port);
  const endpoints = sortByEndpointString(rawEndpoints);
  const { clusterEndpoints, localEndpoints, hasAnyEndpoints: hasEndpoints } = categorizeEndpoints(sp, endpoints);

  // IPv4 proxier: other families are ignored, as upstream's per-family filtering does.
  const externalIPs = sp.externalIPs.filter(isIPv4);
  const lbIPs = sp.loadBalancerIPs.filter(isIPv4);
  const sourceRanges = sp.loadBalancerSourceRanges.map((r) => parseIPv4CIDR(r)).filter((c) => c !== undefined);
  const externallyAccessible = sp.nodePort !== 0 || lbIPs.length > 0 || externalIPs.length > 0;
  const externalPolicyLocal = sp.externalPolicyLocal;

  const hash = portProtoHash(key, protocol);
  const clusterPolicyChain = SVC_PREFIX + hash;
  const localPolicyChain = SVL_PREFIX + hash;
  const externalTrafficChain = EXT_PREFIX + hash;
  const fwChain = FW_PREFIX + hash;
  const usesClusterPolicyChain = clusterEndpoints.length > 0;
  const usesLocalPolicyChain = localEndpoints.length > 0;

  let internalTrafficChain = clusterPolicyChain;
  let hasInternalEndpoints = hasEndpoints;
  if (sp.internalPolicyLocal) {
    internalTrafficChain = localPolicyChain;
    if (localEndpoints.length === 0) hasInternalEndpoints = false;
  }
  let externalPolicyChain = clusterPolicyChain;
  let hasExternalEndpoints = hasEndpoints;
  if (externalPolicyLocal) {
    externalPolicyChain = localPolicyChain;
    if (localEndpoints.length === 0) hasExternalEndpoints = false;
  }
  // Needed even without externally usable endpoints, for the short-circuit rules.
  const usesExternalTrafficChain = hasEndpoints && externallyAccessible;
  const usesFWChain = hasEndpoints && lbIPs.length > 0 && sourceRanges.length > 0;
  const loadBalancerTrafficChain = usesFWChain ? fwChain : externalTrafficChain;

  let internalFilterTarget = "";
  let internalFilterComment = "";
  let externalFilterTarget = "";
  let externalFilterComment = "";
  if (!hasEndpoints) {
    internalFilterTarget = externalFilterTarget = "REJECT";
    internalFilterComment = externalFilterComment = `"${key} has no endpoints"`;
  } else {
    if (!hasInternalEndpoints) {
      internalFilterTarget = "DROP";
      internalFilterComment = `"${key} has no local endpoints"`;
    }
    if (!hasExternalEndpoints) {
      externalFilterTarget = "DROP";
      externalFilterComment = `"${key} has no local endpoints"`;
    }
  }

  const filterRules: string[] = [];
  const natJumps: string[] = [];

  // The cluster IP.
  if (hasInternalEndpoints) {
    natJumps.push(`-A ${KUBE_SERVICES} -m comment --comment "${key} cluster IP" ${proto} -d ${sp.clusterIP} --dport ${port} -j ${internalTrafficChain}`);
  } else {
    filterRules.push(`-A ${KUBE_SERVICES} -m comment --comment ${internalFilterComment} ${proto} -d ${sp.clusterIP} --dport ${port} -j ${internalFilterTarget}`);
  }

  // externalIPs.
  for (const ip of externalIPs) {
    if (hasEndpoints) {
      natJumps.push(`-A ${KUBE_SERVICES} -m comment --comment "${key} external IP" ${proto} -d ${ip} --dport ${port} -j ${externalTrafficChain}`);
    }
    if (!hasExternalEndpoints) {
      filterRules.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${proto} -d ${ip} --dport ${port} -j ${externalFilterTarget}`);
    }
  }

  // Load-balancer ingress IPs.
  for (const ip of lbIPs) {
    if (hasEndpoints) {
      natJumps.push(`-A ${KUBE_SERVICES} -m comment --comment "${key} loadbalancer IP" ${proto} -d ${ip} --dport ${port} -j ${loadBalancerTrafficChain}`);
    }
    if (usesFWChain) {
      filterRules.push(`-A ${KUBE_PROXY_FIREWALL} -m comment --comment "${key} traffic not accepted by ${fwChain}" ${proto} -d ${ip} --dport ${port} -j DROP`);
    }
  }
  if (!hasExternalEndpoints) {
    for (const ip of lbIPs) {
      filterRules.push(`-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} ${proto} -d ${ip} --dport ${port} -j ${externalFilterTarget}`);
    }
  }

  // NodePort (never subject to loadBalancerSourceRanges).
  if (sp.nodePort !== 0) {
    if (hasEndpoints) {
      natJumps.push(`-A ${KUBE_NODEPORTS} -m comment --comment ${key} ${proto} --dport ${sp.nodePort} -j ${externalTrafficChain}`);
    }
    if (!hasExternalEndpoints) {
      filterRules.push(
        `-A ${KUBE_EXTERNAL_SERVICES} -m comment --comment ${externalFilterComment} -m addrtype --dst-type LOCAL ${proto} --dport ${sp.nodePort} -j ${externalFilterTarget}`,
      );
    }
  }

  // healthCheckNodePort: accepted whether or not there are local endpoints.
  if (sp.healthCheckNodePort !== 0) {
    filterRules.push(`-A ${KUBE_NODEPORTS} -m comment --comment "${key} health check node port" -m tcp -p tcp --dport ${sp.healthCheckNodePort} -j ACCEPT`);
  }

  const allReachableEndpoints = reachableEndpoints(clusterEndpoints, localEndpoints);
  // KUBE-SEP names, computed once per endpoint, by index in allReachableEndpoints;
  // the cluster and local lists are usually that very array (else: a lookup map).
  const sepNames: (string | undefined)[] = new Array<string | undefined>(allReachableEndpoints.length);
  const sepAt = (i: number): string => {
    const ep = allReachableEndpoints[i]!;
    return (sepNames[i] ??= endpointChainName(key, protocol, `${ep.ip}:${ep.port}`));
  };
  let reachIndex: Map<EndpointInfo, number> | undefined;
  const sepOf = (list: EndpointInfo[], i: number): string => {
    if (list === allReachableEndpoints) return sepAt(i);
    reachIndex ??= new Map(allReachableEndpoints.map((e, j) => [e, j]));
    return sepAt(reachIndex.get(list[i]!)!);
  };

  const buildChainNames = (): string[] => {
    const names: string[] = [];
    if (usesExternalTrafficChain) names.push(externalTrafficChain);
    if (usesFWChain) names.push(fwChain);
    if (usesClusterPolicyChain) names.push(clusterPolicyChain);
    if (usesLocalPolicyChain) names.push(localPolicyChain);
    for (let i = 0; i < allReachableEndpoints.length; i++) names.push(sepAt(i));
    return names;
  };

  const buildRules = (): string[] => {
    const rules: string[] = [];
    // Internal traffic: masquerade what does not come from the cluster (or everything with masqueradeAll).
    if (hasInternalEndpoints) {
      const args = `-m comment --comment "${key} cluster IP" ${proto} -d ${sp.clusterIP} --dport ${port}`;
      if (ctx.masqueradeAll) {
        rules.push(`-A ${internalTrafficChain} ${args} -j ${KUBE_MARK_MASQ}`);
      } else if (ctx.ifNotLocal !== undefined) {
        rules.push(`-A ${internalTrafficChain} ${args} ${ctx.ifNotLocal} -j ${KUBE_MARK_MASQ}`);
      }
    }

    // External destinations all enter the EXT chain.
    if (usesExternalTrafficChain) {
      if (!externalPolicyLocal) {
        rules.push(`-A ${externalTrafficChain} -m comment --comment "masquerade traffic for ${key} external destinations" -j ${KUBE_MARK_MASQ}`);
      } else {
        if (ctx.ifLocal !== undefined) {
          rules.push(`-A ${externalTrafficChain} -m comment --comment "pod traffic for ${key} external destinations" ${ctx.ifLocal} -j ${clusterPolicyChain}`);
        }
        rules.push(
          `-A ${externalTrafficChain} -m comment --comment "masquerade LOCAL traffic for ${key} external destinations" -m addrtype --src-type LOCAL -j ${KUBE_MARK_MASQ}`,
        );
        rules.push(
          `-A ${externalTrafficChain} -m comment --comment "route LOCAL traffic for ${key} external destinations" -m addrtype --src-type LOCAL -j ${clusterPolicyChain}`,
        );
      }
      if (hasExternalEndpoints) rules.push(`-A ${externalTrafficChain} -j ${externalPolicyChain}`);
    }

    // loadBalancerSourceRanges.
    if (usesFWChain) {
      const args = `-A ${fwChain} -m comment --comment "${key} loadbalancer IP"`;
      let allowFromNode = false;
      const nodeIP = ctx.nodeIP === undefined ? undefined : parseIP(ctx.nodeIP, "dotted");
      for (const cidr of sourceRanges) {
        rules.push(`${args} -s ${cidr.toString()} -j ${externalTrafficChain}`);
        if (nodeIP !== undefined && cidr.contains(nodeIP)) allowFromNode = true;
      }
      if (allowFromNode) {
        for (const ip of lbIPs) rules.push(`${args} -s ${ip} -j ${externalTrafficChain}`);
      }
      rules.push(`-A ${fwChain} -m comment --comment "other traffic to ${key} will be dropped by ${KUBE_PROXY_FIREWALL}"`);
    }

    // Large-cluster mode drops these comments (the text is not even built).
    const large = ctx.largeClusterMode;
    const arrow = (ep: EndpointInfo): string => (large ? "" : ` -m comment --comment "${key} -> ${ep.ip}:${ep.port}"`);
    const writeServiceToEndpointRules = (chain: string, eps: EndpointInfo[]): void => {
      if (sp.affinityTimeoutSeconds !== undefined) {
        eps.forEach((ep, i) => {
          const name = sepOf(eps, i);
          rules.push(`-A ${chain}${arrow(ep)} -m recent --name ${name} --rcheck --seconds ${sp.affinityTimeoutSeconds} --reap -j ${name}`);
        });
      }
      const n = eps.length;
      eps.forEach((ep, i) => {
        rules.push(`-A ${chain}${arrow(ep)}${i < n - 1 ? statisticMatch(n - i) : ""} -j ${sepOf(eps, i)}`);
      });
    };

    if (usesClusterPolicyChain) {
      writeServiceToEndpointRules(clusterPolicyChain, clusterEndpoints);
    }
    if (usesLocalPolicyChain) {
      writeServiceToEndpointRules(localPolicyChain, localEndpoints);
    }

    // One chain per endpoint reachable from this node: hairpin SNAT, then DNAT.
    for (let i = 0; i < allReachableEndpoints.length; i++) {
      const ep = allReachableEndpoints[i]!;
      const name = sepAt(i);
      let args = large ? `-A ${name}` : `-A ${name} -m comment --comment ${key}`;
      rules.push(`${args} -s ${ep.ip} -j ${KUBE_MARK_MASQ}`);
      if (sp.affinityTimeoutSeconds !== undefined) args += ` -m recent --name ${name} --set`;
      rules.push(`${args} ${proto} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    }

    return rules;
  };

  let chainNames: string[] | undefined;
  let chains: string[] | undefined;
  let rules: string[] | undefined;
  let chainsText: string | undefined;
  let rulesText: string | undefined;
  return {
    key,
    serviceName: `${sp.namespace}/${sp.name}`,
    filterRules,
    natJumps,
    get chainNames(): string[] {
      return (chainNames ??= buildChainNames());
    },
    get chains(): string[] {
      return (chains ??= this.chainNames.map(chainLine));
    },
    get rules(): string[] {
      return (rules ??= buildRules());
    },
    // At 10k services the lines are millions of small strings: joining each
    // service's lines while they are young keeps the garbage collector's work
    // (and the restore's cost) low.
    get chainsText(): string {
      return (chainsText ??= (chains ?? this.chainNames.map(chainLine)).join("\n"));
    },
    get rulesText(): string {
      return (rulesText ??= (rules ?? buildRules()).join("\n"));
    },
  };
}

/** The restore-file declaration of a chain (creates it, or flushes it if it exists). */
export function chainLine(chain: string): string {
  return `:${chain} - [0:0]`;
}
