// A copy of the built program that another OS user can run. The checkout may sit in a folder other
// users cannot enter (a clone under /root, or in a 0700 temporary folder), so a test that runs
// `edict-agent` as an employee must not run it from there: it runs this copy instead, made once per
// test file in a world-readable temporary folder: dist/, package.json and the runtime dependencies
// (package-lock entries not marked dev), hard-linked when the filesystem allows, copied otherwise.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';
import { tempDir } from './tmp.js';

let made: string | undefined;

/** Root of a readable copy of the project's runtime files (made on first use). */
export function readableCopy(): string {
  if (made) return made;
  const dir = tempDir('edict-readable-');
  chmodSync(dir, 0o755);
  cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  linkTree(path.join(ROOT, 'dist'), path.join(dir, 'dist'));
  mkdirSync(path.join(dir, 'node_modules'));
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
  const runtime = Object.entries(lock.packages)
    .filter(([k, v]) => k.startsWith('node_modules/') && !v.dev && k.split('node_modules/').length === 2)
    .map(([k]) => k.slice('node_modules/'.length));
  for (const name of runtime) {
    if (name.includes('/')) mkdirSync(path.join(dir, 'node_modules', path.dirname(name)), { recursive: true });
    linkTree(path.join(ROOT, 'node_modules', name), path.join(dir, 'node_modules', name));
  }
  // Folders made here follow the umask: open them to everyone. A hard-linked file that others cannot
  // read is replaced by a private copy first, so the checkout's own files never change mode.
  execFileSync('find', [dir, '-type', 'd', '-exec', 'chmod', 'a+rx', '{}', '+']);
  const closed = execFileSync('find', [dir, '-type', 'f', '!', '-perm', '-o+r', '-print0']).toString().split('\0').filter(Boolean);
  for (const f of closed) {
    cpSync(f, `${f}.copy`);
    renameSync(`${f}.copy`, f);
    chmodSync(f, (statSync(f).mode & 0o7777) | 0o444);
  }
  made = dir;
  return dir;
}

/** The agent CLI inside the readable copy. */
export function readableAgentCli(): string {
  return path.join(readableCopy(), 'dist', 'agent', 'src', 'cli.js');
}

function linkTree(src: string, dst: string): void {
  try {
    execFileSync('cp', ['-al', src, dst], { stdio: 'ignore' });
  } catch {
    cpSync(src, dst, { recursive: true }); // another filesystem: hard links are impossible
  }
}
