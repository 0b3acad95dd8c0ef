/**
 * The README's examples as data, for the doc test (test/integration/readme-examples.test.ts):
 * every command of a fenced `sh` block that holds a request (`curl`, `npx rollcall`), with the
 * section and line it stands at and the answer the README prints under it.
 *
 * What the README may write, and what it means here:
 * - A block preceded by `<!-- not run: REASON -->` is skipped (and listed with its reason).
 * - A command runs over several lines with a trailing `\` or inside an open quote.
 * - A comment on the command's own line that starts with a status (`# 201 ...`) is the status
 *   expected; without one any 2xx (exit code 0 for the CLI) is.
 * - Comment lines under a command that start with `{` or `[` (`# {"id":...}`) are a sample
 *   answer, continued on the next comment lines until it is whole JSON; a ```json block right
 *   after the `sh` block is the sample answer of that block's last command. In a sample, `…`
 *   stands for any text (`"au_…"`, `"…"` for a time).
 * - Other comments are prose.
 */

export type CommandKind = 'curl' | 'cli' | 'export' | 'serve';

export interface SampleAnswer {
  /** 1-based line in README.md where the sample starts. */
  line: number;
  body: unknown;
}

export interface ReadmeCommand {
  /** "## section › ### subsection" the block stands in. */
  section: string;
  /** 1-based line in README.md of the command's first line. */
  line: number;
  /** The command as written (continuation lines joined with their newlines, comments kept). */
  text: string;
  kind: CommandKind;
  /** The status the README gives on the command's line (`# 201 ...`). */
  status?: number;
  sample?: SampleAnswer;
}

export interface SkippedBlock {
  section: string;
  line: number;
  reason: string;
}

export interface ReadmeExamples {
  commands: ReadmeCommand[];
  skipped: SkippedBlock[];
  /** Lines in an example block that are no command the test knows how to run. */
  unknown: { section: string; line: number; text: string }[];
}

const NOT_RUN = /^<!--\s*not run:\s*(.+?)\s*-->$/;
const FENCE = /^(\s*)```(\S*)\s*$/;

/** Whether a (joined) command is one the README's reader types as a request. */
function kindOf(text: string): CommandKind | undefined {
  const first = text.trimStart();
  if (/^curl\s/.test(first)) return 'curl';
  if (/(^|\|\s*)npx rollcall\s/.test(first)) return 'cli';
  if (/^export \w+=/.test(first)) return 'export';
  if (/^npm start(\s|$)/.test(first)) return 'serve';
  return undefined;
}

/** Whether `text` leaves a quote open or ends in a line continuation (sh rules, enough for a README). */
function continues(text: string): boolean {
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (quote === '"') {
      if (c === '\\') i++;
      else if (c === '"') quote = undefined;
    } else if (c === '\\') {
      i++;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]))) {
      // a comment runs to the end of its line
      const nl = text.indexOf('\n', i);
      if (nl < 0) return false;
      i = nl - 1;
    }
  }
  return quote !== undefined || /\\\n?$/.test(text.replace(/\s*#[^'"\n]*$/, ''));
}

/** The comment on a command's last line, outside quotes (`curl ... # 201 new`), if any. */
export function trailingComment(text: string): string | undefined {
  const lastLineStart = text.lastIndexOf('\n') + 1;
  // the whole command is read: a quote opened on an earlier line may close on the last one
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (quote === '"' && c === '\\') i++;
    } else if (c === '\\') {
      i++;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (c === '#' && i > 0 && /\s/.test(text[i - 1])) {
      const end = text.indexOf('\n', i);
      if (i >= lastLineStart) return text.slice(i + 1).trim();
      i = end - 1;
    }
  }
  return undefined;
}

