// Time, for real agents. (1) An agent cut off from the server before a ban's effective instant
// switches to `enforce` on its own at that instant, and after it reconnects the server's record
// says the same. (2) The agent's wall clock moved a year forward and a year back (libfaketime
// from Debian, LD_PRELOADed into the agent process) changes nothing it reports.
import { afterAll, describe, expect, test } from '@jest/globals';
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { agentJson, CLEAN_PATH, enrollAgent, runAgent, stopChild, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { fakeClockEnv, libfaketime } from '../helpers/fake-clock.js';
import { AGENT_CLI } from '../helpers/paths.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { api, freePort, publishPolicy, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
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

async function startServer(dataDir: string, port: number): Promise<ServerProcess> {
  const s = await spawnServerProcess(dataDir, port);
  running.push({ stop: () => stopChild(s.child) });
  return s;
}

function outboxEvents(setup: AgentSetup): any[] {
  const dir = path.join(setup.stateDir, 'outbox');
  return execFileSync('sh', ['-c', `cat "${dir}"/*.json 2>/dev/null || true`], { encoding: 'utf8' })
    .split(/\n(?=\{)/)
    .filter((s) => s.trim())
    .flatMap((s) => JSON.parse(s).events);
}

const BAN = { name: 'Claude Code ban', tools: ['claude-code'], reason: { en: 'Covert collection' }, replacements: [{ toolId: 'qoder' }] };

test('an agent offline across the effective instant flips on time, and the server agrees after reconnect', async () => {
  const dataDir = tempDir('edict-server-');
  const port = await freePort();
  let server = await startServer(dataDir, port);
  const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const setup = await enrollAgent(server.url, token);
  sleepers.push(spawnNamedSleeper('claude'));
  const agent = runAgent(setup);
  running.push(agent);
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'agent connected');
  const deviceId = (await agentJson(setup, 'status')).deviceId;

  const enforceMs = zonedMs(Date.now() + 8000);
  await publishPolicy({ api: (m, p, b) => api(server.url, token, m, p, b) }, { ...BAN, stages: { enforce: zoned(Date.now() + 8000) } });
  await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.policy?.bans.length === 1 && s.detections.some((d: any) => d.kind === 'running' && d.stage === 'notice') && s.outbox.pendingEvents === 0;
  }, 'agent holds the ban in the notice stage, reported');

  await stopChild(server.child, 'SIGKILL');
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state !== 'connected', 'agent notices the server is gone');
  expect(Date.now()).toBeLessThan(enforceMs); // cut off before the instant

  // Past the instant, still offline: the agent switched by itself and queued the change.
  const flipped = await waitFor(() => outboxEvents(setup).find((e) => e.type === 'detection' && e.stage === 'enforce' && e.detection.kind === 'running'), 'local switch to enforce', 20_000);
  expect(Math.abs(Date.parse(flipped.observedAt) - enforceMs)).toBeLessThan(1500);
  expect((await agentJson(setup, 'status')).policy.bans[0].stage).toBe('enforce');

  server = await startServer(dataDir, port);
  await waitFor(async () => (await agentJson(setup, 'status')).outbox.pendingEvents === 0, 'outbox drained after reconnect', 30_000);
  const compliance = (await api(server.url, token, 'GET', '/compliance?toolId=claude-code')).body.items.find((i: any) => i.deviceId === deviceId);
  expect(compliance.state).toBe('violating');
  const tl = (await api(server.url, token, 'GET', `/devices/${deviceId}/timeline?toolId=claude-code`)).body.items;
  const toViolating = tl.find((t: any) => t.kind === 'state' && t.toState === 'violating');
  expect(toViolating.at).toBe(new Date(enforceMs).toISOString()); // at the instant, not when the server came back
  const events = (await api(server.url, token, 'GET', `/detections?deviceId=${deviceId}&toolId=claude-code&stage=enforce`)).body.items;
  expect(events.some((e: any) => e.eventId === flipped.eventId && e.agentStage === 'enforce')).toBe(true);
}, 120_000);

