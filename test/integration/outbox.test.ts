import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Knex } from 'knex';
import { type Database, openDatabase } from '../../src/db/database.js';
import { migrateLatest } from '../../src/db/migrate.js';
import { consumeEmailProof, emailProofWrite, issueEmailProof, peekEmailProof, revokeEmailProofs } from '../../src/domain/auth/email-proofs.js';
import { Invalid } from '../../src/domain/errors.js';
import { claimDueOutboxMessage } from '../../src/domain/notifications/outbox-store.js';
import { deliverQueuedSoon, listOutbox, OutboxDelivery, type OutboxDeliveryOptions, outboxInsert, retryGivenUp } from '../../src/domain/notifications/outbox.js';
import { freePort, runCli, scratchEnvironment } from '../support/started-server.js';
import { onPostgres, openTestDatabase } from '../support/test-database.js';
import { startTestSmtpServer, type TestSmtpServer } from '../support/test-smtp-server.js';
import { logLinesOf } from '../support/log-capture.js';

let database: Database;
let db: Knex;
let smtp: TestSmtpServer;
const workers: OutboxDelivery[] = [];

beforeAll(async () => {
  database = await openTestDatabase();
  db = database.knex;
  smtp = await startTestSmtpServer();
});
afterAll(async () => {
  await smtp?.close();
  await database?.close();
});
beforeEach(async () => {
  // each test starts with an empty outbox and a server that accepts everything
  await db('outbox_messages').del();
  smtp.refuseRecipients(undefined);
  smtp.delayData(0);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop(5_000)));
});

const MAIL_FROM = 'Rollcall <no-reply@rollcall.test>';

/** A worker on the test database and SMTP server, with short timings; stopped after the test. */
function worker(options: Partial<OutboxDeliveryOptions> = {}): OutboxDelivery {
  const w = new OutboxDelivery({ db, changes: database.changes, smtpUrl: smtp.url, mailFrom: MAIL_FROM, intervalMs: 100, retryBaseMs: 100, retryMaxMs: 200, smtpTimeoutMs: 2_000, ...options });
  workers.push(w);
  return w;
}

let counter = 0;
function address(name: string): string {
  return `${name}.${++counter}.${Date.now().toString(36)}@example.org`;
}

async function queue(to: string, extra: { kind?: string; html?: string; text?: string; subject?: string } = {}): Promise<string> {
  const [row] = (await outboxInsert(db, { to, subject: extra.subject ?? 'Join Acme on Rollcall', text: extra.text ?? 'Hello', html: extra.html, kind: extra.kind ?? 'invitation' }).returning('id')) as { id: string }[];
  return row.id;
}

async function row(id: string) {
  return db('outbox_messages').where({ id }).first();
}

