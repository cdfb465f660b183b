// Reads a few named variables of a logged-in user's session from /proc/<pid>/environ of one of
// that user's processes (the agent runs as root and has no session of its own). Only the asked
// names are returned; the rest of the environment is never kept or logged. On systems without
// /proc the readers find nothing and return undefined.
import { readFileSync, readdirSync, statSync } from 'node:fs';

/** Most processes looked at per lookup: a user's session variables are on almost every one of them. */
const MAX_PROCESSES_SCANNED = 2000;

/** The values of `keys` in one process's environment (only those; absent keys are left out). */
export function environOf(pid: number, keys: readonly string[], procRoot = '/proc'): Record<string, string> | undefined {
  let raw: Buffer;
  try {
    raw = readFileSync(`${procRoot}/${pid}/environ`);
  } catch (err) {
    // Ended since listing, or not ours to read (not root): the caller tries another process.
    if (isExpectedFsError(err)) return undefined;
    throw err;
  }
  const out: Record<string, string> = {};
  for (const entry of raw.toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const name = entry.slice(0, eq);
    if (keys.includes(name)) out[name] = entry.slice(eq + 1);
  }
  return out;
}

/** Pids whose /proc entry is owned by `uid` (the process's real owner). */
export function pidsOfUid(uid: number, procRoot = '/proc'): number[] {
  let entries: string[];
  try {
    entries = readdirSync(procRoot);
  } catch (err) {
    if (isExpectedFsError(err)) return []; // no procfs on this OS
    throw err;
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (statSync(`${procRoot}/${e}`).uid === uid) out.push(Number(e));
    } catch (err) {
      if (!isExpectedFsError(err)) throw err; // else: the process ended between readdir and stat
    }
    if (out.length >= MAX_PROCESSES_SCANNED) break;
  }
  return out;
}

/**
 * The first process of `uid` whose environment has `requiredKey`, returning `keys` from it.
 * Session processes (the ones with DBUS_SESSION_BUS_ADDRESS) carry the session's real settings;
 * lower pids are usually the session leaders, so they are looked at first.
 */
export function sessionEnvOfUid(uid: number, requiredKey: string, keys: readonly string[], procRoot = '/proc'): Record<string, string> | undefined {
  for (const pid of pidsOfUid(uid, procRoot)) {
    const env = environOf(pid, [requiredKey, ...keys], procRoot);
    if (env && env[requiredKey] !== undefined) return env;
  }
  return undefined;
}

export function isExpectedFsError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM' || code === 'ENOTDIR';
}
