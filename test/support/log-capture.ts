import { Writable } from 'node:stream';
import winston from 'winston';
import { logger } from '../../src/log.js';

/**
 * The log lines written while `work` runs, one JSON line each (the logger is silent under vitest
 * otherwise, and its own transports stay silent meanwhile).
 */
export async function logLinesOf(work: () => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  const capture = new winston.transports.Stream({
    stream: new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(String(chunk));
        callback();
      },
    }),
  });
  const silenced = logger.transports.map((t) => [t, t.silent] as const);
  for (const [t] of silenced) t.silent = true;
  const wasSilent = logger.silent;
  logger.silent = false;
  logger.add(capture);
  try {
    await work();
  } finally {
    logger.remove(capture);
    logger.silent = wasSilent;
    for (const [t, silent] of silenced) t.silent = silent;
  }
  return lines;
}
