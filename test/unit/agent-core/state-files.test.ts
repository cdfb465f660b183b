// Agent state files: atomic writes, corrupt files moved aside and reset (never a crash loop),
// the sent-message log (verbatim, rotating, tolerant of a torn last line), backoff, agent config.
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFile, spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { Backoff } from '../../../agent/src/connection/backoff.js';
import { loadAgentConfig } from '../../../agent/src/config.js';
import { readJsonFile, writeJsonAtomic } from '../../../agent/src/state/json-file.js';
import { SentLog } from '../../../agent/src/state/sent-log.js';
import { loadEnrollment } from '../../../agent/src/state/enrollment.js';
import { AGENT_CLI } from '../../helpers/paths.js';
import { cleanupTempDirs, tempDir } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';

afterAll(cleanupTempDirs);

describe('json files', () => {
  test('written atomically with the requested mode, read back through the schema', () => {
    const file = path.join(tempDir(), 'x.json');
    writeJsonAtomic(file, { a: 1 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readJsonFile(file, z.object({ a: z.number() }))).toEqual({ a: 1 });
  });
  test.each([
    ['truncated JSON', '{"serverUrl": "http://x'],
    ['valid JSON, wrong shape', '{"serverUrl": 5}'],
  ])('%s is moved aside and treated as absent', (_l, content) => {
    const dir = tempDir();
    const file = path.join(dir, 'enrollment.json');
    writeFileSync(file, content);
    const logged: unknown[] = [];
    const log = { error: (o: unknown) => logged.push(o) } as never;
    expect(loadEnrollment(file, log)).toBeUndefined();
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir).some((f) => f.startsWith('enrollment.json.corrupt-'))).toBe(true);
    expect(logged).toHaveLength(1);
  });
});

describe('SentLog', () => {
  test('keeps messages verbatim, shows the last n, survives a torn line', () => {
    const file = path.join(tempDir(), 'sent.jsonl');
    const log = new SentLog(file);
    for (let i = 0; i < 5; i++) log.append({ type: 'heartbeat', n: i });
    appendFileSync(file, '{"at": "2026-'); // a crash mid-append
    expect(log.last(3).map((e) => (e.message as { n: number }).n)).toEqual([3, 4]);
    expect(log.last(100)).toHaveLength(5);
  });
});

describe('Backoff', () => {
  test('grows exponentially to the cap, jittered below the ceiling, and resets', () => {
    const b = new Backoff(1000, 60_000, () => 0.999);
    const delays = Array.from({ length: 10 }, () => b.next());
    expect(delays.slice(0, 4)).toEqual([999, 1998, 3996, 7992]);
    expect(Math.max(...delays)).toBeLessThanOrEqual(60_000);
    expect(delays[9]).toBe(59_940);
    b.reset();
    expect(b.ceiling()).toBe(1000);
    const low = new Backoff(1000, 60_000, () => 0);
    expect(low.next()).toBe(100); // never a zero-delay hot loop
  });
});

describe('agent config', () => {
  test('a bad agent.json names every bad field', () => {
    const file = path.join(tempDir(), 'agent.json');
    writeFileSync(file, JSON.stringify({ logLevel: 'loud', scan: { processIntervalMs: 'every second', homes: [{ user: '' }], surprise: 1 } }));
    expect(() => loadAgentConfig(file, true)).toThrow(/logLevel.*scan\.processIntervalMs.*scan\.homes\.0\.user.*scan\.homes\.0\.home.*surprise/s);
  });
  test('edict-agent exits 78 with one line on a bad config', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'agent.json');
    writeFileSync(file, '{"scan": {"inventoryIntervalMs": 0}}');
    const r = await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', dir, '--config', file, 'scan', '--once']).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(78);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/EDICT_ERR_CONFIG: .*scan\.inventoryIntervalMs/);
  });
  test('run without enrollment (and without --wait-for-enrollment or settings) exits with EDICT_ERR_NOT_ENROLLED', async () => {
    const dir = tempDir();
    const r = await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', dir, 'run'], { env: { ...process.env, EDICT_SERVER: '', EDICT_ENROLL_TOKEN: '' } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/EDICT_ERR_NOT_ENROLLED/);
  });
  test('run --wait-for-enrollment without enrollment waits for one and says so in status', async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, [AGENT_CLI, '--state-dir', dir, 'run', '--wait-for-enrollment'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, EDICT_SERVER: '', EDICT_ENROLL_TOKEN: '' } });
    let err = '';
    child.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    try {
      const status = await waitFor(async () => {
        const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', dir, 'status', '--json']);
        const v = JSON.parse(stdout);
        return v.agent.running && v.needsEnrollment ? v : undefined;
      }, 'status of a waiting agent');
      expect(status.needsEnrollment).toMatchObject({ lost: false, reason: expect.stringMatching(/^not enrolled: no enrollment\.json/) });
      expect(status.enrolled).toBe(false);
      expect(child.exitCode).toBeNull();
      expect(err).toMatch(/not enrolled and no enrollment settings: waiting/);
      const text = (await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', dir, 'status'])).stdout;
      expect(text).toMatch(/This device is not enrolled yet/);
    } finally {
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
