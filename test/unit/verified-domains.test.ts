import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { normalizeDomain, txtRecordOf } from '../../src/domain/domains/domains-service.js';
import { Invalid } from '../../src/domain/errors.js';

describe('domain names to verify', () => {
  it.each([
    ['Acme.Example', 'acme.example'],
    ['  acme.example.  ', 'acme.example'],
    ['mail.eu.acme-corp.example', 'mail.eu.acme-corp.example'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['Bücher.example', 'xn--bcher-kva.example'],
    [`${'a'.repeat(63)}.example`, `${'a'.repeat(63)}.example`],
  ])('%s is kept as %s', (typed, kept) => {
    expect(normalizeDomain(typed)).toBe(kept);
  });

  it.each([
    ['', 'empty'],
    ['example', 'one label'],
    ['*.acme.example', 'a wildcard'],
    ['192.168.0.1', 'an IP address'],
    ['acme..example', 'an empty label'],
    ['-acme.example', 'a leading hyphen'],
    ['acme-.example', 'a trailing hyphen'],
    ['acme_corp.example', 'an underscore'],
    [`${'a'.repeat(64)}.example`, 'a label over 63'],
    [`${'abcdefghi.'.repeat(25)}example`, 'over 253 in all'],
    ['a'.repeat(10_000), '10 KB'],
    ['acme\u0000.example', 'a NUL'],
    ['acme.example\n', 'a newline'],
    ['https://acme.example', 'a URL'],
    ['ann@acme.example', 'an email'],
  ])('%j is refused (%s), with a short message', (typed) => {
    let error: unknown;
    try {
      normalizeDomain(typed);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(Invalid);
    expect((error as Invalid).field).toBe('domain');
    expect((error as Invalid).message.length).toBeLessThan(400);
  });

  it('the TXT record is named after the domain and holds its token', () => {
    expect(txtRecordOf({ domain: 'acme.example', verification_token: 'tok123' })).toEqual({
      name: '_rollcall-challenge.acme.example',
      value: 'rollcall-domain-verification=tok123',
    });
  });
});

describe('DNS_RESOLVER', () => {
  it('is unset (the system resolver) unless given', () => {
    expect(loadConfig({}).dnsResolver).toBeUndefined();
    expect(loadConfig({ DNS_RESOLVER: '' }).dnsResolver).toBeUndefined();
  });

  it('takes IP addresses with an optional port, several comma-separated', () => {
    expect(loadConfig({ DNS_RESOLVER: '127.0.0.1:5353' }).dnsResolver).toEqual(['127.0.0.1:5353']);
    expect(loadConfig({ DNS_RESOLVER: '10.0.0.2, [::1]:5353, ::1, [fd00::1]' }).dnsResolver).toEqual(['10.0.0.2:53', '[::1]:5353', '[::1]:53', '[fd00::1]:53']);
  });

  it.each(['dns.example:53', '127.0.0.1:0', '127.0.0.1:70000', '127.0.0.1:', '1.2.3', 'udp://1.1.1.1'])('refuses %j naming the variable', (value) => {
    expect(() => loadConfig({ DNS_RESOLVER: value })).toThrow(ConfigError);
    expect(() => loadConfig({ DNS_RESOLVER: value })).toThrow(/DNS_RESOLVER/);
  });
});
