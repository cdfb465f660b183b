// The fleet simulator against a real server process: a few hundred agents enroll for real, connect
// from several processes and loopback source addresses, each reports and gets its ack after commit,
// and a published ban reaches every one of them as a bundle they verify against the pinned key.
// (Speed is measured by `npm run bench:server`, not here.)
import { afterAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Fleet } from '../sim/fleet.js';
import { stopChild } from '../helpers/agent.js';
import { api, freePort, publishPolicy, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const AGENTS = 300;
let server: ServerProcess | undefined;
let fleet: Fleet | undefined;
afterAll(async () => {
  await fleet?.close();
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

test(`${AGENTS} simulated agents connect, report, and all verify a published ban`, async () => {
  const dataDir = tempDir('edict-server-');
  server = await spawnServerProcess(dataDir, await freePort());
  const admin = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const call = (m: string, p: string, b?: unknown) => api(server!.url, admin, m, p, b);
  const enrollToken = (await call('POST', '/enrollment-tokens', { label: 'sim', maxUses: AGENTS })).body.token;

  fleet = await Fleet.start({ url: server.url, enrollToken, agents: AGENTS, processes: 3 });
  const c = await fleet.connect();
  if (c.failed) console.error('sim-smoke connect errors:', c.errors);
  expect(c).toMatchObject({ connected: AGENTS, failed: 0 });
  expect((await call('GET', '/health')).body.connectedAgents).toBe(AGENTS);

  const r = await fleet.reportAll({ count: 20, kind: 'installed' });
  expect(r).toMatchObject({ acked: AGENTS, accepted: AGENTS * 20, failed: 0 });
  expect((await call('GET', `/detections?limit=1`)).status).toBe(200);

  const published = await publishPolicy({ api: call }, { name: 'Claude Code ban', tools: ['claude-code'], reason: { en: 'Covert collection' }, replacements: [{ toolId: 'qoder' }], stages: { enforce: { at: '2099-01-01T00:00', timeZone: 'UTC' } } });
  expect(published.version).toBe(1);
  const p = await fleet.awaitPolicy(published.rolloutPart, 60_000);
  expect(p).toMatchObject({ live: AGENTS, verified: AGENTS, refusals: 0 });
  // Every device with the tool is now noticed (the publish recompute ran over all of them).
  await waitFor(async () => ((await call('GET', '/compliance?toolId=claude-code&limit=1000')).body.items as any[]).filter((i) => i.state === 'noticed').length === AGENTS, 'every device noticed', 30_000);
}, 120_000);
