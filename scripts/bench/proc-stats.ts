// What the bench reads about a running process from /proc: CPU time (its own and that of the
// children it has waited for, e.g. loginctl or gdbus) and resident memory (now and peak). Also the
// machine facts printed with every result.
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

/** Kernel clock ticks per second for /proc/<pid>/stat times (USER_HZ, 100 on mainstream Linux). */
export const USER_HZ = 100;

export interface CpuSample {
  /** utime + stime of the process, in seconds. */
  self: number;
  /** cutime + cstime: children it has waited for (spawned helpers), in seconds. */
  children: number;
}

export function cpuOf(pid: number): CpuSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { self: (Number(f[11]) + Number(f[12])) / USER_HZ, children: (Number(f[13]) + Number(f[14])) / USER_HZ };
  } catch {
    return undefined; // the process ended
  }
}

export interface MemSample {
  /** Resident set now, MB. */
  rssMb: number;
  /** Peak resident set since start (VmHWM), MB. */
  peakMb: number;
  /** Of the resident set: anonymous memory (heap, stacks) and pages of mapped files (the executable), MB. */
  anonMb: number;
  fileMb: number;
}

export function memOf(pid: number): MemSample | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN);
    return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024, anonMb: kb('RssAnon') / 1024, fileMb: kb('RssFile') / 1024 };
  } catch {
    return undefined;
  }
}

export function processCount(): number {
  return readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
}

export function machine(): string {
  const cpus = os.cpus();
  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB RAM, Node ${process.version}, ${os.platform()} ${os.release()}, load average ${load} at start`;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(xs: readonly number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 50);
}
