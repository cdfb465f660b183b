// Three edict-server processes on one PostgreSQL database, agents spread over them. A publish on
// node A reaches the agents of B and C (a LISTEN/NOTIFY nudge; each node rebuilds what it sends).
// Then node B, the leader, is SIGKILLed while every agent streams reports: B's agents move to A and
// C (simulated agents by their own retry, a real edict-agent by its server list and jittered
// backoff), every report acknowledged by any node is stored exactly once, another node takes over
// the leadership within 10 s, and the stage boundary that falls during the kill is processed once.
import { afterAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { makeEvents, SimAgent, type SimEnrollment } from '../sim/sim-agent.js';
import { agentJson, enrollAgent, runAgent, stopChild, type AgentProcess } from '../helpers/agent.js';
import { spawnNamedSleeper, type NamedProcess } from '../helpers/processes.js';
import { api, freePort, spawnServerProcess, type ServerProcess } from '../helpers/server.js';
import { closeAdmin, createTestDatabase, testDb, useDatabase } from '../helpers/store.js';
import { zoned, zonedMs } from '../helpers/time.js';
import { cleanupTempDirs, tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

const PER_NODE = 6;
const nodes: Record<string, ServerProcess | undefined> = {};
const sims: SimAgent[] = [];
let agent: AgentProcess | undefined;
const sleepers: NamedProcess[] = [];

afterAll(async () => {
  for (const s of sleepers) s.kill();
  for (const a of sims) a.close();
  await agent?.stop();
  for (const n of Object.values(nodes)) if (n) await stopChild(n.child);
  await closeAdmin();
  cleanupTempDirs();
});

const BAN = { tools: ['claude-code'], reason: { en: 'Covert collection' }, replacements: [{ toolId: 'qoder' }] };

/** One simulated agent that keeps a report in flight and, when its node dies, resends it to another. */
class Streamer {
  sim: SimAgent;
  acked = new Set<string>();
  sent = new Set<string>();
  moves = 0;
  private stop = false;
  done?: Promise<void>;
  constructor(
    public node: string,
    private readonly enrollment: SimEnrollment,
    private readonly hostname: string,
    private readonly alive: () => string[],
  ) {
    this.sim = this.make(node);
  }
  private make(node: string): SimAgent {
    const a = new SimAgent(nodes[node]!.url, this.hostname);
    a.use(this.enrollment);
    sims.push(a);
    return a;
  }
  async connect(): Promise<void> {
    await this.sim.connect();
  }
  start(): void {
    this.done = (async () => {
      let k = 0;
      while (!this.stop) {
        const report = { type: 'report' as const, batchId: randomUUID(), events: makeEvents({ count: 20, kind: 'installed', pathPrefix: `${this.hostname}-${k++}` }) };
        for (const e of report.events as { eventId: string }[]) this.sent.add(e.eventId);
        // The same batch until some node acknowledges it (the agent's outbox does exactly this).
        for (;;) {
          try {
            await this.sim.sendReport(report);
            for (const e of report.events as { eventId: string }[]) this.acked.add(e.eventId);
            break;
          } catch {
            await this.move();
          }
        }
      }
    })();
  }
  private async move(): Promise<void> {
    for (;;) {
      const others = this.alive().filter((n) => n !== this.node);
      const next = this.sim.closed || !this.sim.welcomed ? others[this.moves % others.length] : this.node;
      this.moves++;
      this.sim.close();
      this.node = next;
      this.sim = this.make(next);
      try {
        await this.sim.connect(10_000);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
      }
    }
  }
  async finish(): Promise<void> {
    this.stop = true;
    await this.done;
  }
}

test('three nodes: publish reaches every node, a SIGKILLed leader loses nothing, its boundary is processed once', async () => {
  const databaseUrl = await createTestDatabase();
  const dirs = { A: tempDir('edict-node-a-'), B: tempDir('edict-node-b-'), C: tempDir('edict-node-c-') };
  for (const d of Object.values(dirs)) useDatabase(d, databaseUrl);
  // B starts first: it creates the admin token and the signing key, and becomes the leader.
  nodes.B = await spawnServerProcess(dirs.B, await freePort());
  const keyFile = path.join(dirs.B, 'signing-key.pem');
  nodes.A = await spawnServerProcess(dirs.A, await freePort(), { EDICT_SERVER_SIGNING_KEY_FILE: keyFile });
  nodes.C = await spawnServerProcess(dirs.C, await freePort(), { EDICT_SERVER_SIGNING_KEY_FILE: keyFile });
  const admin = readFileSync(path.join(dirs.B, 'admin-token'), 'utf8').trim();
  const call = (node: string, m: string, p: string, b?: unknown) => api(nodes[node]!.url, admin, m, p, b);
  const health = async (node: string) => (await fetch(`${nodes[node]!.url}/api/v1/health`)).json() as Promise<any>;
  expect((await health('B')).node.leader).toBe(true);
  expect((await health('A')).node.leader).toBe(false);
  expect((await health('C')).node.leader).toBe(false);

  // Agents spread over the three nodes (enrolled through A: any node enrolls any agent).
  const token = (await call('A', 'POST', '/enrollment-tokens', { maxUses: 100 })).body.token;
  const alive = () => Object.keys(nodes).filter((n) => nodes[n]);
  const streamers: Streamer[] = [];
  for (const n of ['A', 'B', 'C']) {
    for (let i = 0; i < PER_NODE; i++) {
      const probe = new SimAgent(nodes.A!.url, `sim-${n}-${i}`);
      const e = await probe.enroll(token);
      const s = new Streamer(n, e, `sim-${n}-${i}`, alive);
      await s.connect();
      streamers.push(s);
    }
  }
  // A real agent that knows every node, B first.
  const realSetup = await enrollAgent([nodes.B.url, nodes.C.url, nodes.A.url].join(','), admin);
  agent = runAgent(realSetup);
  await waitFor(async () => (await agentJson(realSetup, 'status')).connection.state === 'connected', 'the real agent connected to B');

  // Publish on A: the notice date falls in the middle of the coming kill.
  const noticeMs = zonedMs(Date.now() + 15_000);
  const draft = await call('A', 'POST', '/policies', { ...BAN, name: 'Claude Code ban', stages: { notice: zoned(noticeMs), enforce: { at: '2099-01-01T00:00', timeZone: 'UTC' } } });
  const pub = await call('A', 'POST', `/policies/${draft.body.id}/publish`);
  expect(pub.status).toBe(200);
  const part = pub.body.rolloutPart as number;
  const t0 = Date.now();
  await waitFor(() => streamers.every((s) => (s.sim.held.policies ?? 0) >= part), 'every simulated agent on A, B and C to verify the new policies part', 20_000, 50);
  const reachedAllMs = Date.now() - t0;
  await waitFor(async () => (await agentJson(realSetup, 'status')).policy?.bans.length === 1, 'the real agent (on B) to hold the ban', 20_000);
  expect(streamers.filter((s) => s.node !== 'A').length).toBe(2 * PER_NODE);

  // Everyone streams reports; B (the leader) dies a few seconds before the notice date.
  for (const s of streamers) s.start();
  await waitFor(() => streamers.every((s) => s.acked.size >= 40), 'every agent to have reports acknowledged', 30_000, 50).catch((err) => {
    throw new Error(`${(err as Error).message}; ${streamers.map((s) => `${s.node}:${s.acked.size}/${s.sent.size} moves ${s.moves} ${JSON.stringify(s.sim.errors.slice(-2))}`).join(' | ')}; ${Object.values(nodes).map((n) => n?.output().slice(-1500)).join('\n---\n')}`);
  });
  await waitFor(() => Date.now() >= noticeMs - 4000, 'shortly before the notice date', 30_000, 50);
  const killedAt = Date.now();
  nodes.B.child.kill('SIGKILL');
  await new Promise((r) => nodes.B!.child.once('exit', r));
  nodes.B = undefined;

  // A or C takes the lead within 10 s.
  const leader = await waitFor(async () => {
    for (const n of ['A', 'C']) if ((await health(n)).node.leader) return n;
    return undefined;
  }, 'another node to take the lead', 15_000, 100);
  const takeoverMs = Date.now() - killedAt;
  expect(takeoverMs).toBeLessThan(10_000);

  // B's agents carry on on A and C.
  await waitFor(() => streamers.filter((s) => s.moves > 0).length >= PER_NODE && streamers.every((s) => s.node !== 'B'), "B's agents to move to A and C", 30_000, 100);
  const before = new Map(streamers.map((s) => [s, s.acked.size]));
  await waitFor(() => streamers.every((s) => s.acked.size >= before.get(s)! + 40), 'reports acknowledged after the move', 30_000, 100);
  // The real agent moved too: a copy of claude it finds now reaches the database through A or C.
  sleepers.push(spawnNamedSleeper('claude'));
  const db = testDb(dirs.A);
  const pid = sleepers[0].child.pid;
  await waitFor(async () => {
    const rows = await db.all<{ evidence: string }>("SELECT evidence FROM detection_events WHERE device_id = ? AND kind = 'running' AND state = 'present'", realSetup.deviceId);
    return rows.some((r) => JSON.parse(r.evidence).pid === pid);
  }, "the real agent's new detection through another node", 40_000);

  await waitFor(() => Date.now() > noticeMs + 1500, 'past the notice date', 30_000, 50);
  for (const s of streamers) await s.finish();

  // Every acknowledged event stored, each exactly once; nothing stored that no agent sent.
  const stored = await db.all<{ id: string; n: number }>('SELECT event_id AS id, count(*) AS n FROM detection_events GROUP BY event_id');
  const storedIds = new Set(stored.map((r) => r.id));
  expect(stored.every((r) => r.n === 1)).toBe(true);
  const acked = streamers.flatMap((s) => [...s.acked]);
  expect(acked.filter((id) => !storedIds.has(id))).toEqual([]);
  const sent = new Set(streamers.flatMap((s) => [...s.sent]));
  const simDevices = new Set(streamers.map((s) => s.sim.deviceId));
  const simStored = (await db.all<{ event_id: string; device_id: string }>('SELECT event_id, device_id FROM detection_events')).filter((r) => simDevices.has(r.device_id));
  expect(simStored.filter((r) => !sent.has(r.event_id))).toEqual([]);

  // The boundary: recorded once (one audit entry, by the new leader), each device noticed once at it.
  const boundaryIso = new Date(noticeMs).toISOString();
  const audit = await waitFor(async () => {
    const r = (await call(leader, 'GET', '/audit?limit=1000')).body.items.filter((e: any) => e.action === 'policy.stage-boundary');
    return r.length ? r : undefined;
  }, 'the boundary in the audit log', 20_000);
  expect(audit).toHaveLength(1);
  expect(audit[0]).toMatchObject({ subject: draft.body.id, detail: { stage: 'notice', at: boundaryIso } });
  const noticed = await waitFor(async () => {
    const rows = await db.all<{ device_id: string; n: number }>(
      "SELECT device_id, count(*) AS n FROM timeline WHERE kind = 'state' AND to_state = 'noticed' AND at = ? AND superseded_at IS NULL GROUP BY device_id",
      boundaryIso,
    );
    return rows.length >= streamers.length ? rows : undefined;
  }, 'every streaming device noticed at the boundary', 30_000);
  expect(noticed.every((r) => r.n === 1)).toBe(true);
  expect(await db.value("SELECT count(*) FROM timeline WHERE kind = 'state' AND at = ? AND superseded_at IS NOT NULL", boundaryIso)).toBe(0);
  expect((await call(leader, 'GET', '/audit/verify')).body).toMatchObject({ ok: true });
  await db.close();
  process.stderr.write(`multi-node: publish reached all agents on 3 nodes in ${reachedAllMs} ms; leader taken over in ${takeoverMs} ms; ${acked.length} acked events stored once\n`);
}, 240_000);
