// Regression: an exception granted with an expiry written with a UTC offset ("…T18:00:03+14:00")
// was stored as that text, and expiries are compared as text (the scheduler's "is it due",
// SQLite's `expires_at > now`), so it ended up to 14 hours late. Expiries are now kept as the
// canonical UTC instant, and the exception ends at its instant on either database.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { enrollDevice } from '../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
  cleanupTempDirs();
});

test('an expiry given with a +14:00 offset ends the exception at its instant', async () => {
  const d = await enrollDevice(server.url, server.adminToken, 'kiribati-laptop');
  const expiresMs = Date.now() + 4000;
  // The same instant as wall-clock time in UTC+14 (Line Islands): its text sorts 14 hours later.
  const expiresAt = new Date(expiresMs + 14 * 3600_000).toISOString().replace('Z', '+14:00');
  const granted = await server.api('POST', '/exceptions', { toolId: 'claude-code', deviceId: d.deviceId, reason: 'pilot', expiresAt });
  expect(granted.status).toBe(201);
  expect(granted.body.expiresAt).toBe(new Date(expiresMs).toISOString());
  const ended = await waitFor(async () => {
    const e = (await server.api('GET', `/exceptions?deviceId=${d.deviceId}`)).body.items.find((x: { id: string }) => x.id === granted.body.id);
    return e?.status === 'expired' ? e : undefined;
  }, 'the exception to expire at its instant', 20_000);
  expect(ended.endedAt).toBe(new Date(expiresMs).toISOString());
});
