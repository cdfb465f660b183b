// Exactly-once delivery across a server crash: the server process is killed (SIGKILL) while the
// agent keeps detecting; the agent queues on disk; after the server restarts on the same port
// and data, every detection the agent sent is in the database exactly once.
import { afterAll, expect, test } from '@jest/globals';
import path from 'node:path';
import { agentJson, enrollAgent, runAgent, type AgentProcess } from '../helpers/agent.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { readFileSync } from 'node:fs';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { stopChild } from '../helpers/agent.js';
import { waitFor } from '../helpers/wait.js';
import { testDb } from '../helpers/store.js';

let server: ServerProcess | undefined;
let agent: AgentProcess | undefined;
const sleepers: NamedProcess[] = [];

afterAll(async () => {
  for (const s of sleepers) s.kill();
  await agent?.stop();
  if (server) await stopChild(server.child);
  cleanupTempDirs();
});

test('detections queued while the server is dead arrive exactly once after it restarts', async () => {
  const dataDir = tempDir('edict-server-');
  const port = await freePort();
  server = await spawnServerProcess(dataDir, port);
  const adminToken = readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
  const setup = await enrollAgent(server.url, adminToken);
  agent = runAgent(setup);
  await waitFor(async () => (await agentJson(setup, 'status')).connection.state === 'connected', 'agent connected');

  await stopChild(server.child, 'SIGKILL');
  server = undefined;
  for (let i = 0; i < 3; i++) sleepers.push(spawnNamedSleeper('claude'));

  // The agent sees the processes and holds the events on disk, since nobody acknowledges them.
  const queued = await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.outbox.pendingEvents >= 3 && s.connection.state !== 'connected' ? s : undefined;
  }, 'events queued while the server is down', 30_000);
  expect(queued.detections.filter((d: any) => d.kind === 'running').length).toBeGreaterThanOrEqual(3);

  server = await spawnServerProcess(dataDir, port);
  await waitFor(async () => {
    const s = await agentJson(setup, 'status');
    return s.connection.state === 'connected' && s.outbox.pendingEvents === 0;
  }, 'outbox drained after restart', 60_000);

  // Every event the agent ever sent (from its own sent-message log) is stored exactly once.
  const sent = readFileSync(path.join(setup.stateDir, 'sent.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l).message)
    .filter((m) => m.type === 'report')
    .flatMap((m) => m.events.map((e: any) => e.eventId));
  const sentIds = new Set(sent);
  const db = testDb(dataDir);
  try {
    const rows = await db.all<{ id: string; n: number }>('SELECT event_id AS id, count(*) AS n FROM detection_events GROUP BY event_id');
    expect(rows.every((r) => r.n === 1)).toBe(true);
    expect(new Set(rows.map((r) => r.id))).toEqual(sentIds);
    const running = (await db.all<{ evidence: string }>("SELECT evidence FROM detection_events WHERE kind = 'running' AND state = 'present'")).map((r) => JSON.parse(r.evidence).pid);
    for (const s of sleepers) expect(running.filter((pid) => pid === s.child.pid)).toHaveLength(1);
  } finally {
    await db.close();
  }
}, 180_000);
