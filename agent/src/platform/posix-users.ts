// /etc/passwd parsing shared by Linux and macOS (macOS lists only system accounts there; its
// human users are found under /Users instead, see darwin.ts).
import { existsSync, readFileSync } from 'node:fs';
import type { UserHome } from './types.js';

export function readPasswd(file = '/etc/passwd'): UserHome[] {
  if (!existsSync(file)) return [];
  const out: UserHome[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [user, , uidStr, gidStr, , home] = line.split(':');
    const uid = Number(uidStr);
    const gid = Number(gidStr);
    if (!user || !home || !/^\d+$/.test(uidStr ?? '') || !/^\d+$/.test(gidStr ?? '')) continue;
    out.push({ user, uid, gid, home });
  }
  return out;
}

/** Root plus regular accounts (uid 1000..60000) whose home exists. */
export function humanUsers(all: UserHome[], minUid = 1000): UserHome[] {
  return all.filter((u) => (u.uid === 0 || (u.uid! >= minUid && u.uid! < 60000)) && existsSync(u.home));
}
