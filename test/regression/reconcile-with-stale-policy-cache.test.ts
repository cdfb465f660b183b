// Regression: ingest reconciles a device × tool from its node's policy cache. With several nodes, a
// ban published on another node reaches that cache with the other node's notice; until then, a
// report arriving here was derived without it and overwrote what the new ban's own recompute (on
// the leader) had just derived: a device the new ban made violating went back to noticed. Here
// "another node" is a second PolicyService and ComplianceService on the same database (as a node
// of a cluster has; on one SQLite file no notice travels, as when one is lost), and this node's own
// catch-ups (scheduler tick, job runner, periodic cluster catch-up) are stopped so its cache stays old.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import path from 'node:path';
import { ComplianceService } from '../../server/src/compliance/service.js';
import { loadSigningKey } from '../../server/src/keys.js';
import { createLogger } from '../../server/src/log.js';
import { PolicyService } from '../../server/src/policy/service.js';
import { connectRaw, enrollDevice, hello, report, type RawPeer } from '../helpers/raw-agent.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

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

test("a report on a node that has not heard of another node's ban yet does not undo that ban's recompute", async () => {
  const e = await enrollDevice(server.url, server.adminToken, 'stale-cache-laptop', ['eng']);
  peer = await connectRaw(server.url, e.credential);
  peer.send(hello({ device: { hostname: 'stale-cache-laptop', platform: 'linux', osRelease: 'test', arch: 'x64' } }));
  await peer.next('welcome');
  let n = peer.received.length;
  peer.send(report(1));
  await peer.next('ack', n);

  // A ban in notice (enforced in 2099), published here: the device is noticed.
  await publishPolicy(server, { name: 'Notice ban', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: '2099-07-10T00:00', timeZone: 'UTC' } } });
  await server.compliance.idle();
  const state = async () => (await server.api('GET', `/compliance?toolId=claude-code`)).body.items.find((i: { deviceId: string }) => i.deviceId === e.deviceId)?.state;
  expect(await state()).toBe('noticed');

  // From here on this node does not catch up by itself.
  server.scheduler.stop();
  server.compliance.stop();
  server.cluster.stop();

  // Node B publishes a ban enforced since 2026-01-01 and runs its recompute: the device is violating.
  const key = loadSigningKey(path.join(server.dataDir, 'signing-key.pem'), false);
  const policiesB = await PolicyService.create(server.store, key);
  const complianceB = new ComplianceService(server.store, policiesB, createLogger('error'));
  // (The draft through the API: a draft is only stored, nothing this node's cache holds.)
  const draft = (await server.api('POST', '/policies', { name: 'Enforced ban', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: '2026-01-01T00:00', timeZone: 'UTC' } } })).body;
  await policiesB.publish(draft.id, 'admin:node-b');
  complianceB.kick();
  await complianceB.idle();
  expect(await state()).toBe('violating');
  expect(server.policies.active().map((p) => p.id)).not.toContain(draft.id);

  // A report arrives here: it is derived with node B's ban too.
  n = peer.received.length;
  peer.send(report(1));
  await peer.next('ack', n);
  expect(await state()).toBe('violating');
  expect(server.policies.active().map((p) => p.id)).toContain(draft.id);
  complianceB.stop();
});
