import { logger } from '../log.js';
import { start } from '../main.js';
import type { Command } from './command.js';

export const serveCommand: Command = {
  words: ['serve'],
  usage: 'serve                                      serve HTTP on HOST:PORT (default 127.0.0.1:3000)',
  async run(_args, config) {
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
  },
};