/** Polls `check` until it answers something truthy, up to `timeoutMs`. */
async function until<T>(check: () => Promise<T | undefined | null | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every log line written while `work` runs, as one text. */
const logsOf = async (work: () => Promise<void>): Promise<string> => (await logLinesOf(work)).join('');

describe('the outbox, delivered over SMTP', () => {
  it('delivers a queued message (subject, recipient, the link in the body), then clears its bodies; the logs hold neither the body, the link nor the address', async () => {
    const to = address('ada');
    const link = 'https://rollcall.example.com/invitations/confirm?token=rc_prf_secret-link-value';
    const w = worker({ intervalMs: 60_000 });
    let id = '';
    const logs = await logsOf(async () => {
      w.start();
      id = await queue(to, { text: `Accept here:\n${link}\n`, html: `<p><a href="${link}">Accept</a></p>` });
      deliverQueuedSoon(); // after the commit: the worker need not wait for its interval
      const mail = await smtp.waitFor(to);
      expect(mail.to).toEqual([to]);
      expect(mail.from).toBe('no-reply@rollcall.test');
      expect(mail.parsed.from?.value).toEqual([{ name: 'Rollcall', address: 'no-reply@rollcall.test' }]);
      expect(mail.subject).toBe('Join Acme on Rollcall');
      expect(mail.text).toContain(link);
      expect(mail.html).toContain(`href="${link}"`);
      expect(mail.messageId).toBe(`<${id}@rollcall.test>`);
      await until(async () => (await row(id)).sent_at);
    });
    const stored = await row(id);
    expect(stored).toMatchObject({ text_body: null, html_body: null, attempts: 1, last_error: null, next_attempt_at: null, kind: 'invitation', to_address: to });
    expect(JSON.stringify(stored)).not.toContain('rc_prf_');

    expect(logs).toContain(id);
    expect(logs).toContain('"recipient_domain":"example.org"');
    expect(logs).toContain('"outcome":"sent"');
    expect(logs).not.toContain(to);
    expect(logs).not.toContain('rc_prf_');
    expect(logs).not.toContain('Accept');
  });

  it('is written with the change that causes it or not at all: as a companion WITH of another statement, or in a transaction that rolls back', async () => {
    const to = address('companion');
    const proof = emailProofWrite(db, { email: to, purpose: 'invitation', subjectId: 'au_companion', ttlSeconds: 600 });
    // the message and the proof as companions of one statement
    await db.with('proof', proof.insert).with('message', outboxInsert(db, { to, subject: 'S', text: `link ${proof.token}`, kind: 'invitation' })).select(db.raw('1 as one'));
    expect(await db('outbox_messages').where({ to_address: to }).first()).toBeDefined();
    expect(await peekEmailProof(db, proof.token, 'invitation')).toMatchObject({ email: to, subjectId: 'au_companion' });

    // the statement fails (its main insert collides): neither companion is written
    const lost = address('lost');
    const existing = (await db('outbox_messages').where({ to_address: to }).first()).id as string;
    const lostProof = emailProofWrite(db, { email: lost, purpose: 'invitation', subjectId: 'au_lost', ttlSeconds: 600 });
    await expect(
      db.with('proof', lostProof.insert).with('message', outboxInsert(db, { to: lost, subject: 'S', text: 'x', kind: 'invitation' })).into('outbox_messages').insert({ id: existing, to_address: lost, subject: 'dup', kind: 'x' }),
    ).rejects.toThrow();
    expect(await db('outbox_messages').where({ to_address: lost }).first()).toBeUndefined();
    expect(await db('email_proofs').where({ email: lost }).first()).toBeUndefined();

    // in a transaction that rolls back: nothing
    await expect(
      db.transaction(async (trx) => {
        await outboxInsert(trx, { to: lost, subject: 'S', text: 'x', kind: 'invitation' });
        throw new Error('the change fails');
      }),
    ).rejects.toThrow('the change fails');
    expect(await db('outbox_messages').where({ to_address: lost }).first()).toBeUndefined();
  });

  it('refuses a recipient that is not one address, and a kind or subject that could carry a header', () => {
    expect(() => outboxInsert(db, { to: 'a@example.org, b@example.org', subject: 'S', text: 'x', kind: 'invitation' })).toThrow(Invalid);
    expect(() => outboxInsert(db, { to: 'a@example.org\r\nBcc: b@example.org', subject: 'S', text: 'x', kind: 'invitation' })).toThrow(Invalid);
    expect(() => outboxInsert(db, { to: 'not-an-address', subject: 'S', text: 'x', kind: 'invitation' })).toThrow(Invalid);
    expect(() => outboxInsert(db, { to: 'a@example.org', subject: 'S', text: 'x', kind: 'Invitation\r\n' })).toThrow(Invalid);
    expect(outboxInsert(db, { to: 'a@example.org', subject: 'Line\r\nBcc: b@example.org', text: 'x', kind: 'invitation' }).toSQL().bindings).toContain('Line Bcc: b@example.org');
  });

  it('retries a message the server refuses for now (451 on RCPT TO), keeping the error, the body and the attempts, until it is accepted', async () => {
    const to = address('later');
    const id = await queue(to, { text: 'the link' });
    smtp.refuseRecipients(451);
    const w = worker({ retryBaseMs: 300, retryMaxMs: 300 });
    expect(await w.deliverDue()).toEqual({ sent: 0, failed: 1 });
    const failed = await row(id);
    expect(failed).toMatchObject({ attempts: 1, sent_at: null, text_body: 'the link' });
    expect(failed.last_error).toMatch(/RCPT TO 451/);
    expect(failed.next_attempt_at.getTime()).toBeGreaterThan(Date.now());
    // not due again before its backoff
    expect(await w.deliverDue()).toEqual({ sent: 0, failed: 0 });

    smtp.refuseRecipients(undefined);
    await new Promise((r) => setTimeout(r, 400));
    expect(await w.deliverDue()).toEqual({ sent: 1, failed: 0 });
    expect(await row(id)).toMatchObject({ attempts: 2, text_body: null, last_error: null });
    expect((await smtp.waitFor(to)).text).toContain('the link');
  });

  it('keeps retrying on its own while the SMTP server is down, and delivers once it is up: the process stays up', async () => {
    const port = await freePort(); // nothing listens there yet
    const to = address('down');
    const id = await queue(to);
    const w = worker({ smtpUrl: `smtp://127.0.0.1:${port}`, intervalMs: 50, retryBaseMs: 100, retryMaxMs: 150, maxAttempts: 100 });
    w.start();
    const failed = await until(async () => {
      const r = await row(id);
      return r.attempts >= 2 && r;
    });
    expect(failed.sent_at).toBeNull();
    expect(failed.last_error).toMatch(/ECONNREFUSED|ECONNECTION/);

    const late = await startTestSmtpServer(port);
    try {
      expect((await late.waitFor(to)).to).toEqual([to]);
      await until(async () => (await row(id)).sent_at);
    } finally {
      await late.close();
    }
  });

  it('gives up at once on a recipient refused for good (550), and after maxAttempts on a temporary refusal; retryGivenUp queues them again', async () => {
    const gone = address('gone');
    const goneId = await queue(gone);
    smtp.refuseRecipients(550);
    const w = worker({ maxAttempts: 2, retryBaseMs: 1, retryMaxMs: 1 });
    const logs = await logsOf(async () => {
      expect(await w.deliverDue()).toEqual({ sent: 0, failed: 1 });
    });
    expect(await row(goneId)).toMatchObject({ attempts: 1, next_attempt_at: null, sent_at: null });
    expect((await row(goneId)).last_error).toMatch(/550/);
    expect(logs).toContain('"outcome":"given_up"');
    expect(logs).not.toContain(gone); // the server's reply names the address: the log line does not

    const busy = address('busy');
    const busyId = await queue(busy);
    smtp.refuseRecipients(451);
    await w.deliverDue();
    await new Promise((r) => setTimeout(r, 20));
    await w.deliverDue();
    expect(await row(busyId)).toMatchObject({ attempts: 2, next_attempt_at: null });
    expect((await listOutbox(db, { unsent: true })).map((m) => [m.id, m.status])).toEqual(expect.arrayContaining([[goneId, 'given_up'], [busyId, 'given_up']]));

    smtp.refuseRecipients(undefined);
    expect(await retryGivenUp(db, [busyId])).toBe(1);
    expect(await w.deliverDue()).toEqual({ sent: 1, failed: 0 });
    expect((await smtp.waitFor(busy)).to).toEqual([busy]);
    expect(await row(goneId)).toMatchObject({ next_attempt_at: null, sent_at: null }); // not named: left given up
  });

  it('a message in one worker\'s hands (claimed, its lease running) is not taken by another until the lease runs out', async () => {
    const to = address('leased');
    const id = await queue(to);
    const claimed = await claimDueOutboxMessage(db, 60); // a worker on another instance, mid-send
    expect(claimed?.id).toBe(id);
    const other = worker();
    expect(await other.deliverDue()).toEqual({ sent: 0, failed: 0 });
    // that worker died: once its lease runs out, the message is sent (at least once)
    await db('outbox_messages').where({ id }).update({ next_attempt_at: db.raw(`now() - interval '1 second'`) });
    expect(await other.deliverDue()).toEqual({ sent: 1, failed: 0 });
    expect(await row(id)).toMatchObject({ attempts: 2 });
  });

  it('three workers on one database send each of 30 messages exactly once' + (onPostgres() ? ' (PostgreSQL: concurrent claims on separate connections)' : ' (PGlite: one connection, claims in turn)'), async () => {
    const tos = Array.from({ length: 30 }, (_, i) => address(`many${i}`));
    const before = smtp.received.length;
    smtp.delayData(5);
    const ws = [worker({ intervalMs: 20 }), worker({ intervalMs: 20 }), worker({ intervalMs: 20 })];
    for (const w of ws) w.start();
    await Promise.all(tos.map((to) => queue(to, { kind: 'bulk' })));
    await until(async () => {
      const [{ n }] = await db('outbox_messages').where({ kind: 'bulk' }).whereNull('sent_at').count<{ n: number }[]>('* as n');
      return Number(n) === 0;
    }, 30_000);
    const got = smtp.received.slice(before);
    expect(got).toHaveLength(30);
    expect(new Set(got.map((m) => m.messageId)).size).toBe(30);
    expect(got.map((m) => m.to[0]).sort()).toEqual([...tos].sort());
    const attempts = (await db('outbox_messages').where({ kind: 'bulk' }).select('attempts')).map((r: { attempts: number }) => r.attempts);
    expect(attempts).toEqual(Array(30).fill(1)); // each claimed once
  });

  describe.runIf(onPostgres())('on PostgreSQL', () => {
    it('a claim passes over a message another transaction holds (SKIP LOCKED) instead of waiting for it', async () => {
      const first = await queue(address('held'));
      await new Promise((r) => setTimeout(r, 5));
      const second = await queue(address('free'));
      const w = worker();
      const trx = await db.transaction();
      try {
        await trx('outbox_messages').where({ id: first }).forUpdate().select('id');
        const started = Date.now();
        expect(await w.deliverDue()).toEqual({ sent: 1, failed: 0 });
        expect(Date.now() - started).toBeLessThan(5_000);
        expect((await row(second)).sent_at).not.toBeNull();
        expect((await row(first)).sent_at).toBeNull();
      } finally {
        await trx.commit();
      }
      expect(await w.deliverDue()).toEqual({ sent: 1, failed: 0 });
    });

    it('a message queued by another instance wakes the worker at once (the table\'s NOTIFY), not at its next interval', async () => {
      const w = worker({ intervalMs: 600_000 });
      w.start();
      await until(async () => database.changes.live);
      await new Promise((r) => setTimeout(r, 200)); // the start's own pass is over
      const to = address('notified');
      await queue(to); // no deliverQueuedSoon: as if written by another process
      expect((await smtp.waitFor(to, 5_000)).to).toEqual([to]);
    });
  });

  it('stop() lets the message in hand finish and claims nothing more', async () => {
    const first = address('inhand');
    const second = address('after');
    smtp.delayData(300);
    const w = worker({ intervalMs: 600_000 });
    const firstId = await queue(first);
    w.start();
    await until(async () => smtp.recipientsTried > 0 && (await row(firstId)).attempts === 1);
    await queue(second);
    await w.stop();
    expect((await row(firstId)).sent_at).not.toBeNull();
    expect(await db('outbox_messages').where({ to_address: second }).first()).toMatchObject({ attempts: 0, sent_at: null });
  });

  it('deletes the records of messages sent more than 30 days ago, and keeps the others', async () => {
    const old = await queue(address('old'));
    const recent = await queue(address('recent'));
    const waiting = await queue(address('waiting'));
    await db('outbox_messages').whereIn('id', [old, recent]).update({ text_body: null, next_attempt_at: null, attempts: 1 });
    await db('outbox_messages').where({ id: old }).update({ sent_at: db.raw(`now() - interval '31 days'`) });
    await db('outbox_messages').where({ id: recent }).update({ sent_at: db.raw(`now() - interval '29 days'`) });
    smtp.refuseRecipients(451); // the waiting one stays unsent
    worker({ intervalMs: 600_000 }).start();
    await until(async () => !(await row(old)));
    expect(await row(recent)).toBeDefined();
    expect(await row(waiting)).toBeDefined();
  });

  it('without SMTP_URL sends nothing and loses nothing: messages stay queued, and a warning says so once', async () => {
    const to = address('queued');
    const id = await queue(to);
    const w = worker({ smtpUrl: undefined });
    expect(w.sending).toBe(false);
    const logs = await logsOf(async () => {
      w.start();
      await new Promise((r) => setTimeout(r, 200));
    });
    expect(logs).toContain('SMTP_URL is not set');
    expect(logs.match(/SMTP_URL is not set/g)).toHaveLength(1);
    expect(await w.deliverDue()).toEqual({ sent: 0, failed: 0 });
    expect(await row(id)).toMatchObject({ attempts: 0, sent_at: null, text_body: 'Hello' });
    expect((await listOutbox(db)).find((m) => m.id === id)).toMatchObject({ status: 'queued', to });
  });
});

describe('one-time email proofs', () => {
  const request = (email: string, ttlSeconds = 600) => ({ email, purpose: 'invitation', subjectId: 'au_proof_subject', ttlSeconds });

  it('keeps only the SHA-256 of the token; peek shows it without using it; consume answers it once', async () => {
    const email = address('proof');
    const { id, token } = await issueEmailProof(db, request(email));
    expect(id).toMatch(/^prf_/);
    expect(token).toMatch(/^rc_prf_[A-Za-z0-9_-]{43}$/);
    const stored = await db('email_proofs').where({ id }).first();
    expect(stored.token_hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(JSON.stringify(stored)).not.toContain(token);

    expect(await peekEmailProof(db, token, 'invitation')).toMatchObject({ email, subjectId: 'au_proof_subject' });
    expect(await peekEmailProof(db, token, 'invitation')).toBeDefined(); // peeking uses nothing
    const used = await consumeEmailProof(db, token, 'invitation');
    expect(used).toMatchObject({ email, subjectId: 'au_proof_subject' });
    expect(used!.expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await consumeEmailProof(db, token, 'invitation')).toBeUndefined();
    expect(await peekEmailProof(db, token, 'invitation')).toBeUndefined();
  });

  it('answers undefined for a token of another purpose (and does not use it up), an expired one, a revoked one, or one never issued', async () => {
    const { token } = await issueEmailProof(db, request(address('purpose')));
    expect(await consumeEmailProof(db, token, 'password-reset')).toBeUndefined();
    expect(await peekEmailProof(db, token, 'password-reset')).toBeUndefined();
    expect(await consumeEmailProof(db, token, 'invitation')).toBeDefined();

    const expired = await issueEmailProof(db, request(address('expired')));
    await db('email_proofs').where({ id: expired.id }).update({ expires_at: db.raw(`now() - interval '1 second'`) });
    expect(await peekEmailProof(db, expired.token, 'invitation')).toBeUndefined();
    expect(await consumeEmailProof(db, expired.token, 'invitation')).toBeUndefined();

    const revoked = await issueEmailProof(db, { ...request(address('revoked')), subjectId: 'au_revoked' });
    expect(await revokeEmailProofs(db, 'invitation', 'au_revoked')).toBe(1);
    expect(await consumeEmailProof(db, revoked.token, 'invitation')).toBeUndefined();

    expect(await consumeEmailProof(db, `rc_prf_${'A'.repeat(43)}`, 'invitation')).toBeUndefined();
    expect(await consumeEmailProof(db, 'not a token', 'invitation')).toBeUndefined();
  });

  it('refuses a lifetime out of range and a purpose that is not a plain word', async () => {
    await expect(issueEmailProof(db, request(address('ttl'), 0))).rejects.toThrow(Invalid);
    await expect(issueEmailProof(db, request(address('ttl'), 31 * 24 * 3600))).rejects.toThrow(Invalid);
    await expect(issueEmailProof(db, { ...request(address('p')), purpose: 'Invitation!' })).rejects.toThrow(Invalid);
  });

  it('of several uses at once, exactly one succeeds', async () => {
    const { token } = await issueEmailProof(db, request(address('race')));
    const results = await Promise.all(Array.from({ length: 8 }, () => consumeEmailProof(db, token, 'invitation')));
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
  });
});

describe('rollcall outbox list', () => {
  it('shows each message\'s id, kind, recipient, attempts, and whether it was sent or why not; never a body', { timeout: 180_000 }, async () => {
    const { env, drop } = await scratchEnvironment({ SMTP_URL: '' });
    try {
      // written before the command runs (the embedded database admits one process at a time)
      const scratch = await openDatabase({ databaseUrl: env.DATABASE_URL, dataDir: env.DATA_DIR });
      let queuedId: string;
      let failedId: string;
      try {
        await migrateLatest(scratch.knex);
        const q = scratch.knex;
        [{ id: queuedId }] = (await outboxInsert(q, { to: 'waiting@example.org', subject: 'S', text: 'secret body rc_prf_x', kind: 'invitation' }).returning('id')) as { id: string }[];
        [{ id: failedId }] = (await outboxInsert(q, { to: 'failed@example.org', subject: 'S', text: 'secret body rc_prf_y', kind: 'invitation' }).returning('id')) as { id: string }[];
        await q('outbox_messages').where({ id: failedId }).update({ attempts: 8, next_attempt_at: null, last_error: 'ECONNECTION CONN: connect ECONNREFUSED' });
      } finally {
        await scratch.close();
      }
      const json = await runCli(['outbox', 'list', '--json'], env);
      expect(json.code).toBe(0);
      const listed = JSON.parse(json.stdout).data as { id: string; status: string; to: string; attempts: number; last_error: string | null }[];
      expect(listed.find((m) => m.id === queuedId)).toMatchObject({ status: 'queued', to: 'waiting@example.org', attempts: 0, last_error: null });
      expect(listed.find((m) => m.id === failedId)).toMatchObject({ status: 'given_up', attempts: 8, last_error: expect.stringContaining('ECONNREFUSED') });
      expect(json.stdout).not.toContain('secret body');

      const text = await runCli(['outbox', 'list'], env);
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(`${failedId}  invitation  failed@example.org`);
      expect(text.stdout).toContain('given up; last error: ECONNECTION');
      expect(text.stdout).toContain('SMTP_URL is not set');
      expect(text.stdout).not.toContain('secret body');
    } finally {
      await drop();
    }
  });
});
