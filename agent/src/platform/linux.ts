// Linux: users from /etc/passwd, processes from /proc (fast path), dpkg/rpm/snap/flatpak databases.
import { readlinkSync } from 'node:fs';
import path from 'node:path';
import { humanUsers, readPasswd } from './posix-users.js';
import { procfsSource } from './procfs.js';
import type { Platform, ProcessSource } from './types.js';

export function linuxPlatform(): Platform {
  const passwd = readPasswd();
  const byUid = new Map(passwd.map((u) => [u.uid!, u.user]));
  let procs: ProcessSource | undefined;
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
