/** Reads memory and CPU time of processes from /proc (Linux only). */
import { readFileSync, readdirSync } from 'node:fs';

/** Kernel clock ticks per second for /proc/<pid>/stat times; 100 on every Linux this runs on. */
const CLK_TCK = 100;

export interface MemorySample {
  /** Resident set now, MiB. */
  rssMiB: number;
  /** Peak resident set since the process started (VmHWM), MiB. */
  peakRssMiB: number;
}

export function memoryOf(pid: number): MemorySample | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
    return { rssMiB: Math.round(kib('VmRSS') / 102.4) / 10, peakRssMiB: Math.round(kib('VmHWM') / 102.4) / 10 };
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) the process has used so far. */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces; fields after its closing ')' are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / CLK_TCK;
  } catch {
    return undefined;
  }
}

/** Pids whose command line contains `needle` (e.g. a Prosody config path). */
export function pidsWithArg(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(needle)) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

export function loadAverage(): [number, number, number] {
  const [a = '0', b = '0', c = '0'] = readFileSync('/proc/loadavg', 'utf8').split(' ');
  return [Number(a), Number(b), Number(c)];
}

/**
 * CPU seconds used by named processes between start() and stop(); shows which
 * process saturates a core during a phase.
 */
export class CpuMeter {
  private readonly start = new Map<string, number>();
  private startedAt = 0;

  constructor(private readonly pids: () => Record<string, number | undefined>) {}

  begin(): void {
    this.start.clear();
    this.startedAt = performance.now();
    for (const [name, pid] of Object.entries(this.pids())) {
      const cpu = pid === undefined ? undefined : pid === process.pid ? ownCpu() : cpuSecondsOf(pid);
      if (cpu !== undefined) this.start.set(name, cpu);
    }
  }

  /** Per process: share of one core used during the interval (1.0 = one core fully busy). */
  end(): Record<string, number> {
    const seconds = (performance.now() - this.startedAt) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) {
      const before = this.start.get(name);
      const now = pid === undefined ? undefined : pid === process.pid ? ownCpu() : cpuSecondsOf(pid);
      if (before !== undefined && now !== undefined && seconds > 0) out[name] = Math.round(((now - before) / seconds) * 100) / 100;
    }
    return out;
  }
}

function ownCpu(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
