// The Edict release version and the git commit it was built from. A packaged build (the
// single-file agent, the server package) has both embedded by `npm run package` (esbuild
// `define`); a build from source reads the version from the top-level package.json, found by
// walking up from this module, and reports the commit as `source`.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Replaced by string literals when bundled (scripts/package/bundle.ts); absent otherwise.
declare const __EDICT_BUILD_VERSION__: string | undefined;
declare const __EDICT_BUILD_COMMIT__: string | undefined;

function findVersion(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'package.json');
    if (existsSync(candidate)) {
      const pkg = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'edict' && pkg.version) return pkg.version;
    }
    const parent = path.dirname(dir);
    if (parent === dir) return '0.0.0-unknown';
    dir = parent;
  }
}

export const EDICT_VERSION: string = typeof __EDICT_BUILD_VERSION__ === 'string' ? __EDICT_BUILD_VERSION__ : findVersion();
export const EDICT_COMMIT: string = typeof __EDICT_BUILD_COMMIT__ === 'string' ? __EDICT_BUILD_COMMIT__ : 'source';

/** One line for `--version`: "0.1.0 (commit 1a2b3c4d5e6f)". */
export const EDICT_VERSION_LINE = `${EDICT_VERSION} (commit ${EDICT_COMMIT})`;
