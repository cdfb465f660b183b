// The agent reads ~/.config/locale.conf as root, and the user controls that file: a symlink to a
// secret, a FIFO that would block forever, or a folder must each read as "no locale", at once.
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readLocaleConf } from '../../../agent/src/notices/locale.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

test('a regular file is read; a symlink, a FIFO, a folder and a missing file are "no locale"', () => {
  const dir = tempDir();
  const real = path.join(dir, 'real.conf');
  writeFileSync(real, 'LANG=zh_CN.UTF-8\n');
  expect(readLocaleConf(real)).toEqual({ LANG: 'zh_CN.UTF-8' });
  const link = path.join(dir, 'link.conf');
  symlinkSync(real, link);
  expect(readLocaleConf(link)).toBeUndefined();
  const fifo = path.join(dir, 'fifo.conf');
  execFileSync('mkfifo', [fifo]);
  const started = Date.now();
  expect(readLocaleConf(fifo)).toBeUndefined();
  expect(Date.now() - started).toBeLessThan(1000);
  const folder = path.join(dir, 'folder.conf');
  mkdirSync(folder);
  expect(readLocaleConf(folder)).toBeUndefined();
  expect(readLocaleConf(path.join(dir, 'missing.conf'))).toBeUndefined();
});

test('a huge file is read only up to the cap', () => {
  const dir = tempDir();
  const big = path.join(dir, 'big.conf');
  writeFileSync(big, 'LANG=en_US.UTF-8\n' + '#'.repeat(10 * 1024 * 1024));
  expect(readLocaleConf(big)).toEqual({ LANG: 'en_US.UTF-8' });
});
