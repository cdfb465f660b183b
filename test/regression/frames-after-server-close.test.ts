// Regression: once the server decided to close a connection (bad-message cap, rate limit), a peer
// that ignored the close and kept sending still had its later reports committed (20 of 20). Now
// nothing that arrives, or is still queued, after the decision is processed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connectRaw, enrollDevice, hello, report } from '../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
  cleanupTempDirs();
});

const eventsOf = (deviceId: string) => server.sql.value<number>('SELECT count(*) FROM detection_events WHERE device_id = ?', deviceId);

test('reports sent after the bad-message cap closed the connection are not stored', async () => {
  const d = await enrollDevice(server.url, server.adminToken, 'flooder');
  const peer = await connectRaw(server.url, d.credential);
  peer.send(hello());
  await peer.next('welcome');
  // All in one go, as a peer that never reads would: enough bad frames to hit the cap, then reports.
  const frames = [...Array.from({ length: 25 }, () => '{"type":"nonsense"}'), ...Array.from({ length: 20 }, () => JSON.stringify(report(5)))];
  for (const f of frames) peer.send(f);
  await waitFor(() => peer.closed, 'the server to close the connection');
  expect(peer.closed!.code).toBe(1008);
  expect(peer.received.filter((m) => m.type === 'ack')).toEqual([]);
  expect(peer.received.at(-1)).toMatchObject({ type: 'error', code: 'EDICT_ERR_RATE_LIMITED' });
  expect(await eventsOf(d.deviceId)).toBe(0);
});

test('reports sent after a rate-limit close are not stored either', async () => {
  const d = await enrollDevice(server.url, server.adminToken, 'fast');
  const peer = await connectRaw(server.url, d.credential);
  peer.send(hello());
  await peer.next('welcome');
  const flood = Array.from({ length: 150 }, () => JSON.stringify(report(1)));
  for (const f of flood) peer.send(f);
  await waitFor(() => peer.closed, 'the server to close the connection');
  expect(peer.closed!.code).toBe(1008);
  const acked = peer.received.filter((m) => m.type === 'ack').length;
  // Whatever was acked is stored. Frames still queued when the limit hit are dropped with the rest
  // (never acked, so a real agent sends them again); none of the 50 frames past the burst is stored.
  expect(await eventsOf(d.deviceId)).toBeGreaterThanOrEqual(acked);
  expect(await eventsOf(d.deviceId)).toBeLessThanOrEqual(100);
});
