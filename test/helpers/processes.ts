// Real processes for detection tests: a copy of a harmless system binary under a tool's name, so
// the process table really shows it (comm and /proc/<pid>/exe carry the copied name).
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './tmp.js';

export interface NamedProcess {
  child: ChildProcess;
  exe: string;
  kill: () => void;
}

/** Runs a copy of /bin/sleep named `name` in a fresh folder; kill() ends it. */
export function spawnNamedSleeper(name: string, dir = tempDir('edict-proc-')): NamedProcess {
  const exe = path.join(dir, name);
  copyFileSync('/bin/sleep', exe);
  chmodSync(exe, 0o755);
  const child = spawn(exe, ['600'], { stdio: 'ignore' });
  return { child, exe, kill: () => child.kill('SIGKILL') };
}
