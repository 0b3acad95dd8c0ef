import { parseArgs } from 'node:util';
import { type Command, type OptionSpec, UsageError } from './command.js';

/** Usage lines, `--help` texts and option parsing, made from each command's options (commands.ts). */

const optionText = (name: string, o: OptionSpec): string => `--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}${o.multiple ? '...' : ''}`;

export function usageLine(c: Command): string {
  const options = c.synopsis ?? Object.entries(c.options).map(([name, o]) => (o.required ? optionText(name, o) : `[${optionText(name, o)}]`)).join(' ');
  return ['rollcall', ...c.words, options].filter(Boolean).join(' ');
}

/** What `rollcall <command> --help` prints. */
export function commandHelp(c: Command): string {
  const rows: [string, string][] = Object.entries(c.options).map(([name, o]) => [
    optionText(name, o),
    o.description + (o.required ? ' (required)' : '') + (o.multiple ? ' (may be given more than once)' : ''),
  ]);
  rows.push(['-h, --help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return (
    `Usage: ${usageLine(c)}\n\n${c.summary}\n${c.notes ? `\n${c.notes}\n` : ''}\n` +
    `Options:\n${rows.map(([left, text]) => `  ${left.padEnd(width)}${text}`).join('\n')}\n\n${ENVIRONMENT}\n`
  );
}

const ENVIRONMENT =
  'Run it with the server\'s configuration: DATABASE_URL (PostgreSQL), or else DATA_DIR (the embedded database, default\n' +
  './data, which one process opens at a time: stop the server first), and PUBLIC_URL (or HOST and PORT) for the links it prints.\n' +
  'Exit status: 0 done; 1 failed (the message says why); 2 usage error (nothing was done).';

/** What `rollcall`, `rollcall help` and `rollcall --help` print: every command (or those starting with `group`). */
export function commandList(commands: readonly Command[], group?: string): string {
  const shown = group ? commands.filter((c) => c.words[0] === group) : commands;
  const names = shown.map((c) => c.words.join(' '));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return (
    `Usage: rollcall <command> [options]\n\nCommands:\n${shown.map((c, i) => `  ${names[i].padEnd(width)}${c.summary}`).join('\n')}\n\n` +
    `\`rollcall <command> --help\` describes a command's options.\n\n${ENVIRONMENT}\n`
  );
}

/** The closest known option to a mistyped one (`--rollbak` -> `--rollback`), within two edits. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(word, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}

/** node's parseArgs messages, said for this CLI (theirs talk of positional arguments and `--`). */
function usageErrorOf(err: Error & { code?: string }, c: Command): UsageError {
  const firstLine = err.message.split('\n')[0];
  const quoted = /'([^']*)'/.exec(firstLine)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const name = quoted.replace(/^-+/, '').split('=')[0];
    const guess = closest(name, Object.keys(c.options));
    return new UsageError(`unknown option ${quoted} for \`rollcall ${c.words.join(' ')}\`${guess ? ` (did you mean --${guess}?)` : ''}`, c);
  }
  if (err.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new UsageError(`unexpected argument ${JSON.stringify(quoted)}: every value follows its option, as in --name VALUE`, c);
  }
  return new UsageError(firstLine.replace(/ <value>'/, "'"), c);
}

/**
 * The command's options from its arguments. Anything it does not take (an unknown option, a stray
 * word, a flag given a value, a missing required option) is a UsageError: exit 2 with its usage.
 */
export function parseOptions(c: Command, args: readonly string[]): Record<string, unknown> {
  const options = Object.fromEntries(
    Object.entries(c.options).map(([name, o]) => [name, o.multiple ? { type: o.type, multiple: true } : { type: o.type }]),
  ) as Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: [...args], options, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code?.startsWith('ERR_PARSE_ARGS')) throw usageErrorOf(err as Error & { code: string }, c);
    throw err;
  }
  for (const [name, o] of Object.entries(c.options)) {
    if (o.required && (values[name] === undefined || values[name] === '')) throw new UsageError(`--${name} is required: ${o.description}`, c);
  }
  return values;
}

export const wantsHelp = (args: readonly string[]): boolean => args.includes('--help') || args.includes('-h');
