import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('configuration from the environment', () => {
  it('LISTENs on DATABASE_URL unless DATABASE_LISTEN_URL names another connection', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://app@pgbouncer:6432/rollcall' }).listenUrl).toBe('postgres://app@pgbouncer:6432/rollcall');
    const behindPooler = loadConfig({ DATABASE_URL: 'postgres://app@pgbouncer:6432/rollcall', DATABASE_LISTEN_URL: 'postgres://app@db:5432/rollcall' });
    expect(behindPooler.databaseUrl).toBe('postgres://app@pgbouncer:6432/rollcall');
    expect(behindPooler.listenUrl).toBe('postgres://app@db:5432/rollcall');
    expect(loadConfig({}).listenUrl).toBeUndefined();
  });

  it('refuses a DATABASE_LISTEN_URL that is not PostgreSQL, or without DATABASE_URL, naming the variable and not the value', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://app@db/rollcall', DATABASE_LISTEN_URL: 'mysql://secret@db/x' })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://app@db/rollcall', DATABASE_LISTEN_URL: 'mysql://secret@db/x' })).toThrow(/DATABASE_LISTEN_URL=.*postgres:\/\//);
    expect(() => loadConfig({ DATABASE_LISTEN_URL: 'postgres://app@db/rollcall' })).toThrow(/DATABASE_LISTEN_URL/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://app@db/rollcall', DATABASE_LISTEN_URL: 'mysql://secret@db/x' })).not.toThrow(/secret/);
  });

  it('trusts loopback proxies unless TRUST_PROXY says how many hops or which addresses and subnets', () => {
    expect(loadConfig({}).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: ' ' }).trustProxy).toEqual(['loopback']);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(0);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback,192.0.2.7,FD00::/8,uniquelocal' }).trustProxy).toEqual(['10.0.0.0/8', 'loopback', '192.0.2.7', 'fd00::/8', 'uniquelocal']);
  });

  it('refuses a TRUST_PROXY that is neither, naming the variable and the value', () => {
    for (const bad of ['true', '-1', '33', '1.5', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/x', '10.0.0.256', 'my-proxy.internal', '10.0.0.1,', 'loopback;10.0.0.1']) {
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(ConfigError);
      expect(() => loadConfig({ TRUST_PROXY: bad }), bad).toThrow(`TRUST_PROXY=${JSON.stringify(bad)} is not valid: expected a number of proxy hops`);
    }
  });

  it('takes a METRICS_TOKEN long enough not to be guessed, and never shows it in an error', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: '' }).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'a1b2c3d4e5f60718293a4b5c6d7e8f90' }).metricsToken).toBe('a1b2c3d4e5f60718293a4b5c6d7e8f90');
    for (const bad of ['short-secret', 'has a space in it!!', 'x'.repeat(513), 'tab\there-0123456789']) {
      expect(() => loadConfig({ METRICS_TOKEN: bad })).toThrow(/METRICS_TOKEN="\(hidden\)" is not valid: expected from 16 to 512 printable characters/);
      expect(() => loadConfig({ METRICS_TOKEN: bad })).not.toThrow(bad.slice(0, 12));
    }
  });

  it('keeps the provisioning log 30 days unless PROVISIONING_LOG_RETENTION_DAYS says otherwise, from 1 to 3650', () => {
    expect(loadConfig({}).provisioningLogRetentionDays).toBe(30);
    expect(loadConfig({ PROVISIONING_LOG_RETENTION_DAYS: '7' }).provisioningLogRetentionDays).toBe(7);
    for (const bad of ['0', '-1', '3651', '1.5', 'thirty']) {
      expect(() => loadConfig({ PROVISIONING_LOG_RETENTION_DAYS: bad })).toThrow(ConfigError);
      expect(() => loadConfig({ PROVISIONING_LOG_RETENTION_DAYS: bad })).toThrow(`PROVISIONING_LOG_RETENTION_DAYS=${JSON.stringify(bad)} is not valid: expected a whole number from 1 to 3650`);
    }
  });
});
