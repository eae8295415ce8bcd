// Manifests the Service tests share.
export const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.53";

export function netexecDeployment(name: string, replicas: number, opts: { labels?: Record<string, string>; nodeSelector?: Record<string, string>; extraPodSpec?: string } = {}): string {
  const labels = opts.labels ?? { app: name };
  const labelText = Object.entries(labels).map(([k, v]) => `${k}: ${v}`).join(", ");
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { ${labelText} } }
  template:
    metadata: { labels: { ${labelText} } }
    spec:
      terminationGracePeriodSeconds: 1
${opts.nodeSelector ? `      nodeSelector: { ${Object.entries(opts.nodeSelector).map(([k, v]) => `${k}: ${v}`).join(", ")} }\n` : ""}${opts.extraPodSpec ?? ""}      containers:
        - name: netexec
          image: ${AGNHOST}
          args: [netexec, --http-port=8080, --udp-port=8081]
          ports:
            - { name: http, containerPort: 8080 }
            - { name: udp, containerPort: 8081, protocol: UDP }
`;
}

export function pausePod(name: string, node?: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { role: client } }
spec:
  terminationGracePeriodSeconds: 0
${node ? `  nodeName: ${node}\n` : ""}  containers: [{ name: c, image: "${AGNHOST}", args: [pause] }]
`;
}

/** A Deployment set up for zero-downtime rollouts (readiness probe, preStop, maxUnavailable 0) and its Service. */
export const ROLLING_APP = `apiVersion: apps/v1
kind: Deployment
metadata: { name: app }
spec:
  replicas: 3
  strategy: { type: RollingUpdate, rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }
  selector: { matchLabels: { app: app } }
  template:
    metadata: { labels: { app: app } }
    spec:
      terminationGracePeriodSeconds: 10
      containers:
        - name: netexec
          image: ${AGNHOST}
          args: [netexec, --http-port=8080, --udp-port=8081]
          env: [{ name: VERSION, value: v1 }]
          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }
          lifecycle: { preStop: { sleep: { seconds: 3 } } }
---
apiVersion: v1
kind: Service
metadata: { name: app }
spec: { selector: { app: app }, ports: [{ port: 80, targetPort: 8080 }] }
`;
