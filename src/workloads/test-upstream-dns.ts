// A small authoritative DNS server for tests, run on the outside host: the
// "upstream" the cluster DNS forwards to, so forwarding is tested without any
// real network (the names and the 192.0.2.0/24 documentation addresses it
// answers with are never contacted).
import dns2 from "dns2";

const { Packet } = dns2;

export interface ZoneRecord {
  type: "A" | "CNAME" | "PTR" | "TXT";
  value: string;
}

/** The test zones: example.test, and the names Kubernetes' e2e DNS tests expect upstream. */
export const TEST_ZONES: Record<string, ZoneRecord[]> = {
  "example.test": [{ type: "TXT", value: "kemu test upstream" }],
  "www.example.test": [{ type: "A", value: "192.0.2.10" }],
  "api.example.test": [{ type: "A", value: "192.0.2.11" }, { type: "A", value: "192.0.2.12" }],
  "alias.example.test": [{ type: "CNAME", value: "www.example.test" }],
  "foo.example.com": [{ type: "A", value: "192.0.2.123" }],
  "bar.example.com": [{ type: "A", value: "192.0.2.124" }],
  "abc.acme.local": [{ type: "A", value: "1.1.1.1" }],
  "123.2.0.192.in-addr.arpa": [{ type: "PTR", value: "my.test" }],
};

const APEXES = ["example.test", "example.com", "acme.local", "2.0.192.in-addr.arpa"];
const TYPE_CODES: Record<ZoneRecord["type"], number> = { A: Packet.TYPE.A, CNAME: Packet.TYPE.CNAME, PTR: Packet.TYPE.PTR, TXT: Packet.TYPE.TXT };

/** rcode and answers for one question (pure). */
export function answerTestQuestion(name: string, type: number): { rcode: "NOERROR" | "NXDOMAIN" | "REFUSED"; answers: { name: string; type: number; value: string }[] } {
  const lower = name.toLowerCase().replace(/\.$/, "");
  if (!APEXES.some((z) => lower === z || lower.endsWith(`.${z}`))) return { rcode: "REFUSED", answers: [] };
  const records = TEST_ZONES[lower];
  if (!records) return { rcode: "NXDOMAIN", answers: [] };
  const out: { name: string; type: number; value: string }[] = [];
  for (const r of records) {
    if (TYPE_CODES[r.type] === type) out.push({ name, type, value: r.value });
    else if (r.type === "CNAME") {
      out.push({ name, type: Packet.TYPE.CNAME, value: r.value });
      out.push(...answerTestQuestion(r.value, type).answers);
    }
  }
  return { rcode: "NOERROR", answers: out };
}

const RCODES = { NOERROR: 0, NXDOMAIN: 3, REFUSED: 5 } as const;

export async function runTestUpstreamDns(port = 53, address = "0.0.0.0"): Promise<void> {
  const server = dns2.createServer({
    udp: true,
    tcp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const q = request.questions[0];
      if (q) {
        const { rcode, answers } = answerTestQuestion(q.name, q.type);
        response.header.rcode = RCODES[rcode];
        response.header.aa = rcode !== "REFUSED" ? 1 : 0;
        for (const a of answers) {
          const base = { name: a.name, type: a.type, class: Packet.CLASS.IN, ttl: 60 };
          const field = a.type === Packet.TYPE.A ? { address: a.value } : a.type === Packet.TYPE.TXT ? { data: [a.value] } : { domain: a.value };
          // dns2 encodes plain records; its typings ask for a toBuffer it does not use.
          response.answers.push({ ...base, ...field } as unknown as dns2.Packet.Resource);
        }
      }
      void send(response);
    },
  });
  server.on("requestError", () => undefined);
  await server.listen({ udp: { port, address }, tcp: { port, address } });
  console.log(`test upstream DNS for ${APEXES.join(", ")} on ${address}:${port}`);
  const stop = () => void server.close().finally(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
