// Regression: a publish commits the new policy version and queues the fleet's compliance recompute
// in one transaction, then refreshes the node's policy cache. The scheduler kicks the job runner
// every second; a tick landing between the commit and the end of that refresh ran the job against
// the old cache ("claude-code was never banned"), marked it done, and no device became violating
// (seen once in CI: dashboard-api's fleet views found no violating device). On several nodes the
// leader's cache can lag the same way behind another node's publish. Here the tick is made to land
// in that window deterministically: the test wraps the node's refresh so the job runner is kicked
// and drained first (timing injected, nothing mocked).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectRaw, enrollDevice, hello, report, type RawPeer } from '../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
let peer: RawPeer | undefined;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  peer?.ws.close();
  await server?.close();
  cleanupTempDirs();
});

test('a compliance job picked up before the publish refreshed the cache still derives the ban', async () => {
  const e = await enrollDevice(server.url, server.adminToken, 'race-laptop', ['eng']);
  peer = await connectRaw(server.url, e.credential);
  peer.send(hello({ device: { hostname: 'race-laptop', platform: 'linux', osRelease: 'test', arch: 'x64' } }));
  await peer.next('welcome');
  const n = peer.received.length;
  peer.send({ type: 'report', batchId: randomUUID(), events: report(1).events });
  await peer.next('ack', n);

  // The scheduler's tick, landing after the publish committed and before its refresh.
  const policies = server.policies as unknown as { refresh: (...a: unknown[]) => Promise<void> };
  const refresh = policies.refresh.bind(policies);
  let injected = 0;
  policies.refresh = async (...a: unknown[]) => {
    if (a[0] === 'policies' && injected === 0) {
      injected = 1;
      server.compliance.kick();
      await server.compliance.idle();
    }
    return refresh(...a);
  };
  const draft = (await server.api('POST', '/policies', { name: 'Race ban', tools: ['claude-code'], reason: { en: 'r' }, scope: { tags: ['eng'] }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'UTC' } } })).body;
  expect((await server.api('POST', `/policies/${draft.id}/publish`)).status).toBe(200);
  expect(injected).toBe(1);
  await server.compliance.idle();
  const violating = await waitFor(async () => {
    const items = (await server.api('GET', `/devices?policy=${draft.id}&state=violating`)).body.items as { id: string }[];
    return items.length ? items : undefined;
  }, 'the device to be violating', 10_000).catch(() => []);
  expect(violating.map((d) => d.id)).toEqual([e.deviceId]);
});
