// A node that is told to stop (SIGTERM) drains: it stops being ready, refuses new agents, lets each
// connected agent finish the report it is handling (committed and acknowledged), then closes it
// with EDICT_ERR_UNAVAILABLE (close 1013, "try again later") so the agent reconnects elsewhere,
// and exits 0. On either database (EDICT_TEST_STORE).
import { afterAll, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SimAgent, type AckResult } from '../sim/sim-agent.js';
import { stopChild } from '../helpers/agent.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { testDb } from '../helpers/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let node: ServerProcess | undefined;
const sims: SimAgent[] = [];
afterAll(async () => {
  for (const s of sims) s.close();
  if (node) await stopChild(node.child);
  cleanupTempDirs();
});

test('SIGTERM: in-flight reports are acknowledged, then agents are sent away with a retryable code, and the node exits 0', async () => {
  const dir = tempDir('edict-drain-');
  node = await spawnServerProcess(dir, await freePort());
  const admin = readFileSync(path.join(dir, 'admin-token'), 'utf8').trim();
  const token = (await api(node.url, admin, 'POST', '/enrollment-tokens', { maxUses: 10 })).body.token;
  const agents: SimAgent[] = [];
  for (let i = 0; i < 4; i++) {
    const a = new SimAgent(node.url, `laptop-${i}`);
    sims.push(a);
    await a.enroll(token);
    await a.connect();
    agents.push(a);
  }
  // Each agent has a 400-event report in flight when the node is told to stop.
  const inFlight = agents.map((a, i) => a.report({ count: 400, pathPrefix: `drain-${i}` }));
  const exited = new Promise<number | null>((r) => node!.child.once('exit', (code) => r(code)));
  node.child.kill('SIGTERM');
  const acks = await Promise.allSettled(inFlight);
  // A report the node had begun is finished and acknowledged; one that reached it after it decided
  // to close is refused (the agent still holds it): either way nothing is acknowledged unstored.
  const acked = acks.filter((r): r is PromiseFulfilledResult<AckResult> => r.status === 'fulfilled');
  expect(acked.every((r) => r.value.accepted === 400)).toBe(true);
  for (const a of agents) {
    await waitFor(() => a.closed, 'the agent to be sent away');
    expect(a.closed!.code).toBe(1013);
    expect(a.errors.map((e) => e.code)).toContain('EDICT_ERR_UNAVAILABLE');
  }
  expect(await exited).toBe(0);
  node = undefined;
  // What was acknowledged is stored.
  const db = testDb(dir);
  expect(await db.value('SELECT count(*) FROM detection_events')).toBe(acked.reduce((n, r) => n + r.value.accepted, 0));
  await db.close();
}, 120_000);
