// Fuzzing the agent channel: thousands of frames made by mutating valid ones (bytes flipped,
// fields dropped, values swapped for other types, truncated, nested deeper, huge numbers) from
// several connections at once. The server never crashes, keeps serving a well-behaved agent, and no
// row ever comes from a frame the protocol schema refuses.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { parseAgentMessage } from '../../shared/src/protocol/index.js';
import { connectRaw, enrollDevice, hello, report, type RawPeer } from '../helpers/raw-agent.js';
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

// A small deterministic generator, so a failure can be replayed from its seed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ODD_VALUES: unknown[] = [null, true, 0, -1, 1e308, '', 'x'.repeat(5000), [], {}, [[[]]], { type: 'report' }, '\u0000', '2026-13-45T99:99:99Z', NaN];

function mutate(value: unknown, r: () => number, depth = 0): unknown {
  if (Array.isArray(value)) {
    const out = value.map((v) => (r() < 0.3 ? mutate(v, r, depth + 1) : v));
    if (r() < 0.1) out.splice(Math.floor(r() * out.length), 1);
    if (r() < 0.05) out.push(ODD_VALUES[Math.floor(r() * ODD_VALUES.length)]);
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
    for (const k of Object.keys(out)) {
      const p = r();
      if (p < 0.08) delete out[k];
      else if (p < 0.16) out[k] = ODD_VALUES[Math.floor(r() * ODD_VALUES.length)];
      else if (p < 0.4 && depth < 6) out[k] = mutate(out[k], r, depth + 1);
    }
    if (r() < 0.05) out[`extra${Math.floor(r() * 10)}`] = 1;
    return out;
  }
  if (typeof value === 'string' && r() < 0.5) return value.slice(0, Math.floor(r() * value.length)) + (r() < 0.5 ? '\u00ff' : '');
  if (typeof value === 'number' && r() < 0.5) return -value;
  return value;
}

function frame(r: () => number): string {
  const base = r() < 0.8 ? report(1 + Math.floor(r() * 4)) : hello();
  (base as { batchId?: string }).batchId &&= randomUUID();
  if (r() < 0.3) return JSON.stringify(base); // some valid frames in the stream, as a real peer's would be
  const text = JSON.stringify(mutate(base, r));
  const p = r();
  if (p < 0.1) return text.slice(0, Math.floor(r() * text.length)); // truncated JSON
  if (p < 0.15) {
    const i = Math.floor(r() * text.length);
    return text.slice(0, i) + String.fromCharCode(Math.floor(r() * 128)) + text.slice(i + 1);
  }
  return text;
}

test('3,000 mutated frames: no crash, a bystander keeps working, no row from a refused frame', async () => {
  const r = rng(20261130);
  const fuzzDevices: string[] = [];
  const connect = async (name: string) => {
    const d = await enrollDevice(server.url, server.adminToken, name);
    if (name.startsWith('fuzz')) fuzzDevices.push(d.deviceId);
    const peer = await connectRaw(server.url, d.credential);
    peer.send(hello());
    return peer;
  };
  const peers: RawPeer[] = [];
  for (let i = 0; i < 4; i++) peers.push(await connect(`fuzz-${i}`));
  const bystander = await connect('bystander');
  await bystander.next('welcome');

  // Event ids of the frames the shared schema accepts: the only ones that may ever be stored.
  const validEventIds = new Set<string>();
  let sent = 0;
  let reconnects = 0;
  let nextCheck = 200;
  while (sent < 3000) {
    await new Promise((res) => setImmediate(res)); // let closes and replies arrive between rounds
    for (let i = 0; i < peers.length; i++) {
      if (peers[i].closed) {
        // The server closed it (a bad frame with a close code, the bad-message cap, the rate limit).
        peers[i] = await connect(`fuzz-${i}-${++reconnects}`);
        continue;
      }
      if (r() < 0.3) peers[i].send(hello());
      const f = frame(r);
      try {
        const m = parseAgentMessage(f);
        if (m.type === 'report') for (const e of m.events) validEventIds.add(e.eventId);
      } catch {
        // refused by the schema: none of its events may be stored
      }
      peers[i].send(f);
      sent++;
    }
    if (sent >= nextCheck) {
      nextCheck += 200;
      const before = bystander.received.length;
      const rep = report(1);
      bystander.send(rep);
      expect(await bystander.next('ack', before)).toMatchObject({ batchId: rep.batchId, accepted: 1 });
    }
  }
  await waitFor(() => server.ingest.pending === 0, 'the ingest queue to drain');
  expect((await server.api('GET', '/health')).body.ok).toBe(true);
  const stored = (await server.sql.all<{ event_id: string }>(`SELECT event_id FROM detection_events WHERE device_id IN (${fuzzDevices.map(() => '?').join(', ')})`, ...fuzzDevices)).map(
    (r) => r.event_id,
  );
  expect(stored.filter((id) => !validEventIds.has(id))).toEqual([]);
  expect(stored.length).toBeGreaterThan(0); // some mutations stay valid and are stored, so the check has teeth
  expect(reconnects).toBeGreaterThan(0); // the server did close misbehaving peers
}, 120_000);
