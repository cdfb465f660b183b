// The store boundary holds: outside server/src/store/sqlite/ no source file imports better-sqlite3
// or any module of the SQLite implementation, except the one composition root that constructs it
// (server/src/store/index.ts). Services and routes see only the repository interfaces, so a second
// database can sit behind them. Scans every source file the product and its tools are built from.
import { describe, expect, test } from '@jest/globals';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/paths.js';

const SOURCE_ROOTS = ['agent/src', 'server/src', 'shared/src', 'scripts', 'test/sim'];
const SQLITE_DIR = 'server/src/store/sqlite';
const COMPOSITION_ROOT = 'server/src/store/index.ts';

function files(dir: string): string[] {
  const abs = path.join(ROOT, dir);
  return readdirSync(abs).flatMap((e) => {
    const rel = path.join(dir, e);
    if (statSync(path.join(ROOT, rel)).isDirectory()) return files(rel);
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
      list = files(r);
    } catch {
      continue; // a root that does not exist in this tree
    }
    for (const f of list) {
      if (f.startsWith(SQLITE_DIR + path.sep) || f === COMPOSITION_ROOT) continue;
      for (const spec of importsOf(readFileSync(path.join(root, f), 'utf8'))) {
        const target = spec.startsWith('.') ? path.normalize(path.join(path.dirname(f), spec)) : spec;
        if (spec === 'better-sqlite3' || target.startsWith(SQLITE_DIR + path.sep)) bad.push(`${f} imports ${spec}`);
      }
    }
  }
  return bad;
}

describe('store boundary', () => {
  test('nothing outside the SQLite folder (and the composition root) imports SQLite', () => {
    expect(boundaryViolations(ROOT)).toEqual([]);
  });
  test('the check itself finds a violation', () => {
    expect(importsOf(`import Database from 'better-sqlite3';\nconst x = await import('./sqlite/store.js');`)).toEqual(['better-sqlite3', './sqlite/store.js']);
  });
});
