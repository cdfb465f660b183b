// A moved wall clock for a process under test: libfaketime preloaded directly (LD_PRELOAD and
// FAKETIME in its environment), not through the `faketime` wrapper. Both name a semaphore and a
// shared-memory segment in /dev/shm after the PID of the process that made them and remove them
// only on a normal exit, so a process a test killed leaves them behind. The wrapper, given a reused
// PID (pid_max is 32,768 on these machines), stopped with "sem_open: File exists" before the program
// started; the preloaded library carries on without sharing when its semaphore name is taken. And
// leftovers of processes that no longer exist are removed before each use.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

let found: string | undefined;

/** The libfaketime shared library for this machine's architecture (Debian package "faketime", which .ci/run installs). */
export function libfaketime(): string {
  if (found) return found;
  const triplet = { x64: 'x86_64-linux-gnu', arm64: 'aarch64-linux-gnu' }[process.arch as string];
  const candidates = [
    ...(triplet ? [`/usr/lib/${triplet}/faketime/libfaketime.so.1`] : []),
    '/usr/lib/faketime/libfaketime.so.1',
    '/usr/local/lib/faketime/libfaketime.so.1',
    '/usr/lib64/faketime/libfaketime.so.1',
  ];
  found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error('libfaketime is not installed (Debian package "faketime"; .ci/run installs it)');
  return found;
}

/** Removes libfaketime's semaphores and shared memory left by processes that no longer exist. */
function removeLeftovers(): void {
  let names: string[];
  try {
    names = readdirSync('/dev/shm');
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^(?:sem\.)?faketime_(?:sem|shm)_(\d+)$/.exec(name);
    if (m && !existsSync(`/proc/${m[1]}`)) rmSync(path.join('/dev/shm', name), { force: true });
  }
}

/**
 * Environment that runs a process on a moved clock: `spec` as faketime -f takes it, e.g. '+365d'
 * (offset from now) or '@2026-07-09 15:59:20' (starts at that instant, then ticks).
 */
export function fakeClockEnv(spec: string): NodeJS.ProcessEnv {
  removeLeftovers();
  const preload = [libfaketime(), process.env.LD_PRELOAD].filter(Boolean).join(':');
  return { LD_PRELOAD: preload, FAKETIME: spec };
}
