// The store boundary holds for both backends: outside server/src/store/sqlite/ no source file
// imports better-sqlite3 or any module of the SQLite implementation, and outside
// server/src/store/postgres/ none imports the PostgreSQL client (`postgres`) or that implementation,
// except the one composition root that constructs them (server/src/store/index.ts); neither backend
// imports the other. Services and routes see only the repository interfaces. Scans every source
// file the product and its tools are built from.
import { describe, expect, test } from '@jest/globals';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../../helpers/paths.js';

const SOURCE_ROOTS = ['agent/src', 'server/src', 'shared/src', 'scripts', 'test/sim'];
const BACKENDS = [
  { dir: 'server/src/store/sqlite', packages: ['better-sqlite3'] },
  { dir: 'server/src/store/postgres', packages: ['postgres'] },
];
const COMPOSITION_ROOT = 'server/src/store/index.ts';

function files(dir: string, root = ROOT): string[] {
  const abs = path.join(root, dir);
  return readdirSync(abs).flatMap((e) => {
    const rel = path.join(dir, e);
    if (statSync(path.join(root, rel)).isDirectory()) return files(rel, root);
    return /\.(ts|js|mjs|cjs)$/.test(e) ? [rel] : [];
  });
}

/** Module specifiers a file imports (static, dynamic, re-exports, require). */
export function importsOf(source: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\brequire\s*\(\s*)['"]([^'"]+)['"]/g;
  for (let m = re.exec(source); m; m = re.exec(source)) out.push(m[1]);
  return out;
}

export function boundaryViolations(root: string, roots = SOURCE_ROOTS): string[] {
  const bad: string[] = [];
  for (const r of roots) {
    let list: string[];
    try {
      list = files(r, root);
    } catch {
      continue; // a root that does not exist in this tree
    }
    for (const f of list) {
      if (f === COMPOSITION_ROOT) continue;
      const own = BACKENDS.find((b) => f.startsWith(b.dir + path.sep));
      for (const spec of importsOf(readFileSync(path.join(root, f), 'utf8'))) {
        const target = spec.startsWith('.') ? path.normalize(path.join(path.dirname(f), spec)) : spec;
        for (const b of BACKENDS) {
          if (b === own) continue;
          if (b.packages.includes(spec) || target.startsWith(b.dir + path.sep)) bad.push(`${f} imports ${spec}`);
        }
      }
    }
  }
  return bad;
}

describe('store boundary', () => {
  test('nothing outside each backend folder (and the composition root) imports SQLite or PostgreSQL', () => {
    expect(boundaryViolations(ROOT)).toEqual([]);
  });
  test('a service importing the PostgreSQL client or store, or one backend importing the other, is a violation', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edict-arch-'));
    try {
      const write = (rel: string, text: string) => {
        mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), text);
      };
      write('server/src/compliance/x.ts', `import postgres from 'postgres';\nimport { PgAudit } from '../store/postgres/audit.js';`);
      write('server/src/store/sqlite/y.ts', `import { PgCluster } from '../postgres/cluster.js';`);
      write('server/src/store/index.ts', `import { PostgresStore } from './postgres/store.js';`);
      write('server/src/store/postgres/z.ts', `import postgres from 'postgres';`);
      expect(boundaryViolations(dir, ['server/src']).sort()).toEqual([
        'server/src/compliance/x.ts imports ../store/postgres/audit.js',
        'server/src/compliance/x.ts imports postgres',
        'server/src/store/sqlite/y.ts imports ../postgres/cluster.js',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  test('the check itself finds a violation', () => {
    expect(importsOf(`import Database from 'better-sqlite3';\nconst x = await import('./sqlite/store.js');`)).toEqual(['better-sqlite3', './sqlite/store.js']);
  });
});
