// Rollout progress against a real server process and a few hundred simulated agents. Publishing
// answers at once with a rollout id; the new policies part reaches every connected agent, which
// verifies it and confirms; GET /policies/:id/rollout counts delivered / pending / offline until
// delivered is every connected device (enrolled devices that never connect stay offline). Then a
// stage date passes: the server records the boundary (devices with the tool become noticed) and
// not one policy frame is sent for it.
import { afterAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Fleet } from '../sim/fleet.js';
import { stopChild } from '../helpers/agent.js';
import { enrollDevice } from '../helpers/raw-agent.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { zoned, zonedMs } from '../helpers/time.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const AGENTS = 240;
const NEVER_CONNECTED = 3;
let server: ServerProcess | undefined;
let fleet: Fleet | undefined;
afterAll(async () => {
  await fleet?.close();
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

const BAN = { tools: ['claude-code'], reason: { en: 'Covert collection' }, replacements: [{ toolId: 'qoder' }] };

test('publish → every connected agent confirms; a stage boundary sends nothing', async () => {
  const dataDir = tempDir('edict-server-');
  server = await spawnServerProcess(dataDir, await freePort());
  const admin = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const call = (m: string, p: string, b?: unknown) => api(server!.url, admin, m, p, b);
  for (let i = 0; i < NEVER_CONNECTED; i++) await enrollDevice(server.url, admin, `laptop-in-a-drawer-${i}`);
  const enrollToken = (await call('POST', '/enrollment-tokens', { label: 'sim', maxUses: AGENTS })).body.token;
  fleet = await Fleet.start({ url: server.url, enrollToken, agents: AGENTS, processes: 2 });
  expect(await fleet.connect()).toMatchObject({ connected: AGENTS, failed: 0 });
  expect(await fleet.reportAll({ count: 1, kind: 'installed' })).toMatchObject({ acked: AGENTS, failed: 0 });

  const noticeMs = zonedMs(Date.now() + 8000);
  const draft = await call('POST', '/policies', { ...BAN, name: 'Claude Code ban', stages: { notice: zoned(noticeMs), enforce: { at: '2099-01-01T00:00', timeZone: 'UTC' } } });
  const t0 = Date.now();
  const pub = await call('POST', `/policies/${draft.body.id}/publish`);
  expect(pub.status).toBe(200);
  expect(pub.body).toMatchObject({ rolloutId: `${draft.body.id}@1`, rolloutPart: expect.any(Number) });

  const done = await waitFor(async () => {
    const r = (await call('GET', `/policies/${draft.body.id}/rollout`)).body;
    return r.delivered === AGENTS ? r : undefined;
  }, 'every connected agent to confirm the new policies part', 60_000);
  expect(done).toMatchObject({ policyId: draft.body.id, version: 1, devices: AGENTS + NEVER_CONNECTED, delivered: AGENTS, pending: 0, offline: NEVER_CONNECTED });
  const verified = await fleet.awaitPolicy(pub.body.rolloutPart, 10_000);
  expect(verified).toMatchObject({ live: AGENTS, verified: AGENTS, refusals: 0 });
  expect(verified.lastVerifiedAt - t0).toBeGreaterThanOrEqual(0);

  // The summary counts the ban's devices by state: all monitored (clear) until the notice date.
  const before = (await call('GET', '/summary')).body.policies.find((p: any) => p.policyId === draft.body.id);
  expect(before).toMatchObject({ stage: 'monitor', inScope: AGENTS + NEVER_CONNECTED, counts: { clear: AGENTS + NEVER_CONNECTED, noticed: 0 } });

  const framesBefore = verified.policyFrames;
  await waitFor(() => Date.now() > noticeMs, 'the notice date', 20_000, 50);
  await waitFor(async () => {
    const s = (await call('GET', '/summary')).body.policies.find((p: any) => p.policyId === draft.body.id);
    return s.stage === 'notice' && s.counts.noticed === AGENTS;
  }, 'the boundary recorded for every device with the tool', 30_000);
  const after = await fleet.awaitPolicy(pub.body.rolloutPart, 1000);
  expect(after.policyFrames).toBe(framesBefore); // no bundle for a stage date
  const health = (await call('GET', '/health')).body;
  expect(health.detail.signatures.policies).toBeLessThanOrEqual(2); // one policies part signed per version, not per device
}, 120_000);
