// Foundation, end to end: a real server on port 0 with a temporary SQLite database, a real agent
// process, a real running process named `claude` (a copied binary) and the real npm-published
// @anthropic-ai/claude-code installed in a temporary prefix. Both reach the server as
// `claude-code` detections: violations under a ban dated in the past, notice-stage under one
// dated in the future.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentJson, enrollAgent, runAgent, type AgentProcess, type AgentSetup } from '../helpers/agent.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { ensureRealTool } from '../helpers/real-tools.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const BAN = {
  name: 'Claude Code ban',
  tools: ['claude-code'],
  reason: { en: 'Covert environment inspection', 'zh-CN': '隐蔽检查本地环境' },
  replacements: [{ toolId: 'qoder', installUrl: 'https://qoder.com' }],
};

describe.each([
  { label: 'ban dated in the past', at: '2026-07-10T00:00', expected: 'enforce' },
  { label: 'ban dated in the future', at: '2099-07-10T00:00', expected: 'notice' },
])('claude-code reaches the server ($label)', ({ at, expected }) => {
  let server: TestServer;
  let agent: AgentProcess;
  let setup: AgentSetup;
  let sleeper: NamedProcess;
  let prefixRoot: string;

  beforeAll(async () => {
    const tool = await ensureRealTool('@anthropic-ai/claude-code');
    prefixRoot = tool.root;
    server = await startTestServer();
    await publishPolicy(server, { ...BAN, stages: { enforce: { at, timeZone: 'Asia/Shanghai' } } });
    // A user whose ~/.npmrc sets the npm prefix to where the real package is installed:
    // exactly what `npm config get prefix` would report for them.
    const home = tempDir('edict-home-alice-');
    writeFileSync(path.join(home, '.npmrc'), `prefix=${tool.prefix}\n`);
    mkdirSync(path.join(home, 'projects'), { recursive: true });
    setup = await enrollAgent(server.url, server.adminToken, { homes: [{ user: 'alice', home }] });
    sleeper = spawnNamedSleeper('claude');
    agent = runAgent(setup);
  }, 15 * 60_000);

  afterAll(async () => {
    sleeper?.kill();
    await agent?.stop();
    await server?.close();
    cleanupTempDirs();
  });

  test('the npm global install is reported for its user, with version and path', async () => {
    const rows = await waitFor(async () => {
      const r = await server.api('GET', '/detections?toolId=claude-code');
      return r.body.items.filter((d: any) => d.kind === 'installed' && d.evidence.source === 'npm-global');
    }, 'npm install detection', 30_000);
    expect(rows[0]).toMatchObject({
      toolId: 'claude-code',
      user: 'alice',
      state: 'present',
      stage: expected,
      evidence: { signature: 'npm:@anthropic-ai/claude-code', path: path.join(prefixRoot, '@anthropic-ai', 'claude-code') },
    });
    expect(rows[0].evidence.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  test('the running process named claude is reported as running claude-code', async () => {
    const rows = await waitFor(async () => {
      const r = await server.api('GET', '/detections?toolId=claude-code');
      return r.body.items.filter((d: any) => d.kind === 'running' && d.evidence.pid === sleeper.child.pid);
    }, 'running process detection', 30_000);
    expect(rows[0]).toMatchObject({ toolId: 'claude-code', state: 'present', stage: expected, evidence: { path: sleeper.exe } });
    // The agent makes time-ordered (version 7) event ids, which keep the server's id index local.
    expect(rows[0].eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Its time is the event's own observedAt: the id tells the server nothing the event does not.
    expect(parseInt(rows[0].eventId.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.parse(rows[0].observedAt));
  });

  test(`violations list ${expected === 'enforce' ? 'holds' : 'does not hold'} the detections`, async () => {
    const v = await waitFor(async () => {
      const r = (await server.api('GET', '/violations?toolId=claude-code')).body.items;
      return expected === 'enforce' ? (r.length ? r : undefined) : true;
    }, 'the violations list');
    const items = (await server.api('GET', '/violations?toolId=claude-code')).body.items;
    void v;
    const kinds = items.flatMap((d: any) => d.findings.map((f: any) => f.kind)).sort();
    if (expected === 'enforce') expect(kinds).toEqual(expect.arrayContaining(['installed', 'running']));
    else expect(items).toEqual([]);
  });

  test('the process ending is reported as absent', async () => {
    sleeper.kill();
    await waitFor(async () => {
      const r = await server.api('GET', '/detections?toolId=claude-code&state=absent');
      return r.body.items.some((d: any) => d.kind === 'running' && d.evidence.pid === sleeper.child.pid);
    }, 'absent event for the ended process', 30_000);
  });

  test('edict-agent status --json shows it connected, with the policy and the messages it sent', async () => {
    const status = await waitFor(async () => {
      const s = await agentJson(setup, 'status');
      return s.connection.state === 'connected' && s.policy ? s : undefined;
    }, 'connected status');
    expect(status.policy.bans[0]).toMatchObject({ name: 'Claude Code ban', tools: ['claude-code'], stage: expected, replacements: ['qoder'] });
    expect(status.lastSent.map((m: any) => m.message.type)).toEqual(expect.arrayContaining(['hello', 'report']));
    expect(JSON.stringify(status)).not.toContain('edict_dev_'); // the credential is never shown
  });
});

