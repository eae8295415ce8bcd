// The server name a TLS client asks for, read from its ClientHello before
// any TLS state exists (RFC 8446 §4.1.2, RFC 6066 §3 server_name). The
// router picks the certificate with it and starts TLS with exactly that
// one: Node's SNICallback adds the chosen certificate to the default one
// instead of replacing it when their key types differ (an RSA Secret behind
// an EC default), and the client may then be served the default. Pure.

/** Bytes of the TLS record header: type, version, length. */
const RECORD_HEADER = 5;
const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_NAME = 0x0000;
const HOST_NAME = 0x00;

export type ClientHelloName =
  /** more bytes are needed before the first record is whole */
  | { kind: "incomplete" }
  /** not TLS, or a ClientHello without server_name: the default certificate */
  | { kind: "none" }
  | { kind: "name"; name: string };

/** The SNI host name in the first TLS record of a connection. */
export function clientHelloServerName(data: Buffer): ClientHelloName {
  if (data.length < 1) return { kind: "incomplete" };
  if (data[0] !== HANDSHAKE) return { kind: "none" };
  if (data.length < RECORD_HEADER) return { kind: "incomplete" };
  const recordEnd = RECORD_HEADER + data.readUInt16BE(3);
  if (data.length < recordEnd) return { kind: "incomplete" };
  const hello = data.subarray(RECORD_HEADER, recordEnd);
  let at = 0;
  const need = (n: number) => at + n <= hello.length;
  if (!need(4) || hello[0] !== CLIENT_HELLO) return { kind: "none" };
  at += 4; // type, 24-bit length
  at += 2 + 32; // legacy_version, random
  if (!need(1)) return { kind: "none" };
  at += 1 + hello[at]!; // legacy_session_id
  if (!need(2)) return { kind: "none" };
  at += 2 + hello.readUInt16BE(at); // cipher_suites
  if (!need(1)) return { kind: "none" };
  at += 1 + hello[at]!; // legacy_compression_methods
  if (!need(2)) return { kind: "none" };
  const extensionsEnd = Math.min(hello.length, at + 2 + hello.readUInt16BE(at));
  at += 2;
  while (at + 4 <= extensionsEnd) {
    const type = hello.readUInt16BE(at);
    const length = hello.readUInt16BE(at + 2);
    at += 4;
    if (type === SERVER_NAME && at + length <= extensionsEnd) {
      const list = hello.subarray(at, at + length);
      let i = 2; // server_name_list length
      while (i + 3 <= list.length) {
        const nameType = list[i]!;
        const nameLength = list.readUInt16BE(i + 1);
        if (nameType === HOST_NAME && i + 3 + nameLength <= list.length) return { kind: "name", name: list.toString("ascii", i + 3, i + 3 + nameLength).toLowerCase() };
        i += 3 + nameLength;
      }
      return { kind: "none" };
    }
    at += length;
  }
  return { kind: "none" };
}
