// Windows: users are the profile folders under C:\Users; npm's global root is per user
// (%APPDATA%\npm\node_modules). Processes come from ps-list; installed programs from the Uninstall
// registry keys, read with `reg query` (its text output is parsed by collectors/windows-uninstall).
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { psListSource } from './ps-source.js';
import type { Platform, ProcessSource, UserHome } from './types.js';

const run = promisify(execFile);

/** Machine-wide (64- and 32-bit views) and the agent user's own uninstall keys. */
const UNINSTALL_KEYS = [
  'HKLM\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
  'HKLM\\Software\\WOW6432Node\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
  'HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall',
];
/** reg.exe answers in well under a second; a hung query must not stall the scan. */
const REG_TIMEOUT_MS = 15_000;

export function win32Platform(): Platform {
  const usersDir = path.join(process.env.SystemDrive ?? 'C:', 'Users');
  let procs: ProcessSource | undefined;
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
    processSource: () => (procs ??= psListSource(() => undefined)),
    appBundleDirs: () => [],
    systemPythonDirs: () => [path.join(process.env.ProgramFiles ?? 'C:\\Program Files', 'Python3*', 'Lib', 'site-packages')],
    packageSources: () => ({ flatpakDirs: [] }),
    async uninstallRegistryText() {
      const parts: string[] = [];
      const keys = [...UNINSTALL_KEYS];
      // Per-user installs of every loaded profile (HKCU is only the agent's own user when it runs as a service).
      try {
        const hku = (await run('reg', ['query', 'HKU'], { timeout: REG_TIMEOUT_MS, windowsHide: true })).stdout;
        for (const m of hku.matchAll(/^HKEY_USERS\\(S-1-5-21-[\d-]+)\s*$/gm)) keys.push(`HKU\\${m[1]}\\Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall`);
      } catch {
        // HKU not listable (not elevated): the machine-wide keys and the agent's own HKCU still count.
      }
      for (const key of keys) {
        try {
          parts.push((await run('reg', ['query', key, '/s'], { timeout: REG_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024, windowsHide: true })).stdout);
        } catch {
          continue; // the key does not exist on this machine (e.g. no WOW6432Node on 32-bit Windows)
        }
      }
      return parts.join('\r\n');
    },
    startMenuDirs: () => [path.join(process.env.ProgramData ?? 'C:\\ProgramData', 'Microsoft', 'Windows', 'Start Menu', 'Programs')],
  };
}
