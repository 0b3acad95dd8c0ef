import dns2 from 'dns2';

const { Packet } = dns2;

/**
 * A real DNS server on 127.0.0.1 (UDP, a free port), built with dns2: it answers the TXT records
 * a test sets, NXDOMAIN for every other name, and nothing at all for the names a test makes
 * silent (a name server that never answers). Give `address` to the app as its DNS_RESOLVER.
 */
export interface TestDnsServer {
  /** "127.0.0.1:PORT" */
  address: string;
  /** The TXT records at `name` from now on (each value one record). */
  setTxt(name: string, values: string[]): void;
  /** Questions about `name` get no answer. */
  silence(name: string): void;
  stop(): Promise<void>;
}

export async function startTestDnsServer(): Promise<TestDnsServer> {
  const txt = new Map<string, string[]>();
  const silent = new Set<string>();
  const server = dns2.createServer({
    udp: true,
    handle(request, send) {
      const response = Packet.createResponseFromRequest(request);
      const [question] = request.questions;
      const name = question?.name.toLowerCase() ?? '';
      if (silent.has(name)) return;
      const values = txt.get(name);
      if (values && question.type === Packet.TYPE.TXT) {
        // dns2's Resource type asks for the encoder it adds itself when the packet is written
        for (const data of values) response.answers.push({ name: question.name, type: Packet.TYPE.TXT, class: Packet.CLASS.IN, ttl: 1, data } as unknown as dns2.Packet.Resource);
      } else if (!values) {
        response.header.rcode = 3; // NXDOMAIN
      }
      send(response);
    },
  });
  const addresses = await server.listen({ udp: { port: 0, address: '127.0.0.1' } });
  return {
    address: `127.0.0.1:${addresses.udp!.port}`,
    setTxt: (name, values) => txt.set(name.toLowerCase(), values),
    silence: (name) => silent.add(name.toLowerCase()),
    stop: () => server.close(),
  };
}
