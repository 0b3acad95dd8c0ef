import { promises as dns } from 'node:dns';

/**
 * TXT look-ups for domain verification, through node's own resolver (c-ares): the servers named
 * in configuration (DNS_RESOLVER), or the system's when none are. Every look-up ends: c-ares is
 * given a timeout and a number of tries, and a deadline of our own cancels whatever is left, so
 * a name server that never answers costs the admin a few seconds, never a hung request.
 */

export interface DnsCheckOptions {
  /** "127.0.0.1:5353", "[::1]:53", ...; none = the system's resolvers (/etc/resolv.conf). */
  servers?: readonly string[];
  /** c-ares' timeout of one try, in milliseconds. */
  timeoutMs?: number;
  tries?: number;
  /** The longest a look-up may take altogether, in milliseconds. */
  deadlineMs?: number;
}

export type TxtLookup =
  /** The TXT records at the name, each one's strings joined (a long value comes in 255-byte chunks). */
  | { outcome: 'found'; values: string[] }
  /** The name does not exist, or has no TXT record. */
  | { outcome: 'absent' }
  /** No answer could be had: `reason` says why in words. */
  | { outcome: 'failed'; reason: string };

/** What c-ares' error codes mean, for an admin reading why a check failed. */
const REASONS: Record<string, string> = {
  ETIMEOUT: 'the DNS query timed out',
  ECANCELLED: 'the DNS query timed out',
  ECONNREFUSED: 'the DNS server refused the connection',
  ESERVFAIL: "the domain's name servers answered SERVFAIL",
  EREFUSED: 'the DNS server refused the query',
  EBADRESP: 'the DNS server sent a malformed answer',
  EFORMERR: 'the DNS server could not read the query',
  ENOTIMP: 'the DNS server does not implement the query',
  ECONNRESET: 'the connection to the DNS server was reset',
  EBADNAME: 'the name cannot be looked up',
};

export class DnsCheck {
  private readonly timeoutMs: number;
  private readonly tries: number;
  private readonly deadlineMs: number;

  constructor(private readonly options: DnsCheckOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.tries = options.tries ?? 2;
    this.deadlineMs = options.deadlineMs ?? 5000;
  }

  async lookupTxt(name: string): Promise<TxtLookup> {
    // One resolver per look-up, so that cancelling it at the deadline cancels nothing else.
    const resolver = new dns.Resolver({ timeout: this.timeoutMs, tries: this.tries });
    if (this.options.servers?.length) resolver.setServers([...this.options.servers]);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        resolver.cancel();
        reject(Object.assign(new Error('deadline'), { code: 'ETIMEOUT' }));
      }, this.deadlineMs);
    });
    try {
      const records = await Promise.race([resolver.resolveTxt(name), deadline]);
      return records.length ? { outcome: 'found', values: records.map((chunks) => chunks.join('')) } : { outcome: 'absent' };
    } catch (err) {
      const code = (err as { code?: string }).code ?? '';
      if (code === 'ENOTFOUND' || code === 'ENODATA') return { outcome: 'absent' };
      return { outcome: 'failed', reason: REASONS[code] ?? `the DNS query failed (${code || 'unknown error'})` };
    } finally {
      clearTimeout(timer);
    }
  }
}
