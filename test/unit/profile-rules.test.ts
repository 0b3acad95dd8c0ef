import { describe, expect, it } from 'vitest';
import { checkEmail, checkLanguage, checkPhone, checkTimeZone } from '../../src/domain/users/profile-rules.js';
import { redact } from '../../src/log.js';

describe('profile rules', () => {
  it.each([
    ['+1 (415) 555-0123', '+14155550123', 'US'],
    ['+44 20 7946 0958', '+442079460958', 'GB'],
    ['+33 6 12 34 56 78', '+33612345678', 'FR'],
    ['+49 30 901820', '+4930901820', 'DE'],
  ])('parses %s as %s in %s, keeping the value as sent', (value, number, country) => {
    expect(checkPhone(value)).toEqual({ number, country, value });
  });

  it.each(['12345', '+1 555', 'call me', '+999 1234567', ''])('refuses the phone %j, naming it', (value) => {
    expect(() => checkPhone(value, 'phones[0].phone')).toThrow(/phones\[0\]\.phone/);
  });

  it.each(['a@b', 'a b@c.com', 'x@@y.com', '@example.com', 'bob@', 'bob@exa_mple.com'])('refuses the email %j', (value) => {
    expect(() => checkEmail(value)).toThrow(/is not a valid email address/);
  });

  it('accepts ordinary addresses, trimmed', () => {
    expect(checkEmail('  Jane.Doe+oncall@Example.co.uk ')).toBe('Jane.Doe+oncall@Example.co.uk');
  });

  it('takes IANA zones and refuses offsets and inventions', () => {
    expect(checkTimeZone('America/Argentina/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(checkTimeZone('Etc/UTC')).toBe('UTC');
    expect(() => checkTimeZone('+02:00')).toThrow(/IANA/);
    expect(() => checkTimeZone('Europe/Atlantis')).toThrow(/IANA/);
  });

  it('maps locales to the five languages and refuses others', () => {
    expect(['en-US', 'es_MX', 'FR', 'de-AT', 'nl-BE'].map((l) => checkLanguage(l))).toEqual(['en', 'es', 'fr', 'de', 'nl']);
    expect(() => checkLanguage('pt-BR')).toThrow(/"pt-BR" is not supported/);
  });
});

describe('log redaction', () => {
  it('hides credentials at any depth and keeps the rest', () => {
    expect(redact({ user: 'ann', password: 'x', nested: { api_token: 't', list: [{ Authorization: 'Bearer t', ok: 1 }] }, SAMLResponse: 'PHNhbWw+' })).toEqual({
      user: 'ann',
      password: '[redacted]',
      nested: { api_token: '[redacted]', list: [{ Authorization: '[redacted]', ok: 1 }] },
      SAMLResponse: '[redacted]',
    });
  });
});
