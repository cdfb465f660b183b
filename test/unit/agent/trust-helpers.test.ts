// The small pieces behind the agent's trustworthiness, on real files: links resolved inside a
// process's root without escaping it; "not found" told from "could not look" (a collector that
// could not look is listed, with its sources, and a hung one times out); a persistent condition
// logged once per period; the per-user request limit; the stop action's strong-identity rule.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { BUILTIN_CATALOG } from '../../../shared/src/catalog/builtin.js';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { tolerate } from '../../../agent/src/collectors/problems.js';
import { matchProcess } from '../../../agent/src/collectors/processes.js';
import type { Collector, ScanContext } from '../../../agent/src/collectors/types.js';
import type { ProcessSource } from '../../../agent/src/platform/index.js';
import { stoppable } from '../../../agent/src/enforce/strong-identity.js';
import { CatalogIndex, resolveInRoot } from '../../../agent/src/matcher.js';
import { currentPlatform } from '../../../agent/src/platform/index.js';
import { RequestLimiter } from '../../../agent/src/requests/rate-limit.js';
import { scan } from '../../../agent/src/scanner.js';
import { ThrottledLog } from '../../../agent/src/throttled-log.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';

afterAll(cleanupTempDirs);

describe('resolveInRoot', () => {
  test('absolute and relative links resolve inside the root; .. and absolute targets never leave it', () => {
    const root = tempDir('edict-root-');
    mkdirSync(path.join(root, 'usr/local/lib/node_modules/@google/gemini-cli/bundle'), { recursive: true });
    mkdirSync(path.join(root, 'usr/local/bin'), { recursive: true });
    symlinkSync('../lib/node_modules/@google/gemini-cli/bundle/gemini.js', path.join(root, 'usr/local/bin/gemini'));
    symlinkSync('/usr/local/lib/node_modules/@google/gemini-cli/bundle/gemini.js', path.join(root, 'usr/local/bin/gemini-abs'));
    symlinkSync('../../../../../../../../etc/passwd', path.join(root, 'usr/local/bin/escape'));
    symlinkSync('loop2', path.join(root, 'usr/local/bin/loop1'));
    symlinkSync('loop1', path.join(root, 'usr/local/bin/loop2'));
    expect(resolveInRoot('/usr/local/bin/gemini', root)).toBe('/usr/local/lib/node_modules/@google/gemini-cli/bundle/gemini.js');
    expect(resolveInRoot('/usr/local/bin/gemini-abs', root)).toBe('/usr/local/lib/node_modules/@google/gemini-cli/bundle/gemini.js');
    expect(resolveInRoot('/usr/local/bin/escape', root)).toBe('/etc/passwd'); // the root's own /etc/passwd, as the process sees it
    expect(resolveInRoot('/usr/local/bin/loop1', root)).toBe('/usr/local/bin/loop1');
    expect(resolveInRoot('/usr/local/bin/missing/x', root)).toBe('/usr/local/bin/missing/x');
  });
});

describe('collector problems', () => {
  const ctx = (): ScanContext => ({ index: new CatalogIndex(BUILTIN_CATALOG), platform: currentPlatform(), users: [], pathDirs: [], extraNpmPrefixes: [], selfPid: process.pid });
  const found: Detection = { toolId: 'aider', kind: 'installed', user: 'ann', evidence: { source: 'python-package', signature: 'python:aider-chat', path: '/x' }, confidence: 0.95 };

  test('not found is silent; any other error marks the run incomplete but keeps what it found', async () => {
    const dir = tempDir();
    const locked = path.join(dir, 'locked');
    mkdirSync(locked);
    const fake: Collector = {
      id: 'python-package',
      sources: ['python-package'],
      phase: 'inventory',
      async collect() {
        tolerate(Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), path.join(dir, 'none'));
        tolerate(Object.assign(new Error(`EACCES: permission denied, scandir '${locked}'`), { code: 'EACCES' }), locked);
        return [found];
      },
    };
    const r = await scan(ctx(), ['inventory'], [fake]);
    expect(r.detections).toEqual([found]);
    expect(r.errors).toEqual([{ collector: 'python-package', code: 'EACCES', message: `EACCES: permission denied, scandir '${locked}'`, count: 1 }]);
    expect(r.failedSources).toEqual(['python-package']);
    expect(r.ran).toEqual(['python-package']);
  });

  test('outside a scan a real error is thrown, never taken for absence', () => {
    expect(() => tolerate(Object.assign(new Error('EMFILE: too many open files'), { code: 'EMFILE' }), '/x')).toThrow(/EMFILE/);
    expect(() => tolerate(Object.assign(new Error('gone'), { code: 'ENOTDIR' }), '/x')).not.toThrow();
  });

  test('a collector that hangs times out, is not started again while it runs, and fails its sources', async () => {
    let release!: () => void;
    let starts = 0;
    const hung: Collector = { id: 'process', sources: ['process'], phase: 'process', collect: () => (starts++, new Promise((r) => (release = () => r([]))) ) };
    const first = await scan(ctx(), ['process'], [hung], 50);
    expect(first.errors).toEqual([expect.objectContaining({ collector: 'process', code: 'ETIMEDOUT' })]);
    expect(first.failedSources).toEqual(['process']);
    const second = await scan(ctx(), ['process'], [hung], 50);
    expect(second.errors[0]!.message).toMatch(/still running since/);
    expect(starts).toBe(1);
    release();
  });

});

