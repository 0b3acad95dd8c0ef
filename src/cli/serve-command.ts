import { logger } from '../log.js';
import { start } from '../main.js';
import type { SERVE } from './commands.js';
import type { Runner } from './command.js';

export const serve: Runner<typeof SERVE> = async (_values, config) => {
  const running = await start(config);
  const shutdown = (signal: string) => {
    logger.info('signal received', { signal });
    running.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('shutdown failed', { err });
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
};
