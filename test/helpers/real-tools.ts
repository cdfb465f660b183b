// Installs real npm-published AI tools once into test/.cache/npm-tools/<safe-name>/ (git-ignored)
// so integration tests run the agent against the real packages without downloading them on every
// run. Laid out exactly as `npm install -g --prefix <prefix>` lays it out: <prefix>/lib/node_modules
// and <prefix>/bin. Safe under concurrent jest workers: one installer holds a lock directory,
// installs into a private temporary prefix and publishes it with an atomic rename; the others wait.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** Repository root (this file is test/helpers/real-tools.ts). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where finished installs live, one folder per package spec. */
export const TOOLS_CACHE = path.join(REPO_ROOT, 'test', '.cache', 'npm-tools');

/** claude-code's native binary is ~200 MB: a cold install can take minutes on a slow link. */
const INSTALL_TIMEOUT_MS = 10 * 60_000;
/** How often a waiting worker looks whether the installer finished or died. */
const LOCK_POLL_MS = 500;
/** A waiter gives up after this long (a little more than one install's own timeout). */
const LOCK_WAIT_MS = INSTALL_TIMEOUT_MS + 60_000;

/**
 * Packages whose install scripts have side effects outside the prefix: @qoder-ai/qodercli's
 * postinstall edits ~/.bashrc and ~/.profile (research notes §2.5). HOME is a temp dir anyway;
 * skipping scripts is belt and braces. claude-code's postinstall must run: it puts the native
 * binary in place of the 500-byte stub in bin/claude.exe.
 */
const IGNORE_SCRIPTS = new Set(['@qoder-ai/qodercli', '@qodercn-ai/qoderclicn']);

export interface RealTool {
  /** The `--prefix` the package was installed into (has bin/ and lib/node_modules/). */
  prefix: string;
  /** `<prefix>/lib/node_modules`: the npm global root. */
  root: string;
}

/** `@scope/name@1.2.3` → `scope__name@1.2.3`: a folder name without slashes. */
export function safeName(spec: string): string {
  return spec.replace(/^@/, '').replace(/\//g, '__');
}

/** The package name of a spec (`@scope/name@1.2` → `@scope/name`). */
export function packageName(spec: string): string {
  const at = spec.indexOf('@', 1);
  return at > 0 ? spec.slice(0, at) : spec;
}

/**
 * Installs `spec` (a package name, optionally `@version`) once and returns where it lives.
 * Later calls, in this or any other process, return the cached install at once.
 */
export async function ensureRealTool(spec: string): Promise<RealTool> {
  const name = safeName(spec);
  const prefix = path.join(TOOLS_CACHE, name);
  const result = { prefix, root: path.join(prefix, 'lib', 'node_modules') };
  if (isComplete(prefix, spec)) return result;
  mkdirSync(TOOLS_CACHE, { recursive: true });
  const lock = path.join(TOOLS_CACHE, `${name}.lock`);
  const got = await waitFor(
    () => {
      if (isComplete(prefix, spec)) return 'complete';
      if (tryLock(lock)) return 'locked';
      if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true }); // its owner died mid-install; take over next look
      return undefined;
    },
    `another worker to install ${spec} (lock ${lock})`,
    LOCK_WAIT_MS,
    LOCK_POLL_MS,
  );
  if (got === 'complete') return result;
  try {
    if (isComplete(prefix, spec)) return result; // finished between our check and the lock
    const tmp = path.join(TOOLS_CACHE, `${name}.tmp-${process.pid}-${Date.now()}`);
    const home = path.join(tmp, '.home');
    mkdirSync(home, { recursive: true });
    const args = ['install', '-g', '--prefix', tmp, '--no-audit', '--no-fund', '--loglevel=error'];
    if (IGNORE_SCRIPTS.has(packageName(spec))) args.push('--ignore-scripts');
    args.push(spec);
    try {
      await run('npm', args, {
        timeout: INSTALL_TIMEOUT_MS,
        maxBuffer: 16 * 1024 * 1024,
        // HOME in a temp dir so no install script can touch the real user's rc files; the
        // download cache stays shared so a re-install after `rm -rf test/.cache/npm-tools` is quick.
        env: { ...process.env, HOME: home, npm_config_cache: path.join(TOOLS_CACHE, '..', 'npm-cache'), npm_config_update_notifier: 'false' },
      });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw new Error(`npm install of ${spec} failed: ${(err as Error).message}`);
    }
    rmSync(home, { recursive: true, force: true });
    writeFileSync(path.join(tmp, '.complete'), JSON.stringify({ spec, installedAt: new Date().toISOString() }) + '\n');
    rmSync(prefix, { recursive: true, force: true }); // a half-written leftover from an older helper
    renameSync(tmp, prefix); // atomic publish: readers see nothing or the whole install
    return result;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The installed package's own package.json version (what npm actually picked). */
export function installedVersion(tool: RealTool, pkg: string): string {
  return (JSON.parse(readFileSync(path.join(tool.root, ...pkg.split('/'), 'package.json'), 'utf8')) as { version: string }).version;
}

function isComplete(prefix: string, spec: string): boolean {
  return existsSync(path.join(prefix, '.complete')) && existsSync(path.join(prefix, 'lib', 'node_modules', ...packageName(spec).split('/'), 'package.json'));
}

function tryLock(lock: string): boolean {
  try {
    mkdirSync(lock); // atomic: exactly one process creates it
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  writeFileSync(path.join(lock, 'pid'), String(process.pid));
  return true;
}

/** The lock's owner is gone (crashed jest worker): the lock can be broken. */
function lockIsStale(lock: string): boolean {
  let pid: number;
  try {
    pid = Number(readFileSync(path.join(lock, 'pid'), 'utf8'));
  } catch {
    return false; // the owner has created the dir but not yet written its pid: give it time
  }
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM means alive under another user
  }
}