describe('ThrottledLog', () => {
  test('the same condition is logged once per period, then once more with how many were held back', () => {
    let now = 0;
    const lines: { obj: any; msg: string }[] = [];
    const sink = { warn: (obj: object, msg: string) => void lines.push({ obj, msg }), error: (obj: object, msg: string) => void lines.push({ obj, msg }) };
    const log = new ThrottledLog(sink, 60_000, () => now);
    for (let i = 0; i < 200; i++) log.warn({ file: `d${i}`, uid: 1000, why: 'a folder' }, 'refused an employee request file');
    log.warn({ file: 'x', uid: 1001, why: 'a folder' }, 'refused an employee request file'); // another user: its own line
    expect(lines).toHaveLength(2);
    now = 61_000;
    log.warn({ file: 'd0', uid: 1000, why: 'a folder' }, 'refused an employee request file');
    expect(lines).toHaveLength(3);
    expect(lines[2]!.obj.repeatedSinceLastLine).toBe(199);
  });
});

describe('RequestLimiter', () => {
  test('20 an hour per uid, counted across restarts; the refusal says when the next is taken', () => {
    const file = path.join(tempDir(), 'request-limits.json');
    const t0 = Date.parse('2026-11-01T00:00:00Z');
    const a = new RequestLimiter(file);
    a.record(Array.from({ length: 19 }, () => 1000), t0);
    expect(a.check(1000, t0 + 1000).ok).toBe(true);
    expect(a.check(1000, t0 + 1000, 1)).toEqual({ ok: false, retryAt: t0 + 3_600_000 });
    const b = new RequestLimiter(file); // after a restart
    b.record([1000], t0 + 2000);
    expect(b.check(1000, t0 + 3000)).toEqual({ ok: false, retryAt: t0 + 3_600_000 });
    expect(b.check(1001, t0 + 3000).ok).toBe(true);
    expect(b.check(1000, t0 + 3_600_001).ok).toBe(true);
  });
});

describe('stop needs a strong identity', () => {
  const running = (signature: string): Detection => ({ toolId: 'claude-code', kind: 'running', user: 'ann', evidence: { source: 'process', signature, pid: 42, path: '/x' }, confidence: 0.9 });
  test.each([
    ['exe-path:x', true],
    ['npm-package:@anthropic-ai/claude-code', true],
    ['sha256:abc', true],
    ['content-markers:a+b', true],
    ['runner:npm @anthropic-ai/claude-code', false],
    ['cmdline:@anthropic-ai[\\\\/]claude-code[\\\\/]cli\\.js', false],
    ['child-env:CLAUDECODE=1', false],
    ['process-name:claude', false],
    ['process-title:claude', false],
  ])('%s → %s', (signature, strong) => {
    expect(stoppable(running(signature))).toBe(strong);
  });
  test('a runtime file is never enough either', () => {
    expect(stoppable({ ...running('runtime-file:~/.claude/sessions/<pid>.json'), evidence: { source: 'runtime-file', signature: 'npm-package:x', pid: 42 } })).toBe(false);
  });
});

describe('argument text', () => {
  const source = { pids: async () => [], read: () => undefined, alive: () => true, rootOf: () => '', cwd: () => '/' } as ProcessSource;
  const ctx = (): ScanContext => ({ index: new CatalogIndex(BUILTIN_CATALOG), platform: currentPlatform(), users: [], pathDirs: [], extraNpmPrefixes: [], selfPid: process.pid });
  const snap = (exe: string, cmd: string, name: string) => ({ pid: 4242, name, cmd, exe, uid: 0 });

  test("a grep or a tmux holding the tool's script path is not the tool; node running that script is (weakly, by its path)", async () => {
    expect(ctx().index.cmdMatch('grep -r @anthropic-ai/claude-code/cli.js .')?.toolId).toBe('claude-code'); // the text alone would match…
    expect(await matchProcess(ctx(), snap('/usr/bin/grep', 'grep -r @anthropic-ai/claude-code/cli.js .', 'grep'), source)).toEqual([]);
    expect(await matchProcess(ctx(), snap('/usr/bin/tmux', 'tmux new-session node /opt/x/@anthropic-ai/claude-code/cli.js', 'tmux: server'), source)).toEqual([]);
    const node = await matchProcess(ctx(), snap(process.execPath, 'node /opt/gone/@anthropic-ai/claude-code/cli.js', 'node'), source);
    expect(node).toEqual([expect.objectContaining({ toolId: 'claude-code', evidence: expect.objectContaining({ signature: expect.stringMatching(/^cmdline:/) }) })]);
    expect(stoppable(node[0]!)).toBe(false);
  });
});
