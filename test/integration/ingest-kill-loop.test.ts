// Exactly-once across server crashes while group commits are in flight. Simulated agents keep a
// stream of reports going (resending an unacknowledged batch, same event ids, after reconnecting,
// as a real agent's outbox does); the server process is SIGKILLed at random moments, again and
// again, and restarted on the same data. In the end every acknowledged event is stored, no event is
// stored twice, and every batch's final ack accounts for each of its events (new or duplicate).
import { afterAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeEvents, SimAgent } from '../sim/sim-agent.js';
import { stopChild } from '../helpers/agent.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { testDb } from '../helpers/store.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const AGENTS = 6;
const KILLS = 8;
const EVENTS_PER_REPORT = 150; // more than one ingest slice now and then

let server: ServerProcess | undefined;
afterAll(async () => {
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

test('SIGKILL during ingest, again and again: acked events all stored, none twice', async () => {
  const dataDir = tempDir('edict-server-');
  const port = await freePort();
  server = await spawnServerProcess(dataDir, port);
  const url = server.url;
  const admin = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const enrollToken = (await api(url, admin, 'POST', '/enrollment-tokens', { label: 'kill-loop', maxUses: AGENTS })).body.token as string;

  const sent = new Set<string>();
  const acked = new Set<string>();
  let acks = 0;
  let accepted = 0;
  let badAcks = 0;
  let producing = true;

  const agents = await Promise.all(
    Array.from({ length: AGENTS }, async (_, i) => {
      const a = new SimAgent(url, `kill-loop-${i}`);
      await a.enroll(enrollToken);
      return a;
    }),
  );

  // One outbox per agent: the batch in flight stays until its ack arrives.
  const loops = agents.map(async (a) => {
    let pending: { type: 'report'; batchId: string; events: { eventId: string }[] } | null = null;
    for (;;) {
      if (!pending) {
        if (!producing) return;
        pending = { type: 'report', batchId: randomUUID(), events: makeEvents({ count: EVENTS_PER_REPORT, kind: 'running', pathPrefix: randomUUID() }) as { eventId: string }[] };
        for (const e of pending.events) sent.add(e.eventId);
      }
      try {
        if (!a.welcomed || a.closed) await a.connect(5000);
        const ack = await a.sendReport(pending);
        acks++;
        accepted += ack.accepted;
        if (ack.accepted + ack.duplicates !== pending.events.length) badAcks++;
        for (const e of pending.events) acked.add(e.eventId);
        pending = null;
      } catch {
        // Server gone (killed or restarting): try again shortly, same batch.
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  });

  for (let k = 0; k < KILLS; k++) {
    // A random moment: after a random number of further acks, while other batches are in flight.
    const target = acks + 2 + Math.floor(Math.random() * 12);
    await waitFor(() => acks >= target, `acks to reach ${target}`, 60_000, 5);
    await stopChild(server.child, 'SIGKILL');
    server = await spawnServerProcess(dataDir, port);
  }
  producing = false;
  await Promise.all(loops);
  await stopChild(server.child);
  server = undefined;

  const db = testDb(dataDir);
  try {
    const stored = (await db.all<{ event_id: string }>('SELECT event_id FROM detection_events')).map((r) => r.event_id);
    const storedSet = new Set(stored);
    expect(stored.length).toBe(storedSet.size); // never twice
    const missing = [...acked].filter((id) => !storedSet.has(id));
    expect(missing).toEqual([]); // acked → stored
    expect([...storedSet].filter((id) => !sent.has(id))).toEqual([]);
    expect(storedSet.size).toBe(sent.size); // everything was eventually delivered
    // Accepted at most once each; a batch committed just before a kill is acked as duplicates on resend.
    expect(accepted).toBeLessThanOrEqual(stored.length);
    expect(badAcks).toBe(0);
    expect(await db.value('SELECT count(*) FROM findings')).toBe(stored.length); // one finding per distinct running copy
  } finally {
    await db.close();
  }
  expect(acks).toBeGreaterThan(KILLS);
}, 180_000);
