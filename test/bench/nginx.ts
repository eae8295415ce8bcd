// nginx as the reference reverse proxy of the Ingress benchmark: Debian's
// binary, and a configuration equivalent to what ingress-nginx renders for one
// Ingress path (round robin over the endpoints, upstream keep-alive, the
// X-Forwarded-* headers), run as a pod so it sits where kemu's router sits.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { KubeObject } from "../../src/index.js";

const INSTALLED = "/usr/sbin/nginx";
/** Outside the repository: pods do not see kemu's install directory, but they do see /var read-only. */
const CACHE = "/var/cache/kemu-bench/nginx";

/**
 * Debian's nginx binary: the installed one, else the package unpacked into
 * CACHE. Not `apt-get install`: its postinst starts the nginx service on
 * port 80 of this host's root namespace, which the benchmark must leave alone.
 */
export async function nginxBinary(log: (line: string) => void): Promise<string> {
  if (existsSync(INSTALLED)) return INSTALLED;
  const cached = join(CACHE, "usr/sbin/nginx");
  if (existsSync(cached)) return cached;
  log(`nginx is not installed: fetching Debian's package (apt-get download nginx) and unpacking it into ${CACHE}`);
  const dir = mkdtempSync(join(tmpdir(), "kemu-bench-nginx-"));
  try {
    const download = () => execa("apt-get", ["download", "-qq", "nginx"], { cwd: dir, timeout: 120_000 });
    try {
      await download();
    } catch {
      // A fresh host may have no package lists yet.
      await execa("apt-get", ["update", "-qq"], { timeout: 300_000 }).catch(() => undefined);
      await download();
    }
    const deb = readdirSync(dir).find((f) => f.endsWith(".deb"));
    if (!deb) throw new Error("apt-get download left no .deb");
    await execa("dpkg-deb", ["-x", join(dir, deb), join(dir, "root")]);
    await execa(join(dir, "root/usr/sbin/nginx"), ["-v"]);
    mkdirSync(join(CACHE, ".."), { recursive: true });
    rmSync(CACHE, { recursive: true, force: true });
    renameSync(join(dir, "root"), CACHE);
    return cached;
  } catch (err) {
    const why = (err as { shortMessage?: string; message: string }).shortMessage ?? (err as Error).message;
    throw new Error(`the ingress benchmark needs nginx (Debian package "nginx") as its reference and could not get it (${why}); install it with "apt-get install nginx" and run the benchmark again`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface NginxProxyOptions {
  /** the endpoints, "ip:port" */
  upstreams: string[];
  workers: number;
}

/**
 * nginx.conf for a reverse proxy doing what ingress-nginx's template does
 * for one location with its ConfigMap defaults (docs/user-guide/
 * nginx-configuration/configmap.md): upstream-keepalive-connections 320,
 * -requests 10000, -timeout 60 s, HTTP/1.1 upstream, client keep-alive 75 s
 * for 1000 requests; the request headers of ../shared/reference/ingress.md §7.
 * Everything it writes goes to /tmp, the pod's own tmpfs; no access log.
 */
export function nginxProxyConfig(o: NginxProxyOptions): string {
  return `worker_processes ${o.workers};
pid /tmp/nginx.pid;
error_log /tmp/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path /tmp/client_body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  keepalive_timeout 75s;
  keepalive_requests 1000;
  upstream backend {
${o.upstreams.map((u) => `    server ${u};`).join("\n")}
    keepalive 320;
    keepalive_requests 10000;
    keepalive_timeout 60s;
  }
  server {
    listen 80 default_server reuseport;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Request-ID $request_id;
      proxy_set_header X-Real-IP $remote_addr;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Forwarded-Host $host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Scheme $scheme;
      proxy_set_header X-Scheme $scheme;
      proxy_set_header Proxy "";
    }
  }
}
`;
}

/** nginx as a pod on NODE running the host's binary with CONFIG (written to the pod's /tmp at start). */
export function nginxPod(name: string, labels: Record<string, string>, node: string, binary: string, config: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, labels },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: "nginx",
          image: "docker.io/library/nginx:1.22",
          command: ["/bin/sh", "-c", `printf '%s' "$NGINX_CONF" > /tmp/nginx.conf && exec ${binary} -e /tmp/error.log -c /tmp/nginx.conf -g 'daemon off;'`],
          env: [{ name: "NGINX_CONF", value: config }],
          ports: [{ name: "http", containerPort: 80 }],
        },
      ],
    },
  };
}
