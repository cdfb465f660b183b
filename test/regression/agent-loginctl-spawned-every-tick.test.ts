// Regression: while a banned tool was installed for a user who was not logged in, every pass of
// the notice loop (after each process poll and every 5 s) ran `loginctl list-sessions`, ~1.2 times a
// second. The notifier now keeps its answer until a session can have started or ended (logind's
// session folder, the runtime-dir root or a user's runtime dir changed, or passwd did), so asking
// again costs a few stats. Temporary folders stand in for /run/user and /run/systemd/sessions, a
// real Unix socket for a session bus; loginctl itself is off (not every CI machine runs logind).
import { afterAll, expect, test } from '@jest/globals';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { linuxNotifier, sessionsSignature } from '../../agent/src/notifier/linux.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';

const servers: net.Server[] = [];
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  cleanupTempDirs();
});

/** Dates a folder back, as if its last change were a minute old (answers about fresh changes are never kept). */
function settle(...dirs: string[]): void {
  const old = new Date(Date.now() - 60_000);
  for (const d of dirs) utimesSync(d, old, old);
}

function listen(socket: string): Promise<void> {
  const srv = net.createServer();
  servers.push(srv);
  return new Promise((resolve) => srv.listen(socket, () => resolve()));
}

test('the logged-in users are looked up again only when a session can have changed', async () => {
  const runtimeRoot = tempDir();
  const sessionsDir = tempDir();
  const passwdFile = path.join(tempDir(), 'passwd');
  writeFileSync(passwdFile, 'ann:x:1001:1001::/home/ann:/bin/sh\nbob:x:1002:1002::/home/bob:/bin/sh\n');
  const opts = { runtimeRoot, sessionsDir, passwdFile, useLoginctl: false };
  const notifier = linuxNotifier(opts);
  settle(runtimeRoot, sessionsDir);

  const none = await notifier.loggedInUsers();
  expect(none).toEqual([]);
  // Nothing changed: the same answer object, nothing looked up again.
  expect(await notifier.loggedInUsers()).toBe(none);
  expect(await notifier.loggedInUsers()).toBe(none);

  // ann logs in: her runtime dir appears, then her session bus inside it. Answers about a change
  // this fresh are not kept (an mtime may not have moved yet), so each call looks again.
  mkdirSync(path.join(runtimeRoot, '1001'));
  expect(await notifier.loggedInUsers()).toEqual([]);
  await listen(path.join(runtimeRoot, '1001', 'bus'));
  expect((await notifier.loggedInUsers()).map((u) => u.user)).toEqual(['ann']);
  settle(runtimeRoot, path.join(runtimeRoot, '1001'));
  const withAnn = await notifier.loggedInUsers();
  expect(withAnn.map((u) => u.user)).toEqual(['ann']);
  expect(await notifier.loggedInUsers()).toBe(withAnn);

  // A session started or ended elsewhere (logind's session files) also counts as a change.
  const sig = sessionsSignature(opts);
  writeFileSync(path.join(sessionsDir, '7'), 'UID=1002\n');
  expect(sessionsSignature(opts)).not.toBe(sig);
  expect(await notifier.loggedInUsers()).not.toBe(withAnn);

  // bob's bus appears in a runtime dir that already existed: that dir's mtime moves.
  mkdirSync(path.join(runtimeRoot, '1002'));
  expect((await notifier.loggedInUsers()).map((u) => u.user)).toEqual(['ann']);
  await listen(path.join(runtimeRoot, '1002', 'bus'));
  expect((await notifier.loggedInUsers()).map((u) => u.user)).toEqual(['ann', 'bob']);
});
