import type { Server } from 'node:http';
import type { Config } from './config.js';
import { type Database, openDatabase } from './db/database.js';
import { migrateLatest } from './db/migrate.js';
import { waitForDatabase } from './db/wait-for-database.js';
import { OutboxDelivery } from './domain/notifications/outbox.js';
import { ProvisioningLogRetention } from './domain/provisioning/retention.js';
import { createServices } from './domain/services.js';
import { createApp } from './http/app.js';
import { logger } from './log.js';
import { secretBoxFor } from './secret-keys.js';

export interface Running {
  server: Server;
  database: Database;
  url: string;
  stop(): Promise<void>;
}

/** config -> database -> migrations -> app -> listen. Answers a handle whose stop() drains and closes. */
export async function start(config: Config): Promise<Running> {
  // before the database: without a key on PostgreSQL, refuse at once
  const secrets = secretBoxFor(config);
  const database = await openDatabase({ databaseUrl: config.databaseUrl, listenUrl: config.listenUrl, dataDir: config.dataDir, statementTimeoutMs: config.statementTimeoutMs });
  try {
    await waitForDatabase(database.knex, database.describe, config.databaseWaitMs);
  } catch (err) {
    await database.close().catch(() => undefined);
    throw err;
  }
  // Migrations may take longer than a request's statement may: on PostgreSQL they get connections without the timeout.
  const migrator = database.kind === 'postgres' && config.statementTimeoutMs > 0 ? await openDatabase({ databaseUrl: config.databaseUrl, poolMax: 1 }) : database;
  try {
    const ran = await migrateLatest(migrator.knex);
    if (ran.length) logger.info('migrations applied', { migrations: ran });
  } catch (err) {
    await database.close();
    throw err;
  } finally {
    if (migrator !== database) await migrator.close();
  }
  const services = createServices(database.knex, database.changes, secrets, { dnsResolver: config.dnsResolver, rateLimits: config.rateLimits, publicUrl: config.publicUrl });
  const app = createApp({ config, database, services });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancers' idle timeout
  // a client that sends its request slowly (or never finishes it) is cut off instead of holding a socket
  server.requestTimeout = config.requestTimeoutMs;
  server.headersTimeout = config.headersTimeoutMs;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  logger.info('rollcall listening', { url, public_url: config.publicUrl, database: database.describe });
  // email queued by any change is sent from now on (without SMTP_URL it stays queued, with a warning)
  const outbox = new OutboxDelivery({ db: database.knex, changes: database.changes, smtpUrl: config.smtpUrl, mailFrom: config.mailFrom, intervalMs: config.outboxIntervalMs });
  outbox.start();
  // the provisioning log's old entries go in small batches, a minute after start and hourly
  const provisioningRetention = new ProvisioningLogRetention(services.provisioningLog, { retentionDays: config.provisioningLogRetentionDays });
  provisioningRetention.start();

  if ((await services.accounts.count()) === 0) {
    const stopFirst = database.kind === 'pglite' ? 'Stop the server (Ctrl-C), then run' : 'Run';
    logger.info(
      `No account exists yet. ${stopFirst}: npx rollcall account create --name "Acme" --owner-email you@example.com --json ` +
        '(it prints the owner\'s API token for /api/v4)' + (database.kind === 'pglite' ? ', and npm start again.' : '.'),
    );
  }

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down: draining in-flight requests');
      // the message being sent may finish within the same grace; nothing new is claimed
      const outboxStopped = outbox.stop(config.shutdownGraceMs);
      server.closeIdleConnections();
      const drained = new Promise<void>((resolve) => server.close(() => resolve()));
      const timer = setTimeout(() => server.closeAllConnections(), config.shutdownGraceMs);
      await drained;
      clearTimeout(timer);
      await outboxStopped;
      // the requests just drained are still buffered: written before the database closes
      await services.provisioningLog.stop();
      await provisioningRetention.stop();
      services.rateLimits.stop();
      await database.close();
      logger.info('stopped');
    })());
  return { server, database, url, stop };
}
