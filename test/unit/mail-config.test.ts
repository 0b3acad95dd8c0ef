import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('email configuration from the environment', () => {
  it('takes smtp:// and smtps:// URLs with credentials, and no SMTP_URL means email stays queued', () => {
    expect(loadConfig({}).smtpUrl).toBeUndefined();
    expect(loadConfig({ SMTP_URL: 'smtps://apikey:s3cret@mail.example.com:465' }).smtpUrl).toBe('smtps://apikey:s3cret@mail.example.com:465');
    expect(loadConfig({ SMTP_URL: 'smtp://relay.internal:25' }).smtpUrl).toBe('smtp://relay.internal:25');
  });

  it('refuses another scheme naming SMTP_URL and never its value (it holds a password)', () => {
    expect(() => loadConfig({ SMTP_URL: 'https://user:s3cret@mail.example.com' })).toThrow(ConfigError);
    expect(() => loadConfig({ SMTP_URL: 'https://user:s3cret@mail.example.com' })).toThrow(/SMTP_URL=.*smtp:\/\//);
    expect(() => loadConfig({ SMTP_URL: 'https://user:s3cret@mail.example.com' })).not.toThrow(/s3cret/);
    expect(() => loadConfig({ SMTP_URL: 'not a url s3cret' })).not.toThrow(/s3cret/);
  });

  it('sends from no-reply at the host of PUBLIC_URL unless MAIL_FROM says otherwise, and refuses a MAIL_FROM that is not one line with an address', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://rollcall.example.com/' }).mailFrom).toBe('Rollcall <no-reply@rollcall.example.com>');
    expect(loadConfig({ MAIL_FROM: 'On-call <oncall@example.com>' }).mailFrom).toBe('On-call <oncall@example.com>');
    expect(loadConfig({ MAIL_FROM: 'oncall@example.com' }).mailFrom).toBe('oncall@example.com');
    expect(() => loadConfig({ MAIL_FROM: 'Rollcall' })).toThrow(/MAIL_FROM/);
    expect(() => loadConfig({ MAIL_FROM: 'Rollcall\r\nBcc: x@example.com <a@example.com>' })).toThrow(/MAIL_FROM/);
  });
});
