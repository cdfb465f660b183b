// The dashboard speaks English and Simplified Chinese: both dictionaries have the same keys, and
// every fixed key a view asks for exists (a missing key would show its name to the user).
import { expect, test } from '@jest/globals';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/paths.js';

const SRC = path.join(ROOT, 'server', 'dashboard', 'src');
const i18n = readFileSync(path.join(SRC, 'i18n.ts'), 'utf8');

function keysOf(dict: 'en' | 'zh'): string[] {
  const start = i18n.indexOf(`const ${dict}: Dict = {`);
  const body = i18n.slice(start, i18n.indexOf('\n};', start));
  return [...body.matchAll(/^\s+(?:'([^']+)'|(\w+)):/gm)].map((m) => m[1] ?? m[2]);
}

test('English and Chinese have the same keys', () => {
  const en = keysOf('en');
  const zh = keysOf('zh');
  expect(en.length).toBeGreaterThan(200);
  expect(en.filter((k) => !zh.includes(k))).toEqual([]);
  expect(zh.filter((k) => !en.includes(k))).toEqual([]);
});

test('every fixed key the views use is translated', () => {
  const files = [...readdirSync(SRC).filter((f) => f.endsWith('.tsx')), ...readdirSync(path.join(SRC, 'views')).map((f) => path.join('views', f))];
  const used = new Set<string>();
  for (const f of files) for (const m of readFileSync(path.join(SRC, f), 'utf8').matchAll(/\bt\(\s*'([a-zA-Z][\w.-]*)'/g)) used.add(m[1]);
  const en = new Set(keysOf('en'));
  expect([...used].filter((k) => !en.has(k)).sort()).toEqual([]);
});

test('every state, stage and action has a label in both languages', () => {
  const en = new Set(keysOf('en'));
  const zh = new Set(keysOf('zh'));
  const needed = [
    ...['clear', 'noticed', 'acknowledged', 'violating', 'remediated', 'exempt'].map((s) => `state.${s}`),
    ...['none', 'monitor', 'notice', 'enforce', 'hard'].map((s) => `stage.${s}`),
    ...['report', 'notify', 'warn', 'stop'].map((s) => `action.${s}`),
  ];
  expect(needed.filter((k) => !en.has(k) || !zh.has(k))).toEqual([]);
});
