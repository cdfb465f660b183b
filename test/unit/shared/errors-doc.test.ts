// Keeps the error catalogue (shared/src/errors.ts) and docs/errors.md in step: every code is
// documented with the same HTTP status and WebSocket close code, and the doc lists no stale code.
import { expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERRORS, type ErrorSpec } from '../../../shared/src/errors.js';
import { ROOT } from '../../helpers/paths.js';

const doc = readFileSync(path.join(ROOT, 'docs', 'errors.md'), 'utf8');
const rows = new Map(
  doc
    .split('\n')
    .filter((l) => l.startsWith('| `EDICT_ERR_'))
    .map((l) => {
      const cells = l.split('|').map((c) => c.trim());
      return [cells[1].replace(/`/g, ''), { http: cells[2], ws: cells[3] }] as const;
    }),
);

test('every catalogued code is documented with its HTTP status and close code', () => {
  for (const [code, spec] of Object.entries(ERRORS) as [string, ErrorSpec][]) {
    expect(rows.has(code)).toBe(true);
    expect({ code, ...rows.get(code) }).toEqual({ code, http: spec.http ? String(spec.http) : '—', ws: spec.wsClose ? String(spec.wsClose) : '—' });
  }
});

test('the doc lists no code the catalogue does not have', () => {
  expect([...rows.keys()].filter((c) => !(c in ERRORS))).toEqual([]);
});
