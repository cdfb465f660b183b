// Regression: an agent holding a policy whose next date is more than 24.8 days ahead handed
// setTimeout a delay above 2^31-1 ms (the clamp came before `+ 5`), so Node fired the timer at
// once with a TimeoutOverflowWarning, ~820 times a second: 13-15 % of a core and tens of MB of
// log. A real agent now holds a ban dated a year ahead silently and idle, and the stage still
// flips at the instant: offline, on a wall clock we control (libfaketime), with no poll to help.
import { afterAll, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { waitFor as boundaryWait } from '../../agent/src/boundary-timer.js';
import { agentJson, CLEAN_PATH, enrollAgent, runAgent, stopChild, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { fakeClockEnv, libfaketime } from '../helpers/fake-clock.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { api, freePort, publishPolicy, spawnServerProcess } from '../helpers/server.js';
import { zoned, zonedMs } from '../helpers/time.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const running: { stop: () => Promise<void> }[] = [];
const sleepers: NamedProcess[] = [];
afterAll(async () => {
  for (const s of sleepers) s.kill();
  for (const r of running.reverse()) await r.stop();
  cleanupTempDirs();
});

// Polls far apart: only the boundary timer can notice the date passing.
const RARE = { processIntervalMs: 3_600_000, inventoryIntervalMs: 6 * 3_600_000 };
const YEAR_MS = 365 * 86400_000;

function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks
}

function outboxEvents(setup: AgentSetup): any[] {
  const dir = path.join(setup.stateDir, 'outbox');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .flatMap((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')).events);
}

test('every wait handed to setTimeout fits its limit, however far the boundary', () => {
  for (const ahead of [0, 1, 24.8 * 86400_000, 2 ** 31 - 1, 2 ** 31 + 10, YEAR_MS, 10 * YEAR_MS]) {
    const w = boundaryWait(ahead);
    expect(w).toBeGreaterThanOrEqual(0);
    expect(w).toBeLessThanOrEqual(2 ** 31 - 1);
  }
});

test('a ban dated a year ahead: no timer warning, idle, and the stage flips at the instant', async () => {
  libfaketime(); // fails at once, clearly, when it is not installed
  const dataDir = tempDir('edict-server-');
  const port = await freePort();
  const server = await spawnServerProcess(dataDir, port);
  running.push({ stop: () => stopChild(server.child) });
  const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const setup = await enrollAgent(server.url, token, RARE);
  const mine = spawnNamedSleeper('claude');
  sleepers.push(mine);
  const enforceMs = zonedMs(Date.now() + YEAR_MS);
  await publishPolicy(
    { api: (m, p, b) => api(server.url, token, m, p, b) },
    { name: 'Claude Code ban', tools: ['claude-code'], reason: { en: 'Covert collection' }, replacements: [{ toolId: 'qoder' }], stages: { enforce: zoned(Date.now() + YEAR_MS) } },
  );

  const agent = runAgent(setup);
  running.push(agent);
  await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.policy?.bans[0]?.stage === 'notice' && s.detections.some((d: any) => d.path === mine.exe) && s.outbox.pendingEvents === 0;
  }, 'agent connected, holding the ban in notice, its finding reported');

  // An observation window (what is measured is the absence of activity, so it has a length).
  const pid = agent.child.pid!;
  const ticks0 = cpuTicks(pid);
  const t0 = Date.now();
  const outputBefore = agent.output().length;
  await new Promise((r) => setTimeout(r, 3000));
  const cpuShare = ((cpuTicks(pid) - ticks0) * 10) / (Date.now() - t0); // 100 ticks/s: ticks*10 ms / elapsed ms
  expect(agent.output()).not.toContain('TimeoutOverflowWarning');
  expect(agent.output().slice(outputBefore)).not.toMatch(/warn|error/i);
  expect(cpuShare).toBeLessThan(0.05); // the defect spent 13-15 % of a core here
  await agent.stop();
  await stopChild(server.child);

  // Offline, unanchored (no clock file), wall clock set 8 s before the effective instant.
  rmSync(path.join(setup.stateDir, 'clock.json'), { force: true });
  const startAt = new Date(enforceMs - 8000).toISOString().replace('T', ' ').slice(0, 19);
  const child = spawn(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, '--config', setup.configFile, 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: CLEAN_PATH, TZ: 'UTC', ...fakeClockEnv(`@${startAt}`) },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const offline: AgentProcess = { child, output: () => out, stop: () => stopChild(child) };
  running.push(offline);
  const flipped = await waitFor(
    () => outboxEvents(setup).find((e) => e.type === 'detection' && e.stage === 'enforce' && e.detection.evidence.path === mine.exe),
    'the agent switches to enforce on its own',
    30_000,
  );
  expect(Date.parse(flipped.observedAt)).toBeGreaterThanOrEqual(enforceMs);
  expect(Date.parse(flipped.observedAt) - enforceMs).toBeLessThan(1500);
  expect(out).not.toContain('TimeoutOverflowWarning');
}, 120_000);
