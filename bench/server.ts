import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The real server (`node bin/rollcall.js serve`) as a child process on a free loopback port. */
export interface BenchServer {
  url: string;
  pid: number;
  /** Resident set size of the server process now, in MiB (from /proc/<pid>/status). */
  rssMiB(): number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export function rssMiBOf(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/** CPU time (user + system) a process has used, in seconds, from /proc/<pid>/stat; 0 when it is gone. */
export function cpuSecondsOf(pid: number, ticksPerSecond = 100): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces) start at field 3
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (all cores) so far, from /proc/stat. */
export function machineBusySeconds(ticksPerSecond = 100): number {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal ...: busy = all but idle and iowait
  const busy = cpu.reduce((a, b) => a + b, 0) - cpu[3] - (cpu[4] ?? 0);
  return busy / ticksPerSecond;
}

export interface StartOptions {
  cpuProfDir?: string;
  logFile: string;
  log: (line: string) => void;
  /** Node arguments of another server than `bin/rollcall.js serve` (the reference server). */
  script?: string[];
  /** Path answering 200 once the server is ready (default /readyz). */
  readyPath?: string;
}

export async function startServer(env: Record<string, string>, options: StartOptions): Promise<BenchServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const nodeArgs = options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(options.cpuProfDir)}`] : [];
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...(options.script ?? [path.join(ROOT, 'bin/rollcall.js'), 'serve'])], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // serve refuses PostgreSQL without a key for secrets at rest; a benchmark's data is thrown away
      ROLLCALL_SECRET_KEYS: process.env.ROLLCALL_SECRET_KEYS ?? randomBytes(32).toString('base64'),
      // one token drives every scenario far past a production IdP's rate: the limits are counted (their cost is measured) but never reached
      RATE_LIMIT_SCIM: '10000000',
      RATE_LIMIT_API: '10000000',
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      PUBLIC_URL: url,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // LOG_LEVEL=warn: what the server writes is warnings and errors; all of it goes to logFile
  const logStream = fs.createWriteStream(options.logFile);
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    logStream.write(chunk);
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code), resolve())));

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`server exited (${exited}) before it was ready:\n${output.join('')}`);
    try {
      const res = await fetch(`${url}${options.readyPath ?? '/readyz'}`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server not ready within 60 s:\n${output.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  options.log(`server pid ${child.pid} ready on ${url}`);

  return {
    url,
    pid: child.pid as number,
    rssMiB: () => rssMiBOf(child.pid as number),
    stop: async () => {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
      logStream.end();
      const lines = fs.readFileSync(options.logFile, 'utf8').split('\n');
      const errors = lines.filter((l) => l.includes('"level":"error"'));
      const warnings = lines.filter((l) => l.includes('"level":"warn"'));
      options.log(`server logged ${errors.length} errors and ${warnings.length} warnings (${options.logFile})${errors.length ? `; first error: ${errors[0].slice(0, 300)}` : ''}`);
    },
  };
}

/** Samples a process's RSS every `everyMs` until stopped; answers the peak and the last sample. */
export function sampleRss(read: () => number, everyMs = 250): { stop(): { peakMiB: number; endMiB: number } } {
  let peak = read();
  let last = peak;
  const timer = setInterval(() => {
    try {
      last = read();
      if (last > peak) peak = last;
    } catch {
      // process gone: keep what was sampled
    }
  }, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      try {
        last = read();
        if (last > peak) peak = last;
      } catch {
        // gone
      }
      return { peakMiB: peak, endMiB: last };
    },
  };
}
