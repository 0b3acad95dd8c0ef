import { logger } from '../../log.js';
import type { ProvisioningLogService } from './provisioning-log-service.js';

/**
 * Deletes provisioning log entries older than PROVISIONING_LOG_RETENTION_DAYS, a minute after the
 * server starts and every hour after, in batches of 1,000 rows (short statements: no long lock,
 * no long transaction). Several instances may run it at once: each skips the rows another is
 * deleting, so both finish and nothing is deleted twice. Its timer never holds the process up, and
 * a failed pass is logged and tried again at the next.
 */
export class ProvisioningLogRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly log: ProvisioningLogService,
    private readonly options: { retentionDays: number; firstPassMs?: number; intervalMs?: number },
  ) {}

  start(): void {
    this.next(this.options.firstPassMs ?? 60_000);
  }

  private next(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.pass().finally(() => {
        this.running = undefined;
        this.next(this.options.intervalMs ?? 3600_000);
      });
    }, delayMs).unref();
  }

  /** One pass: answers how many entries it deleted (0 after a failure, which is logged). */
  async pass(): Promise<number> {
    try {
      const deleted = await this.log.deleteExpired(this.options.retentionDays);
      if (deleted > 0) logger.info('provisioning log: old entries deleted', { entries: deleted, retention_days: this.options.retentionDays });
      return deleted;
    } catch (err) {
      logger.warn('provisioning log: retention pass failed, tried again later', { error: err instanceof Error ? err.message.slice(0, 200) : String(err).slice(0, 200) });
      return 0;
    }
  }

  /** No new pass; waits for the one running. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