/** Reads the sample answer that starts at `lines[start]` (comment lines); undefined when it is prose. */
function sampleFrom(lines: string[], start: number): { body: unknown; end: number } | undefined {
  let json = '';
  for (let i = start; i < lines.length && /^\s*#/.test(lines[i]); i++) {
    json += lines[i].replace(/^\s*#\s?/, '') + '\n';
    if (i === start && !/^\s*[{[]/.test(json)) return undefined;
    try {
      return { body: JSON.parse(json), end: i };
    } catch {
      // not whole yet
    }
  }
  throw new Error(`README sample answer starting "${lines[start].trim()}" is not JSON`);
}

export function readmeExamples(markdown: string): ReadmeExamples {
  const lines = markdown.split('\n');
  const commands: ReadmeCommand[] = [];
  const skipped: SkippedBlock[] = [];
  const unknown: ReadmeExamples['unknown'] = [];
  let h2 = '';
  let h3 = '';
  let notRun: string | undefined;
  let lastBlockEnd = -1;
  let lastBlockCommands: ReadmeCommand[] = [];

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const heading = /^(#{2,3}) (.+)$/.exec(line);
    if (heading) {
      if (heading[1] === '##') [h2, h3] = [heading[2], ''];
      else h3 = heading[2];
      continue;
    }
    const marker = NOT_RUN.exec(line.trim());
    if (marker) {
      notRun = marker[1];
      continue;
    }
    const fence = FENCE.exec(line);
    if (!fence) {
      if (line.trim() !== '') notRun = undefined;
      continue;
    }
    const indent = fence[1].length;
    const lang = fence[2];
    const blockStart = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i].slice(indent));
    const section = h3 ? `${h2} › ${h3}` : h2;

    if (lang === 'json') {
      // the answer of the block just above (only blank lines between)
      const between = lines.slice(lastBlockEnd + 1, blockStart);
      const previous = lastBlockCommands.at(-1);
      if (previous && between.every((l) => l.trim() === '') && notRun === undefined) {
        previous.sample = { line: blockStart + 2, body: JSON.parse(body.join('\n')) };
      }
      notRun = undefined;
      continue;
    }
    lastBlockEnd = i;
    lastBlockCommands = [];
    if (lang !== 'sh') {
      notRun = undefined;
      continue;
    }
    const isExample = body.some((l) => kindOf(l) === 'curl' || kindOf(l) === 'cli');
    if (!isExample) {
      notRun = undefined;
      continue;
    }
    if (notRun !== undefined) {
      skipped.push({ section, line: blockStart + 1, reason: notRun });
      notRun = undefined;
      continue;
    }

    const firstLine = blockStart + 2; // README line of body[0]
    for (let j = 0; j < body.length; j++) {
      if (body[j].trim() === '') continue;
      if (/^\s*#/.test(body[j])) {
        const previous = lastBlockCommands.at(-1);
        const sample = previous && !previous.sample ? sampleFrom(body, j) : undefined;
        if (previous && sample) {
          previous.sample = { line: firstLine + j, body: sample.body };
          j = sample.end;
        }
        continue;
      }
      const start = j;
      let text = body[j];
      while (continues(text) && j + 1 < body.length) text += '\n' + body[++j];
      const kind = kindOf(text);
      if (!kind) {
        unknown.push({ section, line: firstLine + start, text });
        continue;
      }
      const statusComment = trailingComment(text)?.match(/^(\d{3})\b/);
      const command: ReadmeCommand = { section, line: firstLine + start, text, kind, ...(statusComment ? { status: Number(statusComment[1]) } : {}) };
      commands.push(command);
      lastBlockCommands.push(command);
    }
  }
  return { commands, skipped, unknown };
}

/**
 * Where a real answer differs from the README's sample, one line per difference naming the path
 * (`user.emails[0].verified`): keys the README shows that the answer lacks, keys the answer has
 * that the README does not show, and values that differ. A sample string with `…` matches any
 * text in its place.
 */
export function sampleDifferences(sample: unknown, real: unknown, path = ''): string[] {
  const at = path || '(the answer)';
  if (typeof sample === 'string' && sample.includes('…')) {
    const pattern = new RegExp(`^${sample.split('…').map(escapeRegExp).join('[\\s\\S]*')}$`);
    return typeof real === 'string' && pattern.test(real) ? [] : [`${at}: README shows ${JSON.stringify(sample)}, the answer has ${JSON.stringify(real)}`];
  }
  if (Array.isArray(sample)) {
    if (!Array.isArray(real)) return [`${at}: README shows a list, the answer has ${JSON.stringify(real)}`];
    if (sample.length !== real.length) return [`${at}: README shows ${sample.length} entries, the answer has ${real.length}: ${JSON.stringify(real)}`];
    return sample.flatMap((entry, k) => sampleDifferences(entry, real[k], `${path}[${k}]`));
  }
  if (sample !== null && typeof sample === 'object') {
    if (real === null || typeof real !== 'object' || Array.isArray(real)) return [`${at}: README shows an object, the answer has ${JSON.stringify(real)}`];
    const shown = sample as Record<string, unknown>;
    const answered = real as Record<string, unknown>;
    const differences: string[] = [];
    for (const key of Object.keys(shown)) {
      const keyPath = path ? `${path}.${key}` : key;
      if (!(key in answered)) differences.push(`${keyPath}: README shows it, the answer has no such key`);
      else differences.push(...sampleDifferences(shown[key], answered[key], keyPath));
    }
    for (const key of Object.keys(answered)) {
      if (!(key in shown)) differences.push(`${path ? `${path}.${key}` : key}: the answer has it (${JSON.stringify(answered[key])}), README does not show it`);
    }
    return differences;
  }
  return Object.is(sample, real) ? [] : [`${at}: README shows ${JSON.stringify(sample)}, the answer has ${JSON.stringify(real)}`];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
