// Bad input on /agent/v1. Each case gets its documented error code (docs/errors.md), a second
// agent connected at the same time keeps working, and nothing is stored. Also: a replayed batch
// changes nothing, and a revoked device is cut off.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MAX_FRAME_BYTES } from '../../shared/src/constants.js';
import { ERRORS } from '../../shared/src/errors.js';
import { connectRaw, enrollDevice, hello, report, type RawPeer } from '../helpers/raw-agent.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
let good: { deviceId: string; credential: string };
let bad: { deviceId: string; credential: string };
let bystander: RawPeer;

async function counts() {
  return {
    events: await server.sql.value('SELECT count(*) FROM detection_events'),
    devices: await server.sql.value('SELECT count(*) FROM devices'),
  };
}

/** The bystander agent still gets its reports committed and acked. */
async function bystanderStillWorks(): Promise<void> {
  const r = report(1);
  const before = bystander.received.length;
  bystander.send(r);
  const ack = await bystander.next('ack', before);
  expect(ack).toEqual({ type: 'ack', batchId: r.batchId, accepted: 1, duplicates: 0 });
}

beforeAll(async () => {
  server = await startTestServer();
  good = await enrollDevice(server.url, server.adminToken, 'bystander');
  bad = await enrollDevice(server.url, server.adminToken, 'misbehaving');
  bystander = await connectRaw(server.url, good.credential);
  bystander.send(hello());
  await bystander.next('welcome');
});

afterAll(async () => {
  bystander?.ws.close();
  await server?.close();
  cleanupTempDirs();
});

describe('refused before the upgrade completes', () => {
  test('missing credential → 401 EDICT_ERR_UNAUTHENTICATED', async () => {
    await expect(connectRaw(server.url)).rejects.toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_UNAUTHENTICATED' } } });
  });
  test('wrong credential → 401 EDICT_ERR_BAD_CREDENTIAL', async () => {
    await expect(connectRaw(server.url, 'edict_dev_not-a-real-one')).rejects.toMatchObject({ status: 401, body: { error: { code: 'EDICT_ERR_BAD_CREDENTIAL' } } });
  });
  test('wrong path → 404', async () => {
    const ws = new (await import('ws')).default(server.url.replace('http', 'ws') + '/agent/v2', { headers: { Authorization: `Bearer ${good.credential}` } });
    const status = await new Promise((resolve) => ws.once('unexpected-response', (_q, res) => resolve(res.statusCode)));
    expect(status).toBe(404);
  });
});

describe('refused frames on an authenticated connection', () => {
  let peer: RawPeer;
  let before: Awaited<ReturnType<typeof counts>>;

  beforeAll(async () => {
    before = await counts();
    peer = await connectRaw(server.url, bad.credential);
    peer.send(hello());
    await peer.next('welcome');
  });
  afterAll(() => peer?.ws.close());

  test.each([
    ['malformed JSON', 'EDICT_ERR_MALFORMED_JSON', '{"type": "report", "batchId": '],
    ['not an object', 'EDICT_ERR_INVALID_MESSAGE', '[1,2,3]'],
    ['unknown message type', 'EDICT_ERR_UNKNOWN_MESSAGE_TYPE', JSON.stringify({ type: 'exfiltrate', data: 1 })],
    ['report failing its schema (bad tool id, one bad event among good ones)', 'EDICT_ERR_INVALID_MESSAGE', JSON.stringify({ ...report(3), events: [...report(2).events, { ...report(1).events[0], detection: { ...report(1).events[0].detection, toolId: 'Bad Tool!' } }] })],
    ['report with an extra, undocumented field', 'EDICT_ERR_INVALID_MESSAGE', JSON.stringify({ ...report(1), secretPayload: 'x' })],
  ])('%s → error %s, connection kept, nothing stored', async (_label, code, frame) => {
    const n = peer.received.length;
    peer.send(frame);
    const err = await peer.next('error', n);
    expect(err.code).toBe(code);
    expect(ERRORS).toHaveProperty(code);
    expect(peer.closed).toBeNull();
    expect(await counts()).toEqual(before);
    await bystanderStillWorks();
    before = await counts();
  });

  test('oversized frame → closed with 1009, nothing stored', async () => {
    const big = JSON.stringify({ ...report(1), pad: 'x'.repeat(MAX_FRAME_BYTES + 10) });
    peer.send(big);
    await waitFor(() => peer.closed, 'close after oversized frame');
    expect(peer.closed!.code).toBe(ERRORS.EDICT_ERR_FRAME_TOO_LARGE.wsClose);
    expect(await counts()).toEqual(before);
    await bystanderStillWorks();
  });
});

