// Windows: users are the profile folders under C:\Users; npm's global root is per user
// (%APPDATA%\npm\node_modules). Process paths come from ps-list where available.
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Platform, UserHome } from './types.js';

export function win32Platform(): Platform {
  const usersDir = path.join(process.env.SystemDrive ?? 'C:', 'Users');
  return {
    name: 'win32',
    listUsers(): UserHome[] {
      if (!existsSync(usersDir)) return [];
      return readdirSync(usersDir)
        .filter((n) => !['Public', 'Default', 'Default User', 'All Users'].includes(n))
        .map((n) => ({ user: n, home: path.join(usersDir, n) }))
        .filter((u) => statSync(u.home).isDirectory());
    },
    userName: () => undefined,
    processExe: () => undefined,
    systemNpmRoots: () => [path.join(path.dirname(process.execPath), 'node_modules')],
  };
}
