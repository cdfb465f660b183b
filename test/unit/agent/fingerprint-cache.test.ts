// The fingerprint cache: an executable's content (hash and markers) is read once per file version,
// the cache is saved to the agent's state folder and loaded at start, so a restart reads nothing
// again; it is bounded (least recently used dropped first); a corrupt cache file is moved aside with
// a logged error and the cache starts empty. Real files: copies of /bin/sleep with Claude Code's
// content markers appended (an ELF that only its content identifies).
import { afterAll, beforeEach, expect, test } from '@jest/globals';
import { appendFileSync, copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import {
  attachFingerprintFile,
  cachedFingerprints,
  clearContentCache,
  contentReads,
  FingerprintCache,
  identifyContent,
  saveFingerprints,
} from '../../../agent/src/collectors/content-identity.js';
import { CatalogIndex } from '../../../agent/src/matcher.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);
beforeEach(() => clearContentCache());

const index = new CatalogIndex(BUILTIN_CATALOG);

/** A renamed ELF carrying Claude Code's markers: identified by content only. */
function markedBinary(dir: string, name: string, salt = ''): string {
  const file = path.join(dir, name);
  copyFileSync('/bin/sleep', file);
  appendFileSync(file, Buffer.alloc(128 * 1024));
  appendFileSync(file, Buffer.from(`\0@anthropic-ai/claude-code\0CLAUDE_CODE_ENTRYPOINT\0CLAUDE_CODE_EXECPATH\0${salt}`));
  return file;
}

function logger() {
  const errors: Record<string, unknown>[] = [];
  const infos: Record<string, unknown>[] = [];
  return { errors, infos, log: { error: (o: Record<string, unknown>) => errors.push(o), info: (o: Record<string, unknown>) => infos.push(o) } as never };
}

test('a restart reads no executable again: the cache is saved and loaded from the state folder', async () => {
  const dir = tempDir();
  const store = path.join(tempDir(), 'fingerprints.json');
  const bin = markedBinary(dir, 'helper');
  attachFingerprintFile(store, logger().log);
  const before = contentReads();
  expect((await identifyContent(bin, index))?.toolId).toBe('claude-code');
  expect((await identifyContent(bin, index))?.toolId).toBe('claude-code');
  expect(contentReads() - before).toBe(1);
  saveFingerprints();
  expect(JSON.parse(readFileSync(store, 'utf8')).entries).toHaveLength(1);

  // "Restart": memory emptied, the file loaded again.
  clearContentCache();
  attachFingerprintFile(store, logger().log);
  expect(cachedFingerprints()).toBe(1);
  expect((await identifyContent(bin, index))?.toolId).toBe('claude-code');
  expect(contentReads() - before).toBe(1); // served from the loaded cache

  // A new version of the file (content changed) is read again.
  appendFileSync(bin, 'x');
  expect((await identifyContent(bin, index))?.toolId).toBe('claude-code');
  expect(contentReads() - before).toBe(2);
});

test.each([
  ['not JSON', '{"version": 1, "entr'],
  ['wrong shape', JSON.stringify({ version: 1, markerSets: [], entries: [['k', 'not-a-hash', [], 0]] })],
  ['unknown version', JSON.stringify({ version: 9, markerSets: [], entries: [] })],
])('a corrupt cache file (%s) is moved aside with a logged error; the cache starts empty and works', async (_label, content) => {
  const stateDir = tempDir();
  const store = path.join(stateDir, 'fingerprints.json');
  writeFileSync(store, content);
  const l = logger();
  attachFingerprintFile(store, l.log);
  expect(l.errors).toHaveLength(1);
  expect(l.errors[0]).toMatchObject({ file: store });
  expect(existsSync(store)).toBe(false);
  expect(readdirSync(stateDir).some((f) => f.startsWith('fingerprints.json.corrupt-'))).toBe(true);
  expect(cachedFingerprints()).toBe(0);
  const bin = markedBinary(tempDir(), 'x');
  const before = contentReads();
  expect((await identifyContent(bin, index))?.toolId).toBe('claude-code');
  expect(contentReads() - before).toBe(1);
  saveFingerprints();
  expect(JSON.parse(readFileSync(store, 'utf8')).entries).toHaveLength(1);
});

test('the cache is bounded: the least recently used file version goes first, also when loading a bigger file', () => {
  const facts = (sha: string) => ({ sha256: sha.repeat(64), found: new Set<string>(), searched: new Set(['m']) });
  const c = new FingerprintCache(2);
  c.set('a', facts('a'));
  c.set('b', facts('b'));
  c.get('a'); // a used more recently than b
  c.set('c', facts('c'));
  expect([c.has('a'), c.has('b'), c.has('c')]).toEqual([true, false, true]);

  const store = path.join(tempDir(), 'fingerprints.json');
  const big = new FingerprintCache(10);
  big.attach(store);
  for (const k of ['1', '2', '3', '4']) big.set(k, facts(k === '1' ? 'd' : k === '2' ? 'e' : k === '3' ? 'f' : '0'));
  big.save();
  const small = new FingerprintCache(2);
  small.attach(store);
  expect([small.has('1'), small.has('2'), small.has('3'), small.has('4')]).toEqual([false, false, true, true]);
});
