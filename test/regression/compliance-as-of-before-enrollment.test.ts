// Regression: `compliance --as-of D` called a device `clear` on dates before it was enrolled (it
// was not there to be clear), and read a date-only value as UTC midnight. Now a device enrolled
// after D is not listed as of D, and a bare date is refused with the forms that are accepted.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { connectRaw, enrollDevice, hello, report } from '../helpers/raw-agent.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
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

test('as of a date before its enrollment a device has no row; a bare date is refused', async () => {
  const d = await enrollDevice(server.url, server.adminToken, 'new-laptop');
  const peer = await connectRaw(server.url, d.credential);
  peer.send(hello());
  await peer.next('welcome');
  const n = peer.received.length;
  peer.send(report(1));
  await peer.next('ack', n);
  await publishPolicy(server, { name: 'ban', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } } });
  await waitFor(async () => (await server.api('GET', '/compliance?state=violating')).body.items.length === 1, 'the device violating now');
  const past = (await server.api('GET', '/compliance?asOf=2001-01-01T00:00:00Z')).body.items;
  expect(past.filter((i: any) => i.deviceId === d.deviceId)).toEqual([]);
  const bare = await server.api('GET', '/compliance?asOf=2026-07-10');
  expect(bare.status).toBe(400);
  expect(bare.body.error.message).toMatch(/bare date.*Asia\/Shanghai/);
  peer.ws.close();
});