describe('a moved clock moves nothing', () => {
  test('a year forward and a year back, online and offline: same stages, same reports', async () => {
    libfaketime(); // fails at once, clearly, when it is not installed
    const dataDir = tempDir('edict-server-');
    const port = await freePort();
    let server = await startServer(dataDir, port);
    const token = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    const setup = await enrollAgent(server.url, token);
    // In notice now; a year on it would be enforced, a year back it would not be published yet.
    await publishPolicy({ api: (m, p, b) => api(server.url, token, m, p, b) }, { ...BAN, stages: { enforce: zoned(Date.now() + 200 * 86400_000) } });
    const mine = spawnNamedSleeper('claude');
    sleepers.push(mine);

    const run = (shift?: string): AgentProcess => {
      const a = shift ? runAgentUnder(setup, shift) : runAgent(setup);
      running.push(a);
      return a;
    };
    const statusUnder = async (shift?: string) => {
      if (!shift) return agentJson(setup, 'status');
      const { stdout } = await promisify(execFile)(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, '--config', setup.configFile, 'status', '--json'], {
        env: { ...process.env, PATH: CLEAN_PATH, ...fakeClockEnv(shift) },
      });
      return JSON.parse(stdout);
    };
    // Only this test's own process: other test files run tools named like it at the same time.
    const stagesOf = (s: any) => ({ ban: s.policy.bans[0].stage, detections: [...new Set(s.detections.filter((d: any) => d.kind === 'running' && d.path === mine.exe).map((d: any) => d.stage))] });

    let agent = run();
    await waitFor(async () => {
      const s = await agentJson(setup, 'status');
      return s.connection.state === 'connected' && s.detections.some((d: any) => d.kind === 'running' && d.path === mine.exe) && s.outbox.pendingEvents === 0;
    }, 'baseline agent connected and reported');
    const baseline = stagesOf(await agentJson(setup, 'status'));
    expect(baseline).toEqual({ ban: 'notice', detections: ['notice'] });
    await agent.stop();

    // A run's own first scan is done (status.json is rewritten at start, and again after its first scan).
    const scannedBy = (s: any, startedBefore: string | null) => s.agent.running && s.agent.startedAt !== startedBefore && s.agent.lastScanAt !== null;
    let previousStart: string | null = (await agentJson(setup, 'status')).agent.startedAt;
    for (const shift of ['+365d', '-365d']) {
      // Online: the agent re-measures server time on connect, then scans on the corrected clock.
      agent = run(shift);
      const s = await waitFor(async () => {
        const v = await statusUnder(shift);
        return v.connection.state === 'connected' && scannedBy(v, previousStart) ? v : undefined;
      }, `agent (${shift}) connected and scanned`, 90_000).catch(async (e: Error) => {
        // A first scan hashes every running executable once: slow on a busy machine. If it never
        // comes, say what the agent was doing.
        throw new Error(`${e.message}; status: ${JSON.stringify((await statusUnder(shift)).agent)}; agent log tail: ${agent.output().slice(-2000)}`);
      });
      previousStart = s.agent.startedAt;
      // The agent's wall clock really was moved (server time = its clock + offset), and corrected.
      expect(Math.round(s.clock.offsetMs / 86400_000)).toBe(shift === '+365d' ? -365 : 365);
      expect(stagesOf(s)).toEqual(baseline);
      expect(Math.abs(Date.parse(s.clock.serverNow) - Date.now())).toBeLessThan(5000);
      await agent.stop();
    }

    // Offline, clock moved: the anchor from this boot still gives server time.
    await stopChild(server.child);
    for (const shift of ['+365d', '-365d']) {
      agent = run(shift);
      const s = await waitFor(async () => {
        const v = await statusUnder(shift);
        return scannedBy(v, previousStart) ? v : undefined;
      }, `offline agent (${shift}) scanned`, 90_000).catch(async (e: Error) => {
        throw new Error(`${e.message}; status: ${JSON.stringify((await statusUnder(shift)).agent)}; agent log tail: ${agent.output().slice(-2000)}`);
      });
      previousStart = s.agent.startedAt;
      expect(s.connection.state).not.toBe('connected');
      expect(s.clock.anchored).toBe(true);
      expect(stagesOf(s)).toEqual(baseline);
      await agent.stop();
    }
    // Nothing the agent queued or sent claims another stage or a shifted time.
    server = await startServer(dataDir, port);
    agent = run();
    await waitFor(async () => (await agentJson(setup, 'status')).outbox.pendingEvents === 0, 'drained');
    const sent = readFileSync(path.join(setup.stateDir, 'sent.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l).message);
    const detections = sent.filter((m) => m.type === 'report').flatMap((m) => m.events).filter((e: any) => e.type === 'detection' && e.detection.evidence.path === mine.exe);
    expect(detections.length).toBeGreaterThan(0);
    for (const e of detections) {
      expect(['none', 'notice']).toContain(e.stage);
      expect(Math.abs(Date.parse(e.observedAt) - Date.now())).toBeLessThan(10 * 60_000);
    }
    const deviceId = (await agentJson(setup, 'status')).deviceId;
    // The server never saw this device as violating (a year forward) or clear while the tool ran.
    const states = (await api(server.url, token, 'GET', `/devices/${deviceId}/timeline?toolId=claude-code`)).body.items.filter((t: any) => t.kind === 'state').map((t: any) => t.toState);
    expect(states[0]).toBe('noticed');
    expect(states).not.toContain('violating');
  }, 400_000);
});

function runAgentUnder(setup: AgentSetup, shift: string): AgentProcess {
  const child = spawn(process.execPath, [AGENT_CLI, '--state-dir', setup.stateDir, '--config', setup.configFile, 'run'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PATH: CLEAN_PATH, ...fakeClockEnv(shift) },
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  return { child, output: () => out, stop: () => stopChild(child) };
}
