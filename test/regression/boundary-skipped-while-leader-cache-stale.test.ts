// Regression: the leader's scheduler finds stage dates in its node's policy cache. A policy
// published on another node reaches that cache with the other node's notice (or the periodic
// catch-up). If, before it did, the scheduler processed a later instant (an exception expiring),
// the watermark moved past the new policy's stage boundary, which was then never recorded: no
// `policy.stage-boundary` audit entry, no recompute at that instant. Here "another node" is a second
// PolicyService on the same database publishing (as a node of a cluster does; on one SQLite file no
// notice travels, as when one is lost), and the scheduler is driven to the instant after both dates.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import path from 'node:path';
import { loadSigningKey } from '../../server/src/keys.js';
import { PolicyService } from '../../server/src/policy/service.js';
import { enrollDevice } from '../helpers/raw-agent.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';

/** What the audit log recorded: stage boundaries (policy, stage, instant) and ended exceptions. */
async function recorded(s: TestServer): Promise<{ boundaries: [string, string | undefined, string | undefined][]; expiries: string[] }> {
  const audit = (await s.api('GET', '/audit?order=asc&limit=500')).body.items as { action: string; subject: string; detail: { at?: string; stage?: string } }[];
  return {
    boundaries: audit.filter((a) => a.action === 'policy.stage-boundary').map((a) => [a.subject, a.detail.stage, a.detail.at]),
    expiries: audit.filter((a) => a.action === 'exception.expire').map((a) => a.subject),
  };
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  cleanupTempDirs();
});

test('a boundary published on another node is recorded even when a later expiry is processed first', async () => {
  // The scheduler is driven by hand below: its own per-second tick (which catches up too) could
  // otherwise refresh the cache between node B's commit and the check that it is stale.
  server.scheduler.stop();
  const e = await enrollDevice(server.url, server.adminToken, 'stale-laptop', ['eng']);
  // Far enough ahead that the server's own per-second ticks never reach either instant.
  const day = new Date(Date.now() + 3 * 86400_000).toISOString().slice(0, 10);
  const boundary = `${day}T09:00:00.000Z`;
  const expiry = `${day}T09:00:05.000Z`;
  const granted = await server.api('POST', '/exceptions', { toolId: 'cursor', deviceId: e.deviceId, reason: 'pilot', expiresAt: expiry });
  expect(granted.status).toBe(201);

  // Node B publishes a ban whose enforcement starts at `boundary`; this node's cache does not know it.
  const nodeB = await PolicyService.create(server.store, loadSigningKey(path.join(server.dataDir, 'signing-key.pem'), false));
  // (The draft through the API: a draft is only stored, nothing this node's cache holds.)
  const draft = (await server.api('POST', '/policies', { name: 'Claude Code ban', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: `${day}T09:00`, timeZone: 'UTC' } } })).body;
  const published = await nodeB.publish(draft.id, 'admin:node-b');
  expect(server.policies.active().map((p) => p.id)).not.toContain(published.id);

  // The leader's tick just after both instants.
  await server.scheduler.processDue(Date.parse(expiry) + 1000);

  const audit = await recorded(server);
  expect(audit.boundaries).toEqual([[published.id, 'enforce', boundary]]);
  expect(audit.expiries).toEqual([granted.body.id]);
});

test("an expiry that catches the cache up mid-tick does not let the watermark pass the new boundary", async () => {
  // The same, where the expiring exception is for a tool a ban of this node already names: ending it
  // re-derives the pair, and that derivation catches this node's cache up in the middle of the tick.
  // The tick must still not move the watermark with the list of instants it made from the old cache.
  const s = await startTestServer();
  try {
    s.scheduler.stop();
    const e = await enrollDevice(s.url, s.adminToken, 'stale-laptop-2', ['eng']);
    await publishPolicy(s, { name: 'Notice ban', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: '2099-07-10T00:00', timeZone: 'UTC' } } });
    await s.compliance.idle();
    const day = new Date(Date.now() + 4 * 86400_000).toISOString().slice(0, 10);
    const boundary = `${day}T10:00:00.000Z`;
    const expiry = `${day}T10:00:05.000Z`;
    const granted = await s.api('POST', '/exceptions', { toolId: 'claude-code', deviceId: e.deviceId, reason: 'pilot', expiresAt: expiry });
    expect(granted.status).toBe(201);

    const nodeB = await PolicyService.create(s.store, loadSigningKey(path.join(s.dataDir, 'signing-key.pem'), false));
    const draft = (await s.api('POST', '/policies', { name: 'Dated ban', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: `${day}T10:00`, timeZone: 'UTC' } } })).body;
    // Node B's publish commits inside the tick: after its catch-up and its list of due instants (only
    // the expiry), before the expiry is processed (timing injected, nothing mocked).
    let published: { id: string } | undefined;
    const exceptions = s.exceptions as unknown as { expire: (id: string) => Promise<void> };
    const expire = exceptions.expire.bind(exceptions);
    exceptions.expire = async (id: string) => {
      published ??= await nodeB.publish(draft.id, 'admin:node-b');
      return expire(id);
    };
    // Two ticks after both instants, as the scheduler would run them.
    await s.scheduler.processDue(Date.parse(expiry) + 1000);
    expect(published).toBeDefined();
    await s.scheduler.processDue(Date.parse(expiry) + 2000);

    const audit = await recorded(s);
    expect(audit.boundaries).toEqual([[published!.id, 'enforce', boundary]]);
    expect(audit.expiries).toEqual([granted.body.id]);
  } finally {
    await s.close();
  }
});
