// A late event is placed at its observedAt. Pairs of devices see the same facts at the same
// instants around a ban's effective instant E; one device of each pair reports each fact as it
// happens, its twin was offline and reports everything after E (in one batch, or newest first).
// The server's record must come out the same for both: the state changes (instant and state) and
// the compliance "as of" instants before, at and after E, as if the events had arrived in order.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { connectRaw, enrollDevice, hello, type RawPeer } from '../helpers/raw-agent.js';
import { publishPolicy, startTestServer, type TestServer } from '../helpers/server.js';
import { zoned, zonedMs } from '../helpers/time.js';
import { cleanupTempDirs } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

let server: TestServer;
afterAll(async () => {
  await server?.close();
  cleanupTempDirs();
});
beforeAll(async () => {
  server = await startTestServer();
});

interface Device {
  id: string;
  peer: RawPeer;
}

async function device(name: string): Promise<Device> {
  const d = await enrollDevice(server.url, server.adminToken, name);
  const peer = await connectRaw(server.url, d.credential);
  peer.send(hello({ device: { hostname: name, platform: 'linux', osRelease: 'test', arch: 'x64' } }));
  await peer.next('welcome');
  return { id: d.deviceId, peer };
}

function event(state: 'present' | 'absent', observedAtMs: number, path = '/home/dev/.npm-global/lib/node_modules/@anthropic-ai/claude-code') {
  return {
    eventId: randomUUID(),
    type: 'detection',
    state,
    observedAt: new Date(observedAtMs).toISOString(),
    stage: 'notice',
    detection: { toolId: 'claude-code', kind: 'installed', user: 'dev', evidence: { source: 'npm-global', signature: 'npm:@anthropic-ai/claude-code', path }, confidence: 0.95 },
  };
}

async function send(d: Device, events: unknown[]): Promise<void> {
  const batchId = randomUUID();
  const before = d.peer.received.length;
  d.peer.send({ type: 'report', batchId, events });
  const ack = await d.peer.next('ack', before);
  expect(ack).toMatchObject({ batchId, accepted: events.length, duplicates: 0 });
}

async function stateChanges(d: Device): Promise<{ at: string; to: string }[]> {
  const items = (await server.api('GET', `/devices/${d.id}/timeline?toolId=claude-code`)).body.items as any[];
  return items.filter((t) => t.kind === 'state' && !t.supersededAt).map((t) => ({ at: t.at, to: t.toState }));
}

async function asOf(d: Device, ms: number): Promise<string> {
  const items = (await server.api('GET', `/compliance?toolId=claude-code&asOf=${new Date(ms).toISOString()}`)).body.items as any[];
  return items.find((i) => i.deviceId === d.id)?.state ?? 'clear';
}

const sleepUntil = (ms: number) => waitFor(() => Date.now() >= ms, `the clock to pass ${new Date(ms).toISOString()}`, 30_000, 20);

test('late events give the same record as events that arrived in order', async () => {
  // Pair 1: installed before E, removed after E. Pair 2: installed before E, removed before E but
  // the removal reported only after E (the case that used to leave a false violation at E).
  const [onTime1, late1, onTime2, late2] = await Promise.all([device('on-time-1'), device('late-1'), device('on-time-2'), device('late-2')]);
  const E = zonedMs(Date.now() + 4000);
  await publishPolicy(server, { name: 'Claude Code ban', tools: ['claude-code'], reason: { en: 'Covert collection' }, replacements: [{ toolId: 'qoder' }], stages: { enforce: zoned(E) } });
  await waitFor(async () => (await server.api('GET', '/policies')).body.items[0].published, 'published');

  const t1 = Date.now();
  await send(onTime1, [event('present', t1)]);
  await send(onTime2, [event('present', t1)]);
  await send(late2, [event('present', t1)]); // late-2 was online at first
  await sleepUntil(t1 + 600);
  const t2 = Date.now(); // before E: pair 2 removes the tool
  await send(onTime2, [event('absent', t2)]);

  // E passes; the server's boundary job records what it knows then.
  await sleepUntil(E + 300);
  await waitFor(async () => (await stateChanges(onTime1)).some((c) => c.to === 'violating'), 'on-time-1 violating at E');
  await waitFor(async () => (await stateChanges(late2)).some((c) => c.to === 'violating'), 'late-2 (still believed present) violating at E');
  const t3 = Date.now(); // after E: pair 1 removes the tool
  await send(onTime1, [event('absent', t3)]);

  // The offline twins come back and report everything late: late-1 newest first, in two batches.
  await send(late1, [event('absent', t3)]);
  await send(late1, [event('present', t1)]);
  await send(late2, [event('absent', t2)]);

  const expected1 = [
    { at: new Date(t1).toISOString(), to: 'noticed' },
    { at: new Date(E).toISOString(), to: 'violating' },
    { at: new Date(t3).toISOString(), to: 'remediated' },
  ];
  const expected2 = [
    { at: new Date(t1).toISOString(), to: 'noticed' },
    { at: new Date(t2).toISOString(), to: 'clear' },
  ];
  expect(await stateChanges(onTime1)).toEqual(expected1);
  expect(await stateChanges(late1)).toEqual(expected1);
  expect(await stateChanges(onTime2)).toEqual(expected2);
  expect(await stateChanges(late2)).toEqual(expected2);

  for (const at of [t1 - 1, t1, t2, E - 1, E, E + 1, t3, Date.now()]) {
    expect([at, await asOf(late1, at)]).toEqual([at, await asOf(onTime1, at)]);
    expect([at, await asOf(late2, at)]).toEqual([at, await asOf(onTime2, at)]);
  }
  // What the server believed at E is kept for the record, marked superseded, not deleted.
  const kept = ((await server.api('GET', `/devices/${late2.id}/timeline?toolId=claude-code`)).body.items as any[]).filter((t) => t.kind === 'state' && t.supersededAt);
  expect(kept.map((t) => [t.at, t.toState])).toContainEqual([new Date(E).toISOString(), 'violating']);
  // And the current state agrees with the timeline.
  const now = (await server.api('GET', '/compliance?toolId=claude-code')).body.items as any[];
  expect(now.find((i) => i.deviceId === late1.id).state).toBe('remediated');
  expect(now.find((i) => i.deviceId === late2.id).state).toBe('clear');
}, 60_000);
