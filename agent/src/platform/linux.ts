// Linux: users from /etc/passwd, process executables from /proc/<pid>/exe.
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { humanUsers, readPasswd } from './posix-users.js';
import type { Platform } from './types.js';

export function linuxPlatform(): Platform {
  const passwd = readPasswd();
  const byUid = new Map(passwd.map((u) => [u.uid!, u.user]));
  return {
    name: 'linux',
    listUsers: () => humanUsers(readPasswd()),
    userName: (uid) => byUid.get(uid),
    processExe(pid) {
      try {
        // The kernel appends " (deleted)" when the file was replaced after exec.
        return readlinkSync(`/proc/${pid}/exe`).replace(/ \(deleted\)$/, '');
      } catch {
        return undefined; // another user's process without privileges, or it already ended
      }
    },
    systemNpmRoots: () => [
      '/usr/lib/node_modules',
      '/usr/local/lib/node_modules',
      path.join(path.dirname(path.dirname(process.execPath)), 'lib', 'node_modules'),
    ],
  };
}
