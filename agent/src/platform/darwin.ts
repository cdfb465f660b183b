// macOS: human users are the folders under /Users; processes come from ps (no /proc); apps are
// .app bundles in /Applications.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { passwdIndex } from './posix-users.js';
import { psListSource } from './ps-source.js';
import type { Platform, ProcessSource, UserHome } from './types.js';

export function darwinPlatform(): Platform {
  let procs: ProcessSource | undefined;
  return {
    name: 'darwin',
    listUsers(): UserHome[] {
      const users: UserHome[] = [{ user: 'root', uid: 0, home: '/var/root' }];
      if (!existsSync('/Users')) return users;
      for (const name of readdirSync('/Users')) {
        if (name === 'Shared' || name.startsWith('.')) continue;
        const home = path.join('/Users', name);
        const st = statSync(home);
        if (st.isDirectory()) users.push({ user: name, uid: st.uid, home });
      }
      return users;
    },
    userName: (uid) => passwdIndex().byUid.get(uid)?.user,
    processExe: () => undefined,
    systemNpmRoots: () => ['/usr/local/lib/node_modules', '/opt/homebrew/lib/node_modules', path.join(path.dirname(path.dirname(process.execPath)), 'lib', 'node_modules')],
    processSource: () => (procs ??= psListSource(() => undefined)),
    appBundleDirs: () => ['/Applications', '/Applications/Utilities'],
    systemPythonDirs: () => ['/Library/Python/*/site-packages', '/opt/homebrew/lib/python3*/site-packages', '/usr/local/lib/python3*/site-packages'],
    packageSources: () => ({ flatpakDirs: [] }),
    uninstallRegistryText: async () => '',
    startMenuDirs: () => [],
  };
}
