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
});
