// The server name read from a real ClientHello (Node's own TLS client
// writes it), before any TLS state: RFC 6066 §3 server_name.
import { describe, expect, it } from "vitest";
import net from "node:net";
import tls from "node:tls";
import { clientHelloServerName } from "../../src/ingress/proxy/client-hello.js";

/** The first bytes a TLS client sends to a server that never answers. */
async function clientHello(servername: string | undefined): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const got = new Promise<Buffer>((resolve) => server.once("connection", (s) => s.once("data", (d: Buffer) => (s.destroy(), resolve(d)))));
  const client = tls.connect({ host: "127.0.0.1", port: (server.address() as net.AddressInfo).port, ...(servername ? { servername } : {}), rejectUnauthorized: false });
  client.on("error", () => {});
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

describe("clientHelloServerName", () => {
  it("reads the SNI host name (lower-cased)", async () => {
    expect(clientHelloServerName(await clientHello("Secure.Example"))).toEqual({ kind: "name", name: "secure.example" });
  });

  it("no server_name (a client connecting by address): none, the default certificate", async () => {
    expect(clientHelloServerName(await clientHello(undefined))).toEqual({ kind: "none" });
  });

  it("a record not yet whole is incomplete at every cut; plain HTTP is none", async () => {
    const hello = await clientHello("a.test");
    for (const cut of [0, 1, 4, 5, 40, hello.length - 1]) expect(clientHelloServerName(hello.subarray(0, cut))).toEqual({ kind: "incomplete" });
    expect(clientHelloServerName(Buffer.from("GET / HTTP/1.1\r\n\r\n"))).toEqual({ kind: "none" });
  });

  it("a truncated or corrupt hello is none, never an exception", async () => {
    const hello = Buffer.from(await clientHello("a.test"));
    hello.writeUInt16BE(0xffff, 5 + 4 + 2 + 32 + 1 + hello[5 + 4 + 2 + 32]!); // cipher_suites length past the end
    expect(clientHelloServerName(hello)).toEqual({ kind: "none" });
  });
});
