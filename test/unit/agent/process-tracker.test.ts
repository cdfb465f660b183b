// The process tracker (collectors/process-tracker.ts) reads closely only processes created since
// the last poll. Two kinds of tests:
// - real processes (copies of /bin/sleep under a tool's name, a shell that execs into one later)
//   on the real /proc: found on a following poll, gone once killed, found after a late exec();
// - a synthetic /proc tree for what cannot be provoked on demand on a real machine: the kernel's
//   last-pid counter standing still, a thread id among the new pids, and a pid handed out again
//   after the counter wrapped around. procfsSource() reads it exactly like the real /proc.
import { afterAll, afterEach, describe, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import { detection, matchProcess } from '../../../agent/src/collectors/processes.js';
import { FULL_LISTING_MS, ProcessTracker, RECHECK_PERIOD_MS, YOUNG_RECHECK_MS } from '../../../agent/src/collectors/process-tracker.js';
import type { ScanContext } from '../../../agent/src/collectors/types.js';
import { CatalogIndex } from '../../../agent/src/matcher.js';
import { currentPlatform } from '../../../agent/src/platform/index.js';
import { procfsSource } from '../../../agent/src/platform/procfs.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';

const linux = process.platform === 'linux';
const kids: ChildProcess[] = [];
afterEach(() => {
  for (const k of kids.splice(0)) k.kill('SIGKILL');
});
afterAll(cleanupTempDirs);

const index = new CatalogIndex(BUILTIN_CATALOG);
const ctx: ScanContext = { index, platform: currentPlatform(), users: [], pathDirs: [], extraNpmPrefixes: [], selfPid: process.pid };

/** A tracker on a clock the test moves. */
function tracker() {
  const clock = { now: 1_000_000 };
  return { clock, t: new ProcessTracker(matchProcess, detection, () => clock.now) };
}

function sleeperCopy(name: string): string {
  const file = path.join(tempDir('edict-tracker-'), name);
  copyFileSync('/bin/sleep', file);
  chmodSync(file, 0o755);
  return file;
}

const pidsOf = (t: ProcessTracker) => t.detections().map((d) => d.evidence.pid);

(linux ? describe : describe.skip)('real processes', () => {
  const source = () => currentPlatform().processSource();

  test('a renamed tool started after a poll is found on a following poll, and dropped once it ends', async () => {
    const { clock, t } = tracker();
    await t.poll(ctx, source());
    const exe = sleeperCopy('claude');
    const child = spawn(exe, ['600'], { stdio: 'ignore' });
    kids.push(child);
    await waitFor(async () => {
      clock.now += 500;
      return (await t.poll(ctx, source())).changed && pidsOf(t).includes(child.pid);
    }, 'the new process found');
    expect(t.detections().find((d) => d.evidence.pid === child.pid)).toMatchObject({ toolId: 'claude-code', kind: 'running', evidence: { path: exe } });
    child.kill('SIGKILL');
    await waitFor(async () => {
      clock.now += 500;
      await t.poll(ctx, source());
      return !pidsOf(t).includes(child.pid);
    }, 'the ended process dropped');
  });

  test('fork, then exec into the tool: a process first read as the shell is read again once it execs', async () => {
    const { clock, t } = tracker();
    const exe = sleeperCopy('claude');
    // The shell waits for a line before it execs, so the tracker surely reads it as the shell first.
    const child = spawn('/bin/sh', ['-c', `read line; exec "${exe}" 600`], { stdio: ['pipe', 'ignore', 'ignore'] });
    kids.push(child);
    await waitFor(async () => {
      clock.now += 500;
      await t.poll(ctx, source());
      return t.seen.has(child.pid!);
    }, 'the shell seen');
    expect(pidsOf(t)).not.toContain(child.pid);
    child.stdin!.end('go\n');
    await waitFor(async () => {
      clock.now += 200; // still young: re-read on every poll
      await t.poll(ctx, source());
      return pidsOf(t).includes(child.pid);
    }, 'the exec noticed');
    expect(t.detections().find((d) => d.evidence.pid === child.pid)?.evidence.path).toBe(exe);
  });

  test('a late exec (long after the process started) is noticed by the rolling re-check within its period', async () => {
    const { clock, t } = tracker();
    const exe = sleeperCopy('claude');
    const child = spawn('/bin/sh', ['-c', `read line; exec "${exe}" 600`], { stdio: ['pipe', 'ignore', 'ignore'] });
    kids.push(child);
    await waitFor(async () => {
      clock.now += 500;
      await t.poll(ctx, source());
      return t.seen.has(child.pid!);
    }, 'the shell seen');
    clock.now += YOUNG_RECHECK_MS * 10; // no longer young
    await t.poll(ctx, source());
    child.stdin!.end('go\n');
    await waitFor(() => source().fingerprint!(child.pid!) === exe, 'the exec done');
    // Each poll re-checks a share of the known pids in proportion to the time since the last one:
    // a period of polls re-checks every pid; two periods leave room for the order to shift.
    const polls = (2 * RECHECK_PERIOD_MS) / 1000 + 2;
    let found = -1;
    for (let i = 0; i < polls && found < 0; i++) {
      clock.now += 1000;
      await t.poll(ctx, source());
      if (pidsOf(t).includes(child.pid)) found = i;
    }
    expect(found).toBeGreaterThanOrEqual(0);
  });

  test('a renamed executable that only its content identifies (markers appended) is found', async () => {
    const { clock, t } = tracker();
    await t.poll(ctx, source());
    const exe = sleeperCopy('report-helper');
    appendFileSync(exe, Buffer.alloc(128 * 1024));
    appendFileSync(exe, Buffer.from('\0@anthropic-ai/claude-code\0CLAUDE_CODE_ENTRYPOINT\0CLAUDE_CODE_EXECPATH\0'));
    const child = spawn(exe, ['600'], { stdio: 'ignore' });
    kids.push(child);
    await waitFor(async () => {
      clock.now += 500;
      await t.poll(ctx, source());
      return pidsOf(t).includes(child.pid);
    }, 'the process found by content');
    expect(t.detections().find((d) => d.evidence.pid === child.pid)?.evidence.signature).toMatch(/^content-markers:/);
  });
});

/** A /proc tree the test writes: loadavg's last pid, and per pid stat/status/cmdline/exe. */
class FakeProc {
  readonly root = tempDir('edict-fakeproc-');
  constructor() {
    // Same "namespace" as this process: /proc/self names our pid, so the last-pid fast path is used.
    symlinkSync(String(process.pid), path.join(this.root, 'self'));
    this.last(100);
  }
  last(pid: number): void {
    writeFileSync(path.join(this.root, 'loadavg'), `0.10 0.20 0.30 1/123 ${pid}\n`);
  }
  add(pid: number, o: { name: string; exe: string; cmd: string[]; start: number; tgid?: number }): void {
    const dir = path.join(this.root, String(pid));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    const fields = ['S', '1', ...Array(17).fill('0'), String(o.start)];
    writeFileSync(path.join(dir, 'stat'), `${pid} (${o.name}) ${fields.join(' ')} 0 0\n`);
    writeFileSync(path.join(dir, 'status'), `Name:\t${o.name}\nUmask:\t0022\nState:\tS\nTgid:\t${o.tgid ?? pid}\nPid:\t${pid}\nPPid:\t1\nUid:\t0\t0\t0\t0\n`);
    writeFileSync(path.join(dir, 'cmdline'), o.cmd.join('\0') + '\0');
    symlinkSync(o.exe, path.join(dir, 'exe'));
  }
  remove(pid: number): void {
    rmSync(path.join(this.root, String(pid)), { recursive: true, force: true });
  }
}

describe('a synthetic /proc', () => {
  test('no new pid: nothing is listed or read; a few new pids are looked up directly, threads skipped; an ended one drops at once', async () => {
    const proc = new FakeProc();
    const source = procfsSource(proc.root);
    proc.add(50, { name: 'bash', exe: '/bin/sh', cmd: ['bash'], start: 10 });
    const { clock, t } = tracker();
    await t.poll(ctx, source); // first poll: one listing
    expect(t.listings).toBe(1);
    expect(t.seen.has(50)).toBe(true);

    clock.now += 500;
    await t.poll(ctx, source);
    expect(t.listings).toBe(1);
    expect(t.examined).toBe(0);

    // Two new ids: a process (a tool by name) and a thread of pid 50.
    proc.add(101, { name: 'claude', exe: sleeperCopy('claude'), cmd: ['claude'], start: 20 });
    proc.add(102, { name: 'bash', exe: '/bin/sh', cmd: ['bash'], start: 10, tgid: 50 });
    proc.last(102);
    clock.now += 500;
    expect((await t.poll(ctx, source)).changed).toBe(true);
    expect(t.listings).toBe(1);
    expect(t.examined).toBe(1);
    expect(t.seen.has(102)).toBe(false);
    expect(pidsOf(t)).toEqual([101]);

    proc.remove(101);
    clock.now += 500;
    expect((await t.poll(ctx, source)).changed).toBe(true);
    expect(pidsOf(t)).toEqual([]);
    expect(t.listings).toBe(1);

    // The safety net: a listing at least every FULL_LISTING_MS even when nothing seems new.
    clock.now += FULL_LISTING_MS;
    await t.poll(ctx, source);
    expect(t.listings).toBe(2);
  });

  test('after the counter wraps, a pid handed out again is read afresh even though its number is known', async () => {
    const proc = new FakeProc();
    const source = procfsSource(proc.root);
    // pid 103: a node server, read and found to be nothing.
    proc.add(103, { name: 'node', exe: process.execPath, cmd: ['node', '/srv/app/server.js'], start: 30 });
    proc.last(150);
    const { clock, t } = tracker();
    await t.poll(ctx, source);
    expect(t.seen.has(103)).toBe(true);
    expect(pidsOf(t)).toEqual([]);

    // It ends; the counter passes pid_max and wraps around, handing 103 out again, to Claude Code run by node.
    proc.add(103, { name: 'node', exe: process.execPath, cmd: ['node', '/opt/x/node_modules/@anthropic-ai/claude-code/cli.js'], start: 90 });
    proc.last(103);
    clock.now += 500;
    expect((await t.poll(ctx, source)).changed).toBe(true);
    expect(t.detections()).toEqual([expect.objectContaining({ toolId: 'claude-code', evidence: expect.objectContaining({ pid: 103 }) })]);
  });
});
