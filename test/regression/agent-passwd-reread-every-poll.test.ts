// Regression: the agent parsed /etc/passwd on every process poll (7 % of its time), and the Linux
// platform's uid → name table, built once at start, never learned a user added later (their
// processes were reported as `uid:N`). Now the file is parsed again only when it changed, and
// every lookup sees the change. A temporary passwd file stands in for /etc/passwd.
import { afterAll, expect, test } from '@jest/globals';
import { appendFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { linuxPlatform } from '../../agent/src/platform/linux.js';
import { passwdIndex, passwdParses } from '../../agent/src/platform/posix-users.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

afterAll(cleanupTempDirs);

test('passwd is parsed once while unchanged, again when it changes (edited in place or replaced)', () => {
  const dir = tempDir();
  const file = path.join(dir, 'passwd');
  writeFileSync(file, 'root:x:0:0:root:/root:/bin/sh\nann:x:1001:1001::/home/ann:/bin/sh\n');
  const platform = linuxPlatform(file);
  const parses = passwdParses();
  const first = passwdIndex(file);
  for (let i = 0; i < 50; i++) expect(platform.userName(1001)).toBe('ann');
  expect(passwdIndex(file)).toBe(first);
  expect(passwdParses() - parses).toBe(1);

  // useradd appends (and usually replaces the file): a user added while the agent runs gets a name.
  expect(platform.userName(1002)).toBeUndefined();
  appendFileSync(file, 'bob:x:1002:1002::/home/bob:/bin/sh\n');
  expect(platform.userName(1002)).toBe('bob');
  expect(passwdParses() - parses).toBe(2);

  // Replaced by rename (vipw, useradd): a new inode, seen as a change even with the same size.
  const next = path.join(dir, 'passwd.new');
  writeFileSync(next, 'root:x:0:0:root:/root:/bin/sh\nann:x:1001:1001::/home/ann:/bin/sh\ncid:x:1002:1002::/home/bob:/bin/sh\n');
  renameSync(next, file);
  expect(platform.userName(1002)).toBe('cid');
  expect(passwdIndex(file).byName.get('bob')).toBeUndefined();
});

test('a missing passwd file means no accounts, not an error; it is read once it appears', () => {
  const file = path.join(tempDir(), 'passwd');
  expect(passwdIndex(file).entries).toEqual([]);
  writeFileSync(file, 'dee:x:1003:1003::/home/dee:/bin/sh\n');
  expect(passwdIndex(file).byUid.get(1003)?.user).toBe('dee');
});
