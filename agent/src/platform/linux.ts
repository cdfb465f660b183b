// Linux: users from /etc/passwd (re-read when it changes), processes from /proc (fast path),
// dpkg/rpm/snap/flatpak databases.
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { humanUsers, passwdIndex, type PasswdIndex } from './posix-users.js';
import { procfsSource } from './procfs.js';
import type { Platform, ProcessSource, UserHome } from './types.js';

/** Which homes exist is looked at again after this long (a home is often created at first login, with no change to /etc/passwd). */
const HOMES_RECHECK_MS = 60_000;

export function linuxPlatform(passwdFile = '/etc/passwd'): Platform {
  let procs: ProcessSource | undefined;
  let users: { index: PasswdIndex; at: number; list: UserHome[] } | undefined;
  return {
    name: 'linux',
    listUsers() {
      const index = passwdIndex(passwdFile);
      const now = performance.now();
      if (users?.index !== index || now - users.at > HOMES_RECHECK_MS) users = { index, at: now, list: humanUsers(index.entries) };
      return users.list;
    },
    userName: (uid) => passwdIndex(passwdFile).byUid.get(uid)?.user,
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
    processSource: () => (procs ??= procfsSource()),
    appBundleDirs: () => [],
    systemPythonDirs: () => ['/usr/lib/python3/dist-packages', '/usr/local/lib/python3*/dist-packages', '/usr/local/lib/python3*/site-packages', '/usr/lib/python3*/site-packages'],
    packageSources: () => ({
      dpkgStatus: '/var/lib/dpkg/status',
      rpmDb: '/var/lib/rpm',
      snapDir: '/snap',
      flatpakDirs: ['/var/lib/flatpak/app'],
    }),
    uninstallRegistryText: async () => '',
    startMenuDirs: () => [],
  };
}
