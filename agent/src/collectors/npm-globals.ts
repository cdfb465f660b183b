// npm global packages: every catalogued package name (scoped included) in every global root of
// every user and of the system. A package in a user's root is that user's; in a system root, the
// owner of the package folder's.
import { realpathSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { readPackageJson } from '../matcher.js';
import { ownerName, statOrUndefined } from './fs-util.js';
import { CONFIDENCE } from './confidence.js';
import { tolerate } from './problems.js';
import { prefixRoot, userNpmRoots } from './npm-roots.js';
import type { Collector, ScanContext } from './types.js';

export const npmGlobalsCollector: Collector = {
  id: 'npm-global',
  sources: ['npm-global'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const roots = new Map<string, string | undefined>(); // real root → user (undefined = by owner)
    const add = (root: string, user: string | undefined) => {
      let real: string;
      try {
        real = realpathSync(root);
      } catch (err) {
        tolerate(err, root); // root does not exist
        return;
      }
      if (!roots.has(real) || user) roots.set(real, user ?? roots.get(real));
    };
    for (const r of ctx.platform.systemNpmRoots()) add(r, undefined);
    for (const p of ctx.extraNpmPrefixes) add(prefixRoot(p), undefined);
    for (const u of ctx.users) for (const r of userNpmRoots(u)) add(r, u.user);

    const out: Detection[] = [];
    for (const [root, user] of roots) {
      for (const [name, toolId] of ctx.index.npm) {
        const dir = path.join(root, ...name.split('/'));
        if (!statOrUndefined(path.join(dir, 'package.json'))) continue;
        const pkg = readPackageJson(path.join(dir, 'package.json'));
        if (pkg?.name !== name) continue; // a folder with the right name but another package is not the tool
        out.push({
          toolId,
          kind: 'installed',
          user: user ?? ownerName(dir, ctx.platform, 'unknown'),
          evidence: { source: 'npm-global', signature: `npm:${name}`, path: dir, ...(pkg.version ? { version: pkg.version } : {}) },
          confidence: CONFIDENCE.npmPackage,
        });
      }
    }
    return out;
  },
};
