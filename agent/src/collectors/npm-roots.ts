// Every npm global node_modules folder a user can have: the prefix in ~/.npmrc, ~/.npm-global and
// the version managers' folders (nvm, nvm-windows, fnm, volta, asdf, mise), pnpm, yarn and bun
// globals, and Claude Code's own "local" install folder. Shared by the npm-globals collector
// (packages) and the PATH collector (their bin folders). Every pattern below is a layout observed
// or documented for that manager (research notes §1.3); absent ones cost one failed stat.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { UserHome } from '../platform/index.js';
import { expandGlob, statOrUndefined } from './fs-util.js';
import { tolerate } from './problems.js';

const PER_USER_ROOTS = [
  '~/.npm-global/lib/node_modules',
  '~/.npm-packages/lib/node_modules',
  '~/.nvm/versions/node/*/lib/node_modules',
  '~/.local/share/fnm/node-versions/*/installation/lib/node_modules',
  '~/.fnm/node-versions/*/installation/lib/node_modules',
  '~/Library/Application Support/fnm/node-versions/*/installation/lib/node_modules',
  '~/AppData/Roaming/fnm/node-versions/*/installation/node_modules',
  // volta keeps one image per global package; scoped packages sit one level deeper
  '~/.volta/tools/image/packages/*/lib/node_modules',
  '~/.volta/tools/image/packages/@*/*/lib/node_modules',
  '~/AppData/Local/Volta/tools/image/packages/*/node_modules',
  '~/AppData/Local/Volta/tools/image/packages/@*/*/node_modules',
  '~/.volta/tools/image/node/*/lib/node_modules',
  '~/.asdf/installs/nodejs/*/lib/node_modules',
  '~/.local/share/mise/installs/node/*/lib/node_modules',
  '~/.local/share/mise/installs/nodejs/*/lib/node_modules',
  '~/.local/share/pnpm/global/*/node_modules',
  '~/Library/pnpm/global/*/node_modules',
  '~/AppData/Local/pnpm/global/*/node_modules',
  '~/.bun/install/global/node_modules',
  '~/.config/yarn/global/node_modules',
  '~/.yarn/global/node_modules',
  '~/AppData/Local/Yarn/Data/global/node_modules',
  '~/AppData/Roaming/npm/node_modules',
  '~/AppData/Roaming/nvm/*/node_modules',
  '~/.claude/local/node_modules',
];

/** The `prefix=` a user's ~/.npmrc sets, as `npm config get prefix` would report it. */
export function npmrcPrefix(home: string): string | undefined {
  return npmrcValue(home, 'prefix');
}

/** A `key=value` from ~/.npmrc (`~` expanded, quotes dropped), or undefined. */
export function npmrcValue(home: string, key: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(home, '.npmrc'), 'utf8');
  } catch (err) {
    tolerate(err, path.join(home, '.npmrc')); // no .npmrc: npm's defaults apply
    return undefined;
  }
  for (const line of text.split(/\r?\n/)) {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*(.+?)\\s*$`).exec(line);
    if (m) return path.resolve(home, m[1].replace(/^["']|["']$/g, '').replace(/^~(?=\/|$)/, home));
  }
  return undefined;
}

export function prefixRoot(prefix: string): string {
  return process.platform === 'win32' ? path.join(prefix, 'node_modules') : path.join(prefix, 'lib', 'node_modules');
}

export function userNpmRoots(u: UserHome): string[] {
  const roots: string[] = [];
  const prefix = npmrcPrefix(u.home);
  if (prefix) roots.push(prefixRoot(prefix));
  for (const pattern of PER_USER_ROOTS) roots.push(...expandGlob(path.join(u.home, pattern.slice(2))));
  return roots.filter((r) => statOrUndefined(r)?.isDirectory());
}

/** bin folders that belong with a user's npm roots (`<prefix>/bin`, managers' shim folders). */
export function userNpmBinDirs(u: UserHome): string[] {
  const dirs = [
    path.join(u.home, '.npm-global', 'bin'),
    path.join(u.home, '.npm-packages', 'bin'),
    path.join(u.home, '.bun', 'bin'),
    path.join(u.home, '.volta', 'bin'),
    path.join(u.home, '.local', 'share', 'pnpm'),
    path.join(u.home, '.yarn', 'bin'),
    path.join(u.home, 'AppData', 'Roaming', 'npm'),
  ];
  const prefix = npmrcPrefix(u.home);
  if (prefix) dirs.push(process.platform === 'win32' ? prefix : path.join(prefix, 'bin'));
  dirs.push(...expandGlob(path.join(u.home, '.nvm/versions/node/*/bin')));
  dirs.push(...expandGlob(path.join(u.home, '.local/share/fnm/node-versions/*/installation/bin')));
  dirs.push(...expandGlob(path.join(u.home, '.asdf/installs/nodejs/*/bin')));
  dirs.push(...expandGlob(path.join(u.home, '.local/share/mise/installs/node/*/bin')));
  return dirs;
}
