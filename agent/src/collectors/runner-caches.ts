// Packages fetched by `npx` / `npm exec`, `pnpm dlx` and `bunx` without installing them. A cached
// copy proves the tool was fetched to be run, not that it is installed: no command of that name is
// on PATH and the cache may be cleaned at any time. So it is reported as kind `usage` (with high
// confidence, unlike a config folder): the admin learns the tool was run, and clearing the cache
// is the remediation, while "installed" stays reserved for copies a user can start by name.
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { readPackageJson } from '../matcher.js';
import { CONFIDENCE } from './confidence.js';
import { expandGlob } from './fs-util.js';
import { npmrcValue } from './npm-roots.js';
import type { Collector, ScanContext } from './types.js';

/** Cache layouts, `<cache>` = the npm cache folder; `<pkg>` = the package path, `<pnpm>` = its `.pnpm` store spelling (`@scope+name`). */
const LAYOUTS: { runner: string; pattern: string }[] = [
  { runner: 'npx', pattern: '<cache>/_npx/*/node_modules/<pkg>' },
  { runner: 'pnpm-dlx', pattern: '~/.cache/pnpm/dlx/*/*/node_modules/<pkg>' },
  { runner: 'pnpm-dlx', pattern: '~/.cache/pnpm/dlx/*/*/node_modules/.pnpm/<pnpm>@*/node_modules/<pkg>' },
  { runner: 'pnpm-dlx', pattern: '~/Library/Caches/pnpm/dlx/*/*/node_modules/<pkg>' },
  { runner: 'pnpm-dlx', pattern: '~/AppData/Local/pnpm-cache/dlx/*/*/node_modules/<pkg>' },
  { runner: 'bunx', pattern: '~/.bun/install/cache/.bunx-*/<pkg>@*/node_modules/<pkg>' },
];

export const runnerCachesCollector: Collector = {
  id: 'runner-cache',
  sources: ['runner-cache'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    for (const u of ctx.users) {
      const caches = new Set([npmrcValue(u.home, 'cache') ?? path.join(u.home, '.npm'), path.join(u.home, 'AppData', 'Local', 'npm-cache')]);
      for (const [name, toolId] of ctx.index.npm) {
        for (const { runner, pattern } of LAYOUTS) {
          const withPkg = pattern.replace(/<pkg>/g, name).replace('<pnpm>', name.replace('/', '+'));
          const expanded = withPkg.startsWith('<cache>') ? [...caches].map((c) => withPkg.replace('<cache>', c)) : [path.join(u.home, withPkg.slice(2))];
          for (const p of expanded) {
            for (const dir of expandGlob(p)) {
              const pkg = readPackageJson(path.join(dir, 'package.json'));
              if (pkg?.name !== name) continue; // a folder with the right name but another package
              out.push({
                toolId,
                kind: 'usage',
                user: u.user,
                evidence: { source: 'runner-cache', signature: `${runner}:${name}`, path: dir, ...(pkg.version ? { version: pkg.version } : {}) },
                confidence: CONFIDENCE.runnerCache,
              });
            }
          }
        }
      }
    }
    return out;
  },
};
