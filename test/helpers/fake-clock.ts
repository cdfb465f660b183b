// A moved wall clock for a process under test: libfaketime preloaded directly (LD_PRELOAD and
// FAKETIME in its environment), not through the `faketime` wrapper. The wrapper names a semaphore
// and a shared-memory segment after its own PID and removes them only when it exits normally; one
// killed by a test leaves them in /dev/shm, and a later wrapper given the same PID (pid_max is
// 32,768 on these machines) stops with "faketime: sem_open: File exists" before the program starts.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

let found: string | undefined;

/** The libfaketime shared library (Debian package "faketime", which .ci/run installs). */
export function libfaketime(): string {
  if (found) return found;
  const roots = ['/usr/lib', '/usr/local/lib', '/usr/lib64'];
  const candidates = roots.flatMap((root) => {
    const dirs = [path.join(root, 'faketime')];
    try {
      for (const d of readdirSync(root)) dirs.push(path.join(root, d, 'faketime'));
    } catch {
      // no such root
    }
    return dirs.map((d) => path.join(d, 'libfaketime.so.1'));
  });
  found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error('libfaketime is not installed (Debian package "faketime"; .ci/run installs it)');
  return found;
}

/**
 * Environment that runs a process on a moved clock: `spec` as faketime -f takes it, e.g. '+365d'
 * (offset from now) or '@2026-07-09 15:59:20' (starts at that instant, then ticks).
 */
export function fakeClockEnv(spec: string): NodeJS.ProcessEnv {
  return { LD_PRELOAD: libfaketime(), FAKETIME: spec };
}
