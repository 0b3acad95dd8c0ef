import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestAccount, type TestApp, uniqueEmail } from '../support/test-app.js';

let app: TestApp;
let acme: TestAccount;

beforeAll(async () => {
  app = await startTestApp();
  acme = await app.createAccount('Acme');
});
afterAll(() => app?.stop());

const newMember = (overrides: Record<string, unknown> = {}) => ({
  user_attributes: {
    name: 'Bobby Hill',
    emails_attributes: [{ email: uniqueEmail('bobby') }],
    phones_attributes: [{ phone: '+1 (415) 555-0123' }],
    ...overrides,
  },
});

describe('POST /api/v4/account_users', () => {
  it('creates a member with a primary email and a phone stored as E.164 beside the value as sent', async () => {
    const res = await app.request('POST', '/api/v4/account_users', { token: acme.token, body: { ...newMember(), roles: { broadcaster: true } } });
    expect(res.status).toBe(201);
    expect(res.body.id).toMatch(/^au_/);
    expect(res.body.roles).toEqual({ admin: false, billing: false, broadcaster: true, communicator: false });
    expect(res.body.user.emails).toHaveLength(1);
    expect(res.body.user.emails[0].primary).toBe(true);
    expect(res.body.user.phones[0]).toMatchObject({ phone: '+14155550123', value: '+1 (415) 555-0123', country: 'US', primary: true });
  });
});
