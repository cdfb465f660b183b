// /etc/passwd parsing shared by Linux and macOS (macOS lists only system accounts there; its
// human users are found under /Users instead, see darwin.ts). The file is parsed again only when
// it changed (inode, size, mtime or ctime differ: useradd and vipw replace it), so the many callers
// (process polls, notices, per-user views) pay one stat instead of a read each.
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { UserHome } from './types.js';

export interface PasswdIndex {
  entries: readonly UserHome[];
  byUid: ReadonlyMap<number, UserHome>;
  byName: ReadonlyMap<string, UserHome>;
}

const EMPTY: PasswdIndex = Object.freeze({ entries: Object.freeze([]), byUid: new Map(), byName: new Map() });
const cached = new Map<string, { version: string; index: PasswdIndex }>();
let parses = 0;

/** How many times a passwd file was parsed (tests use it to show an unchanged file is not re-read). */
export function passwdParses(): number {
  return parses;
}

/** The accounts of `file` with lookups by uid and name; the same object while the file is unchanged. */
export function passwdIndex(file = '/etc/passwd'): PasswdIndex {
  let version: string;
  try {
    const st = statSync(file, { bigint: true });
    version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    cached.delete(file);
    return EMPTY; // no passwd file (Windows, minimal containers)
  }
  const hit = cached.get(file);
  if (hit?.version === version) return hit.index;
  const entries = Object.freeze(parsePasswd(readFileSync(file, 'utf8')));
  const index: PasswdIndex = {
    entries,
    // The first line for a uid or a name wins, as for getpwuid and getpwnam.
    byUid: new Map([...entries].reverse().map((u) => [u.uid!, u])),
    byName: new Map([...entries].reverse().map((u) => [u.user, u])),
  };
  cached.set(file, { version, index });
  return index;
}

/** The accounts of `file` (cached, see passwdIndex). */
export function readPasswd(file = '/etc/passwd'): readonly UserHome[] {
  return passwdIndex(file).entries;
}

export function parsePasswd(text: string): UserHome[] {
  parses++;
  const out: UserHome[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [user, , uidStr, gidStr, , home] = line.split(':');
    const uid = Number(uidStr);
    const gid = Number(gidStr);
    if (!user || !home || !/^\d+$/.test(uidStr ?? '') || !/^\d+$/.test(gidStr ?? '')) continue;
    out.push(Object.freeze({ user, uid, gid, home }));
  }
  return out;
}

/** Root plus regular accounts (uid 1000..60000) whose home exists. */
export function humanUsers(all: readonly UserHome[], minUid = 1000): UserHome[] {
  return all.filter((u) => (u.uid === 0 || (u.uid! >= minUid && u.uid! < 60000)) && existsSync(u.home));
}
