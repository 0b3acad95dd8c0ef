import type { AddressInfo } from 'node:net';
import { type ParsedMail, simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server on 127.0.0.1 (the smtp-server package) that keeps what it receives, parsed by
 * mailparser, for tests to read: the subject, the recipient, the link in the body. It can refuse
 * recipients with a reply code of the test's choosing (a relay having trouble, or an address that
 * does not exist).
 */

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO). */
  to: string[];
  from: string | undefined;
  subject: string;
  text: string;
  html: string | undefined;
  messageId: string | undefined;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  /** smtp://127.0.0.1:PORT (plain: no STARTTLS offered, no authentication needed). */
  url: string;
  port: number;
  received: ReceivedMail[];
  /** RCPT TO attempts, accepted or not. */
  recipientsTried: number;
  /** Refuse every recipient with this reply code (e.g. 451 or 550); undefined to accept again. */
  refuseRecipients(code: number | undefined): void;
  /** Each message's DATA is held this long before it is accepted (a slow relay). */
  delayData(ms: number): void;
  /** The first message received for `to`, waiting for it up to `timeoutMs`. */
  waitFor(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

export async function startTestSmtpServer(port = 0): Promise<TestSmtpServer> {
  let refuseCode: number | undefined;
  let dataDelayMs = 0;
  const received: ReceivedMail[] = [];
  const state = { recipientsTried: 0 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onRcptTo(address, _session, callback) {
      state.recipientsTried++;
      if (refuseCode === undefined) return callback();
      const err = Object.assign(new Error(refuseCode >= 500 ? `<${address.address}>: mailbox unavailable` : 'try again later'), { responseCode: refuseCode });
      callback(err);
    },
    onData(stream, session, callback) {
      simpleParser(stream)
        .then(async (parsed) => {
          if (dataDelayMs) await new Promise((r) => setTimeout(r, dataDelayMs));
          received.push({
            to: session.envelope.rcptTo.map((r) => r.address),
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : undefined,
            messageId: parsed.messageId,
            parsed,
          });
          callback();
        })
        .catch((err: Error) => callback(err));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${bound}`,
    port: bound,
    received,
    get recipientsTried() {
      return state.recipientsTried;
    },
    refuseRecipients(code) {
      refuseCode = code;
    },
    delayData(ms) {
      dataDelayMs = ms;
    },
    async waitFor(to, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = received.find((m) => m.to.includes(to));
        if (mail) return mail;
        if (Date.now() > deadline) throw new Error(`no message for ${to} within ${timeoutMs} ms (received ${received.length})`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
