// `npm start` (scripts/start-local): server on embedded SQLite under the data folder, the sample
// Claude Code ban, a local agent enrolled and connected, the dashboard served at the URL printed; Ctrl-C stops both cleanly; a second start
// reuses the data (same device, no second sample policy).
import { afterAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { agentJson, stopChild } from '../helpers/agent.js';
import { START_SCRIPT } from '../helpers/paths.js';
import { api } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const running: ChildProcess[] = [];
afterAll(async () => {
  for (const c of running) await stopChild(c, 'SIGKILL');
  cleanupTempDirs();
});

async function start(dataDir: string): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [START_SCRIPT, '--data', dataDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  await waitFor(() => out.includes('Edict is running locally.'), 'npm start to come up', 30_000);
  const url = /API:\s+(http:\/\/\S+)\/api\/v1/.exec(out)![1];
  return { child, url, out: () => out };
}

test('npm start runs server and agent, seeds the sample ban, stops on Ctrl-C and reuses its data', async () => {
  const dataDir = tempDir('edict-start-');
  const setup = { stateDir: path.join(dataDir, 'agent'), configFile: path.join(dataDir, 'agent', 'agent.json'), deviceId: '' };

  const first = await start(dataDir);
  expect(first.out()).toContain(path.join(dataDir, 'server', 'admin-token'));
  // The dashboard is served by the server at the URL printed.
  const dashboardUrl = /Dashboard:\s+(http:\/\/\S+)/.exec(first.out())![1];
  expect(dashboardUrl).toBe(`${first.url}/`);
  const page = await fetch(dashboardUrl);
  expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
  const asset = /src="(\/assets\/app-[^"]+\.js)"/.exec(await page.text())![1];
  expect((await fetch(`${first.url}${asset}`)).status).toBe(200);
  expect(existsSync(path.join(dataDir, 'server', 'edict.db'))).toBe(true);
  const status = await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.policy?.bans.length ? s : undefined;
  }, 'agent connected with the sample policy');
  expect(status.policy.bans[0]).toMatchObject({
    name: 'Claude Code ban (sample)',
    tools: ['claude-code'],
    effective: '2026-07-10T00:00 Asia/Shanghai',
    effectiveInstant: '2026-07-09T16:00:00.000Z',
    replacements: ['qoder', 'tongyi-lingma'],
  });

  first.child.kill('SIGINT');
  const code = await new Promise((r) => first.child.once('exit', r));
  expect(code).toBe(0);
  expect(first.out()).toContain('Edict stopped.');
  expect((await agentJson(setup, 'status')).agent.running).toBe(false);

  const second = await start(dataDir);
  const token = readFileSync(path.join(dataDir, 'server', 'admin-token'), 'utf8').trim();
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'agent reconnected after restart');
  const devices = (await api(second.url, token, 'GET', '/devices')).body.items;
  expect(devices).toHaveLength(1);
  expect(devices[0].id).toBe(status.deviceId);
  expect((await api(second.url, token, 'GET', '/policies')).body.items).toHaveLength(1);
  second.child.kill('SIGINT');
  expect(await new Promise((r) => second.child.once('exit', r))).toBe(0);
}, 120_000);