test('wrong protocol version → error EDICT_ERR_PROTOCOL_VERSION and close 4002', async () => {
  const peer = await connectRaw(server.url, bad.credential);
  peer.send(hello({ protocolVersion: 999 }));
  const err = await peer.next('error');
  expect(err.code).toBe('EDICT_ERR_PROTOCOL_VERSION');
  await waitFor(() => peer.closed, 'close');
  expect(peer.closed!.code).toBe(4002);
  await bystanderStillWorks();
});

test('a report before hello → EDICT_ERR_HELLO_REQUIRED, closed with 4001, nothing stored', async () => {
  const before = await counts();
  const peer = await connectRaw(server.url, bad.credential);
  peer.send(report(2));
  expect((await peer.next('error')).code).toBe('EDICT_ERR_HELLO_REQUIRED');
  await waitFor(() => peer.closed, 'close');
  expect(peer.closed!.code).toBe(4001);
  expect(await counts()).toEqual(before);
});

test('a flood of messages → EDICT_ERR_RATE_LIMITED and close 1008; the bystander is unaffected', async () => {
  const peer = await connectRaw(server.url, bad.credential);
  peer.send(hello());
  await peer.next('welcome');
  for (let i = 0; i < 300 && peer.ws.readyState === peer.ws.OPEN; i++) peer.send({ type: 'heartbeat', sentAt: new Date().toISOString(), health: { outboxPending: 0, lastScanAt: null, uptimeSec: i } });
  await waitFor(() => peer.closed, 'close after flood');
  expect(peer.received.some((m) => m.code === 'EDICT_ERR_RATE_LIMITED')).toBe(true);
  expect(peer.closed!.code).toBe(1008);
  await bystanderStillWorks();
});

test('a replayed batch is acked as duplicates and stores nothing new', async () => {
  const r = report(3);
  let n = bystander.received.length;
  bystander.send(r);
  expect(await bystander.next('ack', n)).toMatchObject({ accepted: 3, duplicates: 0 });
  const stored = (await counts()).events;
  n = bystander.received.length;
  bystander.send(r);
  expect(await bystander.next('ack', n)).toMatchObject({ batchId: r.batchId, accepted: 0, duplicates: 3 });
  expect((await counts()).events).toBe(stored);
});

test('a second connection for the same device replaces the first (EDICT_ERR_REPLACED, 4004)', async () => {
  const first = await connectRaw(server.url, bad.credential);
  first.send(hello());
  await first.next('welcome');
  const second = await connectRaw(server.url, bad.credential);
  second.send(hello());
  await second.next('welcome');
  await waitFor(() => first.closed, 'first connection closed');
  expect(first.closed!.code).toBe(4004);
  expect(first.received.some((m) => m.code === 'EDICT_ERR_REPLACED')).toBe(true);
  second.ws.close();
});

test('revoking a device ends its live connection (4003) and refuses the next upgrade (403)', async () => {
  const victim = await enrollDevice(server.url, server.adminToken, 'revoked');
  const peer = await connectRaw(server.url, victim.credential);
  peer.send(hello());
  await peer.next('welcome');
  const r = await server.api('POST', `/devices/${victim.deviceId}/revoke`);
  expect(r.status).toBe(200);
  await waitFor(() => peer.closed, 'revoked connection closed');
  expect(peer.closed!.code).toBe(4003);
  await expect(connectRaw(server.url, victim.credential)).rejects.toMatchObject({ status: 403, body: { error: { code: 'EDICT_ERR_DEVICE_REVOKED' } } });
  await bystanderStillWorks();
});
