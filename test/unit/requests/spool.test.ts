// Employee requests through the spool: written atomically by the employee, taken by the agent,
// attributed to the file owner (never to what the file claims), anything odd refused and removed.
// As root the permission model is exercised with a real second OS user: they may create files,
// may not list the folder, may not remove another's file.
import { afterAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, linkSync, lstatSync, readdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureSpool, MAX_REQUEST_BYTES, requestsDir, SPOOL_DIR_MODE, takeRequests, writeRequest, type SpoolLog } from '../../../agent/src/requests/spool.js';
import { ensureTestUser, isRoot } from '../../helpers/dbus.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

function recordingLog() {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const log: SpoolLog = {
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj, msg) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
  return { log, lines };
}

function freshState(): string {
  const state = tempDir('edict-state-');
  chmodSync(state, 0o711); // traversable, not listable: what the spool needs from the state dir
  expect(ensureSpool(state).reachableByUsers).toBe(true);
  return state;
}

const me = process.getuid!();
const names = (uid: number) => (uid === me ? 'me' : undefined);

describe('request spool', () => {
  test('ensureSpool makes a sticky 1733 folder and tells when users cannot reach it', () => {
    const state = tempDir('edict-state-');
    const r = ensureSpool(state);
    expect(statSync(r.dir).mode & 0o7777).toBe(0o1733);
    expect(r.reachableByUsers).toBe(false); // tempDir is 0700: the agent must open its state dir to o+x
  });

  test('ensureSpool sets aside a symlink planted in place of the spool (never follows it)', () => {
    const state = tempDir('edict-state-');
    const elsewhere = tempDir();
    symlinkSync(elsewhere, requestsDir(state));
    const logged: unknown[] = [];
    ensureSpool(state, { warn: () => {}, error: (o) => logged.push(o) });
    // The link was set aside (not followed): the spool is a real folder of the agent's, the target untouched.
    expect(lstatSync(requestsDir(state)).isDirectory()).toBe(true);
    expect(lstatSync(requestsDir(state)).mode & 0o7777).toBe(SPOOL_DIR_MODE);
    expect(readdirSync(state).filter((f) => f.startsWith('requests.corrupt-'))).toHaveLength(1);
    expect(lstatSync(elsewhere).mode & 0o7777).not.toBe(SPOOL_DIR_MODE);
    expect(logged).toHaveLength(1);
  });

  test('an ack and an exception request round-trip, oldest first, and are removed', () => {
    const state = freshState();
    const a = writeRequest(state, { kind: 'ack', toolId: 'claude-code' });
    utimesSync(a.file, new Date(Date.now() - 5000), new Date(Date.now() - 5000));
    const b = writeRequest(state, { kind: 'exception-request', toolId: 'claude-code', reason: '迁移项目需要到月底 (migration until month end)' });
    expect(statSync(a.file).mode & 0o777).toBe(0o600);
    const taken = takeRequests(state, { userName: names });
    expect(taken.map((t) => t.request.kind)).toEqual(['ack', 'exception-request']);
    expect(taken[1]).toMatchObject({ user: 'me', uid: me, request: { toolId: 'claude-code', reason: '迁移项目需要到月底 (migration until month end)' } });
    expect(taken[1]!.request).toEqual(b.request);
    expect(readdirSync(requestsDir(state))).toEqual([]);
    expect(takeRequests(state)).toEqual([]);
  });

  test('writer errors are readable: unknown tool id, missing spool', () => {
    const state = freshState();
    expect(() => writeRequest(state, { kind: 'ack', toolId: 'Not A Tool!' })).toThrow(/tool id/);
    expect(() => writeRequest(tempDir(), { kind: 'ack', toolId: 'claude-code' })).toThrow(/does not exist: is the agent installed/);
  });

  test('bad JSON, schema violations and oversize files are refused and removed', () => {
    const state = freshState();
    const dir = requestsDir(state);
    writeFileSync(path.join(dir, 'bad.json'), '{"kind": "ack", ');
    writeFileSync(path.join(dir, 'extra.json'), JSON.stringify({ kind: 'ack', toolId: 'claude-code', at: new Date().toISOString(), admin: true }));
    writeFileSync(path.join(dir, 'noreason.json'), JSON.stringify({ kind: 'exception-request', requestId: crypto.randomUUID(), toolId: 'claude-code', reason: '   ', at: new Date().toISOString() }));
    writeFileSync(path.join(dir, 'big.json'), JSON.stringify({ kind: 'ack', toolId: 'claude-code', at: new Date().toISOString(), user: 'x'.repeat(MAX_REQUEST_BYTES) }));
    const { log, lines } = recordingLog();
    expect(takeRequests(state, { log })).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    const why = Object.fromEntries(lines.map((l) => [l.obj.file, String(l.obj.why)]));
    expect(why['bad.json']).toMatch(/JSON/);
    expect(why['extra.json']).toMatch(/admin/);
    expect(why['noreason.json']).toMatch(/reason/);
    expect(why['big.json']).toMatch(/larger than/);
  });

  test('a symlink or hard link is refused; the file it points to is untouched', () => {
    const state = freshState();
    const dir = requestsDir(state);
    const target = path.join(tempDir(), 'victim.json');
    writeFileSync(target, JSON.stringify({ kind: 'ack', toolId: 'claude-code', at: new Date().toISOString() }));
    symlinkSync(target, path.join(dir, 'link.json'));
    linkSync(target, path.join(dir, 'hard.json'));
    const { log, lines } = recordingLog();
    expect(takeRequests(state, { log })).toEqual([]);
    expect(lines.map((l) => l.obj.why).sort()).toEqual(['hard link', 'symlink']);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(target)).toBe(true);
  });

  test('temp files of a writer still busy are left alone; abandoned ones are removed', () => {
    const state = freshState();
    const dir = requestsDir(state);
    writeFileSync(path.join(dir, '.busy.tmp'), '{');
    writeFileSync(path.join(dir, '.old.tmp'), '{');
    const old = new Date(Date.now() - 60 * 60_000);
    utimesSync(path.join(dir, '.old.tmp'), old, old);
    expect(takeRequests(state)).toEqual([]);
    expect(readdirSync(dir)).toEqual(['.busy.tmp']);
  });

  test('one user flooding the spool is capped per take', () => {
    const state = freshState();
    for (let i = 0; i < 25; i++) writeRequest(state, { kind: 'ack', toolId: 'claude-code' });
    const { log, lines } = recordingLog();
    expect(takeRequests(state, { log })).toHaveLength(20);
    expect(lines.filter((l) => String(l.obj.why).includes('more than 20'))).toHaveLength(5);
  });

  const asRoot = isRoot() ? test : test.skip;
  if (!isRoot()) console.warn('request spool: the two-user permission tests need root (they create edict-test-user); skipped');

  asRoot('a real second user: may create, may not list or remove others; a forged user field loses to the owner', () => {
    const u = ensureTestUser();
    const state = freshState();
    const dir = requestsDir(state);
    const asUser = (script: string) => spawnSync('/bin/sh', ['-c', script], { uid: u.uid, gid: u.gid, cwd: '/', env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });

    // The employee writes a request claiming to be root.
    const forged = JSON.stringify({ kind: 'exception-request', requestId: crypto.randomUUID(), toolId: 'claude-code', reason: 'please', at: new Date().toISOString(), user: 'root' });
    const w = asUser(`umask 077; printf '%s' '${forged}' > ${dir}/.r1.tmp && mv ${dir}/.r1.tmp ${dir}/r1.json`);
    expect(w.status).toBe(0);
    // The agent's own file (root) next to it: the user can neither list the folder nor remove it.
    writeFileSync(path.join(dir, 'root-owned.json'), JSON.stringify({ kind: 'ack', toolId: 'cursor', at: new Date().toISOString() }));
    expect(asUser(`ls ${dir}`).status).not.toBe(0);
    expect(asUser(`rm -f ${dir}/root-owned.json`).status).not.toBe(0);
    expect(existsSync(path.join(dir, 'root-owned.json'))).toBe(true);

    const { log, lines } = recordingLog();
    const taken = takeRequests(state, { log });
    const mine = taken.find((t) => t.request.toolId === 'claude-code')!;
    expect(mine.uid).toBe(u.uid);
    expect(mine.user).toBe(u.user);
    expect(mine.request.user).toBe('root'); // kept only as the claim it is
    expect(lines).toContainEqual(expect.objectContaining({ msg: 'request claims another user; attributed to the file owner', obj: expect.objectContaining({ owner: u.user, claimed: 'root' }) }));
    expect(taken.find((t) => t.request.toolId === 'cursor')).toMatchObject({ uid: 0, user: 'root' });
  });

  asRoot('a file chowned to a uid without a passwd entry is attributed to that uid', () => {
    const state = freshState();
    const { file } = writeRequest(state, { kind: 'ack', toolId: 'claude-code' });
    chownSync(file, 54321, 54321);
    expect(takeRequests(state)).toEqual([expect.objectContaining({ uid: 54321, user: 'uid:54321' })]);
  });
});

