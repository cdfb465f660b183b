// Regression: the burn-down rollup looked for state changes recorded after its last watermark
// only. A change is stamped by the node that makes it, before its commit; on several nodes, one
// stamped a little below the watermark (a node whose clock is 30 s behind, or a commit that landed
// after the rollup read) was never looked at, and a final past day stayed wrong. Here the late
// change is written into the timeline directly, stamped 30 s before the newest change the first
// run saw: the next run must re-derive the day it touches, and the run after it must not again.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectRaw, enrollDevice, hello, report, type RawPeer } from '../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
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

test('a state change stamped just below the rollup watermark still re-derives its day', async () => {
  const e = await enrollDevice(server.url, server.adminToken, 'late-node', ['late']);
  peer = await connectRaw(server.url, e.credential);
  peer.send(hello({ device: { hostname: 'late-node', platform: 'linux', osRelease: 'test', arch: 'x64' } }));
  await peer.next('welcome');

  const day = 86400_000;
  const now = Date.now();
  await server.sql.run('UPDATE devices SET enrolled_at = ? WHERE id = ?', new Date(now - 10 * day).toISOString(), e.deviceId);
  const draft = (await server.api('POST', '/policies', { name: 'Late ban', tools: ['claude-code'], reason: { en: 'r' }, scope: { tags: ['late'] }, stages: { enforce: { at: '2026-01-01T00:00', timeZone: 'UTC' } } })).body;
  await server.policies.publish(draft.id, 'admin:test', new Date(now - 3 * day));
  server.compliance.kick();
  await server.compliance.idle();

  // Claude Code present two days ago: violating from then on.
  const ev = report(1).events[0];
  const n = peer.received.length;
  peer.send({ type: 'report', batchId: randomUUID(), events: [{ ...ev, observedAt: new Date(now - 2 * day).toISOString(), detection: { ...ev.detection, evidence: { ...ev.detection.evidence, path: '/opt/claude' } } }] });
  await peer.next('ack', n);
  const sentAt = Date.now();
  await server.rollup.run();
  const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
  const yesterday = async () => ((await server.api('GET', `/policies/${draft.id}/burndown`)).body.days as any[]).find((x) => x.day === dayOf(now - day));
  expect(await yesterday()).toMatchObject({ counts: { violating: 1, remediated: 0 }, final: true });

  // Another node records that the tool went away a day and a half ago, its clock 30 s behind.
  await server.sql.run(
    `INSERT INTO timeline(device_id, tool_id, at, kind, from_state, to_state, cause, detail, recorded_at) VALUES (?, 'claude-code', ?, 'state', 'violating', 'remediated', 'detection-absent', '{}', ?)`,
    e.deviceId,
    new Date(now - 1.5 * day).toISOString(),
    new Date(sentAt - 30_000).toISOString(),
  );
  await server.rollup.run();
  expect(await yesterday()).toMatchObject({ counts: { violating: 0, remediated: 1 }, final: true });

  // Nothing new since: the past day is kept, not computed again on every run.
  const computedAt = async () =>
    (await server.sql.all<{ computedAt: string }>('SELECT computed_at AS "computedAt" FROM compliance_daily WHERE policy_id = ? AND day = ?', draft.id, dayOf(now - day)))[0].computedAt;
  const before = String(await computedAt());
  await server.rollup.run(Date.now() + 5_000);
  expect(String(await computedAt())).toBe(before);
});
