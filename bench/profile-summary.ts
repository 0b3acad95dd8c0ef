import fs from 'node:fs';
import path from 'node:path';

/**
 * Where a V8 CPU profile (node --cpu-prof, see `npm run bench -- --cpu-prof DIR`) spends its time:
 * self time by function and by package or source file, and inclusive time of our own functions.
 *
 *   node --import tsx bench/profile-summary.ts DIR/CPU.*.cpuprofile [--top 25]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function where(frame: CallFrame): string {
  const url = frame.url.replace(/^file:\/\//, '');
  if (!url) return frame.functionName ? `(native) ${frame.functionName}` : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return `npm:${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  return path.relative(process.cwd(), url);
}

export function summarise(profile: CpuProfile, top: number): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

  const bump = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const selfByFunction = new Map<string, number>();
  const selfByPlace = new Map<string, number>();
  const inclusiveOurs = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id) as ProfileNode;
    const f = node.callFrame;
    bump(selfByFunction, `${f.functionName || '(anonymous)'} ${where(f)}:${f.lineNumber + 1}`, us);
    bump(selfByPlace, where(f), us);
    // inclusive: each of our own frames on the stack once
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const cf = (byId.get(cur) as ProfileNode).callFrame;
      const w = where(cf);
      if (w.startsWith('src/') || w.startsWith('bench/')) {
        const key = `${cf.functionName || '(anonymous)'} ${w}:${cf.lineNumber + 1}`;
        if (!seen.has(key)) {
          seen.add(key);
          bump(inclusiveOurs, key, us);
        }
      }
    }
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${pct(us)} ${(us / 1000).toFixed(0).padStart(7)} ms  ${k}`)
      .join('\n');
  const idle = [...selfUs.entries()].filter(([id]) => (byId.get(id) as ProfileNode).callFrame.functionName === '(idle)').reduce((a, [, us]) => a + us, 0);
  return [
    `${(total / 1e6).toFixed(1)} s sampled, ${pct(idle)} idle`,
    'Self time by package / file:',
    list(selfByPlace),
    'Self time by function:',
    list(selfByFunction),
    'Inclusive time of our functions:',
    list(inclusiveOurs),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 25;
  const files = args.filter((_a, i) => topAt < 0 || (i !== topAt && i !== topAt + 1));
  for (const file of files) {
    process.stdout.write(`== ${file}\n${summarise(JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile, top)}\n`);
  }
}
