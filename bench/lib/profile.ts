/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and by
 * package, so the hot spots of a run print without opening DevTools.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export interface ProfileSummary {
  file: string;
  /** Busy share (not idle) of the profiled time. */
  busyShare: number;
  /** Share of busy time, by package (node_modules/<pkg>, the gateway's own src/adapters dirs, node: internals, GC). */
  byPackage: Array<{ name: string; share: number }>;
  /** Share of busy time, by function. */
  topFunctions: Array<{ name: string; share: number }>;
}

function packageOf(url: string, fn: string): string {
  if (url === '') return fn.startsWith('(') ? fn : '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm?.[1] !== undefined) return nm[1];
  const own = /\/dist\/((?:src|adapters)\/[^/]+)/.exec(url);
  if (own?.[1] !== undefined) return `gateway:${own[1].replace(/\.js$/, '')}`;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0] ?? ''}`;
  return url.split('/').slice(-2).join('/');
}

export async function summarizeProfile(file: string, top = 15): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const hits = new Map<number, number>();
  for (const id of profile.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
  let total = 0;
  let idle = 0;
  const byFn = new Map<string, number>();
  const byPkg = new Map<string, number>();
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? node.hitCount ?? 0;
    if (n === 0) continue;
    total += n;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)') {
      if (functionName === '(idle)') idle += n;
      else byPkg.set('(program)', (byPkg.get('(program)') ?? 0) + n);
      continue;
    }
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*\/(node_modules|dist)\//, '')}:${lineNumber + 1}`;
    byFn.set(name, (byFn.get(name) ?? 0) + n);
    const pkg = packageOf(url, functionName);
    byPkg.set(pkg, (byPkg.get(pkg) ?? 0) + n);
  }
  const busy = total - idle;
  const rank = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, n]) => ({ name, share: Math.round((n / Math.max(busy, 1)) * 1000) / 1000 }));
  return {
    file,
    busyShare: Math.round((busy / Math.max(total, 1)) * 1000) / 1000,
    byPackage: rank(byPkg, top),
    topFunctions: rank(byFn, top),
  };
}

/** Every .cpuprofile in `dir`. */
export async function profilesIn(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).map((f) => join(dir, f));
  } catch {
    return [];
  }
}

export function formatProfile(p: ProfileSummary): string {
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  return [
    `  busy ${pct(p.busyShare)} of the profiled time; self time by package:`,
    ...p.byPackage.map((e) => `    ${pct(e.share).padStart(6)}  ${e.name}`),
    '  hottest functions (self time):',
    ...p.topFunctions.map((e) => `    ${pct(e.share).padStart(6)}  ${e.name}`),
  ].join('\n');
}
