// The API over HTTPS on 127.0.0.1, for kubectl and client libraries: the same
// handler as the unix socket, behind a bearer token. kubectl sends a token
// only over https (client-go clientcmd: "only try to read the auth
// information if we are secure"), hence TLS with a per-cluster CA, made with
// the openssl command-line tool. The files live in the cluster's state
// directory, mode 0600, and are reused when the daemon starts again, as is the port.
import https from "node:https";
import type http from "node:http";
import type { Duplex } from "node:stream";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ApiError } from "./errors.js";
import { KemuError } from "../errors.js";
import type { ApiEndpoint } from "../kubeconfig/entry.js";

const run = promisify(execFile);

/** The only address the endpoint listens on. */
export const HTTPS_HOST = "127.0.0.1";
const CA_DAYS = 3650;
const SERVING_DAYS = 365;

export function httpsFiles(stateDir: string) {
  const dir = join(stateDir, "https");
  return {
    dir,
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    cert: join(dir, "apiserver.crt"),
    key: join(dir, "apiserver.key"),
    token: join(dir, "token"),
    /** the port last listened on, tried first on the next start */
    port: join(dir, "port"),
  };
}
type HttpsFiles = ReturnType<typeof httpsFiles>;

export interface HttpsCredentials {
  caPem: string;
  certPem: string;
  keyPem: string;
  token: string;
}

/** The files' credentials; made afresh (a new CA, serving certificate and token) unless all are there. */
export async function ensureCredentials(files: HttpsFiles, clusterName: string): Promise<HttpsCredentials> {
  const needed = [files.caCert, files.caKey, files.cert, files.key, files.token];
  if (!needed.every((f) => existsSync(f))) await makeCredentials(files, clusterName);
  return {
    caPem: readFileSync(files.caCert, "utf8"),
    certPem: readFileSync(files.cert, "utf8"),
    keyPem: readFileSync(files.key, "utf8"),
    token: readFileSync(files.token, "utf8").trim(),
  };
}

async function makeCredentials(files: HttpsFiles, clusterName: string): Promise<void> {
  rmSync(files.dir, { recursive: true, force: true });
  mkdirSync(files.dir, { recursive: true, mode: 0o700 });
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  try {
    await run("openssl", ["req", "-x509", ...ec, "-keyout", files.caKey, "-out", files.caCert, "-days", String(CA_DAYS), "-subj", `/CN=kemu-${clusterName}-ca`]);
    const csr = join(files.dir, "apiserver.csr");
    const ext = join(files.dir, "apiserver.ext");
    await run("openssl", ["req", "-new", ...ec, "-keyout", files.key, "-out", csr, "-subj", "/CN=kube-apiserver"]);
    // What Go's TLS verification (kubectl) needs: the address as an IP SAN, serverAuth.
    writeFileSync(ext, "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n");
    const serial = `0x${randomBytes(16).toString("hex")}`;
    await run("openssl", ["x509", "-req", "-in", csr, "-CA", files.caCert, "-CAkey", files.caKey, "-set_serial", serial, "-days", String(SERVING_DAYS), "-extfile", ext, "-out", files.cert]);
    rmSync(csr);
    rmSync(ext);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === "ENOENT") throw new KemuError("the openssl command is missing (kemu makes the API's TLS certificates with it): install it (apt-get install -y openssl)");
    throw new KemuError(`openssl failed making the API's TLS certificates: ${(e.stderr ?? e.message).trim().split("\n")[0]}`);
  }
  writeFileSync(files.token, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600 });
  for (const f of [files.caCert, files.caKey, files.cert, files.key, files.token]) chmodSync(f, 0o600);
}

/** What a client needs, read from a running cluster's state directory. */
export function readApiEndpoint(stateDir: string): ApiEndpoint {
  const files = httpsFiles(stateDir);
  try {
    const port = Number(readFileSync(files.port, "utf8").trim());
    return { server: `https://${HTTPS_HOST}:${port}`, caPem: readFileSync(files.caCert, "utf8"), token: readFileSync(files.token, "utf8").trim() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EACCES") throw new KemuError(`permission denied: cannot read ${files.dir}: run kemu as root (sudo)`);
    if (e.code === "ENOENT") throw new KemuError(`the cluster's HTTPS endpoint is not recorded (${files.dir} is missing): is its control plane running?`);
    throw err;
  }
}

/** The token of an `Authorization: Bearer <token>` header (the scheme in any case, as kube-apiserver reads it), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

export function authorized(header: string | undefined, token: string): boolean {
  const given = bearerToken(header);
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** kube-apiserver's answer to a request it cannot authenticate. */
export const UNAUTHORIZED = new ApiError("Unauthorized", "Unauthorized").toStatus();

/**
 * Written here rather than with the server's sendJson: the CLI imports this
 * module (readApiEndpoint) and must not load the whole API server with it.
 */
function sendUnauthorized(res: http.ServerResponse): void {
  const text = JSON.stringify(UNAUTHORIZED);
  res.writeHead(401, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * The HTTPS listener: authenticates each request and upgrade, then hands it
 * to the REST server's own http.Server (its handler, watches and upgrades).
 */
export class HttpsEndpoint {
  private server?: https.Server;

  constructor(private readonly inner: http.Server) {}

  /** Listens on 127.0.0.1: the port of the last start if it is free, else any free port. Returns the port. */
  async listen(stateDir: string, clusterName: string): Promise<number> {
    const files = httpsFiles(stateDir);
    const creds = await ensureCredentials(files, clusterName);
    const server = https.createServer({ key: creds.keyPem, cert: creds.certPem });
    server.keepAliveTimeout = 60_000;
    server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!authorized(req.headers.authorization, creds.token)) return sendUnauthorized(res);
      this.inner.emit("request", req, res);
    });
    server.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (!authorized(req.headers.authorization, creds.token)) return refuseUpgrade(socket, UNAUTHORIZED);
      if (this.inner.listenerCount("upgrade") > 0) return void this.inner.emit("upgrade", req, socket, head);
      refuseUpgrade(socket, new ApiError("NotFound", `kemu does not serve ${String(req.headers.upgrade)} upgrades (exec, attach, port-forward) yet: ${req.method ?? "GET"} ${req.url ?? "/"}`).toStatus());
    });
    this.server = server;
    const previous = readPort(files.port);
    let port: number;
    try {
      port = await listenOn(server, previous ?? 0);
    } catch (err) {
      if (previous === undefined || !["EADDRINUSE", "EACCES"].includes((err as NodeJS.ErrnoException).code ?? "")) throw err;
      port = await listenOn(server, 0);
    }
    writeFileSync(files.port, `${port}\n`, { mode: 0o600 });
    return port;
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  }
}

function readPort(file: string): number | undefined {
  try {
    const port = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : undefined;
  } catch {
    return undefined;
  }
}

function listenOn(server: https.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error) => reject(err);
    server.once("error", failed);
    server.listen({ host: HTTPS_HOST, port, exclusive: true }, () => {
      server.off("error", failed);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}

/** A plain HTTP answer on a socket that asked for an upgrade, then the socket closed. */
function refuseUpgrade(socket: Duplex, status: { code: number }): void {
  const body = JSON.stringify(status);
  const reason = status.code === 401 ? "Unauthorized" : status.code === 404 ? "Not Found" : "Bad Request";
  socket.end(`HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}
