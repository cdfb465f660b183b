// Every npm global node_modules folder a user can have: the prefix in ~/.npmrc, ~/.npm-global and
// the version managers' folders (nvm, fnm, volta, asdf, mise), pnpm, yarn and bun globals.
// Shared by the npm-globals collector (packages) and the PATH collector (their bin folders).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { UserHome } from '../platform/index.js';
import { expandGlob, statOrUndefined } from './fs-util.js';

const PER_USER_ROOTS = [
  '~/.npm-global/lib/node_modules',
  '~/.nvm/versions/node/*/lib/node_modules',
  '~/.local/share/fnm/node-versions/*/installation/lib/node_modules',
  '~/Library/Application Support/fnm/node-versions/*/installation/lib/node_modules',
  '~/.volta/tools/image/packages/*/lib/node_modules',
  '~/.asdf/installs/nodejs/*/lib/node_modules',
  '~/.local/share/mise/installs/node/*/lib/node_modules',
  '~/.local/share/pnpm/global/*/node_modules',
  '~/Library/pnpm/global/*/node_modules',
  '~/.bun/install/global/node_modules',
  '~/.config/yarn/global/node_modules',
  '~/AppData/Roaming/npm/node_modules',
];

/** The `prefix=` a user's ~/.npmrc sets, as `npm config get prefix` would report it. */
export function npmrcPrefix(home: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(home, '.npmrc'), 'utf8');
  } catch {
    return undefined; // no .npmrc: npm's default prefix applies (a system root)
  }
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*prefix\s*=\s*(.+?)\s*$/.exec(line);
    if (m) return path.resolve(home, m[1].replace(/^~(?=\/|$)/, home).replace(/^["']|["']$/g, ''));
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

/** bin folders that belong with a user's npm roots (`<prefix>/bin`). */
export function userNpmBinDirs(u: UserHome): string[] {
  const dirs = [path.join(u.home, '.npm-global', 'bin'), path.join(u.home, '.bun', 'bin'), path.join(u.home, '.volta', 'bin')];
  const prefix = npmrcPrefix(u.home);
  if (prefix) dirs.push(process.platform === 'win32' ? prefix : path.join(prefix, 'bin'));
  dirs.push(...expandGlob(path.join(u.home, '.nvm/versions/node/*/bin')));
  return dirs;
}
