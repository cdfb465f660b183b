// `npm run bench:server`: the server's speed targets, measured with the fleet simulator (test/sim)
// against a real edict-server process on this machine, and the physical floor (raw SQLite insert
// rate of the same rows and indexes) measured in the same run. Writes the server section of
// docs/benchmarks.md (between its markers) and prints it.
//   --before-cli PATH   also run every scenario against another server build (e.g. the code before
//                       a change, built in a git worktree), so before and after come from one run
//   --only a,b          run only these scenarios
//   --no-write          print, do not touch docs/benchmarks.md
//   --cpu-prof DIR      write a V8 CPU profile of each server process into DIR (where the time goes)
//   --agents N          simulated agents for the fan-out scenario (default 19,000)
//   --devices N         devices seeded for the REST and dashboard scenarios (default 50,000; events: 20 per device)
// The dashboard scenario (every request the dashboard's views make) writes its own section of
// docs/benchmarks.md, between the dashboard-bench markers.
//   --seeded DIR        dashboard scenario: copy DIR/edict.db (seeded the same way before) instead of seeding
//   --server-log        print each server's output when a scenario fails
//   --nodes N           instead: N nodes on one PostgreSQL (scripts/bench-cluster.ts; with --agents N)
// Environment, for diagnosis: EDICT_SIM_CPU_PROF=DIR profiles the simulator's workers; with --nodes,
// EDICT_BENCH_CPU_PROF=DIR profiles each node.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fork } from 'node:child_process';
import { measureRawInsertRate, seedFleet } from '../server/src/store/index.js';
import { Fleet } from '../test/sim/fleet.js';
import { DASH_END, DASH_START, dashboardScenario, renderDashboard, type DashboardFigures } from './bench/dashboard.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PROBE = path.join(ROOT, 'dist', 'scripts', 'bench', 'loop-probe.js');
const OUR_CLI = path.join(ROOT, 'dist', 'server', 'src', 'cli.js');
const DOC = path.join(ROOT, 'docs', 'benchmarks.md');
const START = '<!-- server-bench:start -->';
const END = '<!-- server-bench:end -->';

const args = process.argv.slice(2);
// `--nodes N`: several nodes on PostgreSQL instead (scripts/bench-cluster.ts, its own section).
if (args.includes('--nodes')) {
  const { runClusterBench } = await import('./bench-cluster.js');
  await runClusterBench(args);
  process.exit(0);
}
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const beforeCli = opt('--before-cli');
const only = opt('--only')?.split(',');
const write = !args.includes('--no-write');
const profDir = opt('--cpu-prof');
const fanoutAgents = Number(opt('--agents') ?? 19_000);
const restDevices = Number(opt('--devices') ?? 50_000);
const FLOOD = path.join(ROOT, 'dist', 'scripts', 'bench', 'flood.js');

interface Server {
  child: ChildProcess;
  output(): string;
  url: string;
  dataDir: string;
  admin: string;
  probe(reset?: boolean): Promise<{ maxMs: number; p99Ms: number; meanMs: number; rssMb: number; rssPeakMb: number }>;
  stop(): Promise<void>;
}

async function startServer(cli: string, seeded?: string): Promise<Server> {
  const dataDir = seeded ?? mkdtempSync(path.join(os.tmpdir(), 'edict-bench-'));
  const child = spawn(process.execPath, [...(profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), '--import', PROBE, cli, '--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--log-level', 'error'], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c));
  child.stderr!.on('data', (c: Buffer) => (out += c));
  const url = await until(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 30_000, () => out);
  let nextId = 1;
  const probe = (reset = false) =>
    new Promise<any>((resolve) => {
      const id = nextId++;
      const on = (m: any) => {
        if (m?.probeReply === id) {
          child.off('message', on);
          resolve(m);
        }
      };
      child.on('message', on);
      child.send({ probe: reset ? 'reset' : 'read', id });
    });
  if (args.includes('--server-log')) child.once('exit', (code, signal) => code !== 0 && signal !== 'SIGTERM' && process.stderr.write(`[server ${url} exited ${code ?? signal}]\n${out.slice(-4000)}\n`));
  return {
    child,
    output: () => out,
    url,
    dataDir,
    admin: readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim(),
    probe,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          rmSync(dataDir, { recursive: true, force: true });
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

async function until<T>(f: () => T | undefined | null | Promise<T | undefined | null>, ms: number, what: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what().slice(-500)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function rest(s: Server, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(`${s.url}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${s.admin}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

async function enrollToken(s: Server, maxUses: number): Promise<string> {
  return (await rest(s, 'POST', '/enrollment-tokens', { label: 'bench', maxUses })).token;
}

async function countEvents(s: Server, deviceId: string): Promise<number> {
  let n = 0;
  let after: string | undefined;
  for (;;) {
    const r = await rest(s, 'GET', `/detections?deviceId=${deviceId}&limit=1000${after ? `&after=${after}` : ''}`);
    n += r.items.length;
    if (!r.next) return n;
    after = r.next;
  }
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

type Figures = Record<string, number | string>;

/** Scenario 1: 100 agents, each with one 100-event report in flight, for a while. */
async function ingest(s: Server): Promise<Figures> {
  const fleet = await Fleet.start({ url: s.url, enrollToken: await enrollToken(s, 1000), agents: 100, processes: 2 });
  try {
    const c = await fleet.connect();
    if (c.failed) throw new Error(`ingest: ${c.failed} agents failed to connect: ${c.errors.join('; ')}`);
    await s.probe(true);
    const seconds = 30;
    const r = await fleet.ingest(seconds, { count: 100, kind: 'running' });
    const loop = await s.probe();
    const series = r.perSecond.slice(1, -1).map(([, n]) => n); // whole seconds only
    const q = Math.max(1, Math.floor(series.length / 4));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    return {
      eventsPerSec: Math.round(r.events / seconds),
      firstQuarterPerSec: Math.round(avg(series.slice(0, q))),
      lastQuarterPerSec: Math.round(avg(series.slice(-q))),
      ackP50Ms: Math.round(pct(r.latencies, 50)),
      ackP99Ms: Math.round(pct(r.latencies, 99)),
      loopMaxMs: loop.maxMs,
      errors: r.errors.length ? r.errors.slice(0, 2).join('; ') : 'none',
      eventsTotal: r.events,
    };
  } finally {
    await fleet.close();
  }
}

/** Scenarios 2 and 3: one device's history grows to 10,000 events; report latency and loop delay. */
async function history(s: Server): Promise<Figures> {
  const fleet = await Fleet.start({ url: s.url, enrollToken: await enrollToken(s, 10), agents: 1, processes: 1 });
  try {
    const c = await fleet.connect();
    if (c.failed) throw new Error(`history: agent failed to connect: ${c.errors.join('; ')}`);
    const f: Figures = {};
    let total = 0;
    const grow = async (to: number) => {
      while (total < to) total += (await fleet.report(0, { count: 250, kind: 'installed' })).accepted;
    };
    await grow(500);
    f.report250At500Ms = Math.round((await fleet.report(0, { count: 250, kind: 'installed' })).ms);
    total += 250;
    await grow(10_000);
    f.report250At10kMs = Math.round((await fleet.report(0, { count: 250, kind: 'installed' })).ms);
    total += 250;
    await s.probe(true);
    const big = await fleet.report(0, { count: 500, kind: 'installed', findings: 'same' });
    const loop = await s.probe();
    f.report500OneFindingMs = Math.round(big.ms);
    f.report500LoopMaxMs = loop.maxMs;
    f.historyEvents = total + big.accepted;
    return f;
  } finally {
    await fleet.close();
  }
}

/** Scenario 4: a peer that ignores the server's close keeps sending; nothing after the close counts. */
async function afterClose(s: Server): Promise<Figures> {
  const fleet = await Fleet.start({ url: s.url, enrollToken: await enrollToken(s, 10), agents: 1, processes: 1 });
  try {
    const c = await fleet.connect();
    if (c.failed) throw new Error(`after-close: agent failed to connect: ${c.errors.join('; ')}`);
    const deviceId = (await fleet.state(0)).deviceId;
    const before = await countEvents(s, deviceId);
    const bad = Array.from({ length: 25 }, () => '{"type":"nonsense"}');
    const { makeEvents } = await import('../test/sim/sim-agent.js');
    const { randomUUID } = await import('node:crypto');
    const later = Array.from({ length: 20 }, () => JSON.stringify({ type: 'report', batchId: randomUUID(), events: makeEvents({ count: 5 }) }));
    await fleet.raw(0, [...bad, ...later]);
    await until(async () => (await fleet.state(0)).closed, 10_000, () => 'close').catch(() => undefined);
    // Give the server time to (wrongly) process anything it already read.
    await new Promise((r) => setTimeout(r, 2000));
    const committed = (await countEvents(s, deviceId)) - before;
    return { reportsSentAfterClose: 20, eventsCommittedAfterClose: committed, closeCode: (await fleet.state(0)).closed?.code ?? 'open' };
  } finally {
    await fleet.close();
  }
}

/** Times one REST call (ms), failing on a non-2xx answer. */
async function timed(s: Server, p: string): Promise<{ ms: number; body: any }> {
  const t0 = performance.now();
  const res = await fetch(`${s.url}/api/v1${p}`, { headers: { authorization: `Bearer ${s.admin}` } });
  const body = await res.json();
  if (!res.ok) throw new Error(`${p}: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
  return { ms: performance.now() - t0, body };
}

/** Issue 9: publish to every connected agent; connecting them; memory and the loop meanwhile. */
async function fanout(s: Server): Promise<Figures> {
  // The simulator's workers run at nice 10: on 2 cores shared with them, the server's event-loop
  // delay would otherwise measure the OS handing the CPU to the load generator (its CPU profile
  // showed 350 ms gaps holding 70 ms of samples).
  const fleet = await Fleet.start({ url: s.url, enrollToken: await enrollToken(s, fanoutAgents), agents: fanoutAgents, concurrency: 100, nice: 10 });
  try {
    const e = await fleet.enroll();
    if (e.failed) throw new Error(`fan-out: ${e.failed} enrollments failed: ${e.errors.join('; ')}`);
    await s.probe(true);
    const c = await fleet.connect();
    const connectLoop = await s.probe(true);
    if (c.failed) throw new Error(`fan-out: ${c.failed} agents failed to connect: ${c.errors.join('; ')}`);
    // The draft is saved before the measured window: the window is the publish and its fan-out.
    // (In one profiled run the first draft's save held the loop ~0.5 s, validation on its stack.)
    const draft = await rest(s, 'POST', '/policies', { name: 'Claude Code ban', tools: ['claude-code'], reason: { en: 'Covert collection' }, replacements: [{ toolId: 'qoder' }], stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } } });
    // Steady state: connected and idle for a few seconds (presence flushed).
    await new Promise((r) => setTimeout(r, 6000));
    const steady = await s.probe(true);
    // The API meanwhile: /health every 50 ms until every agent verified the policy.
    let watching = true;
    const healthMs: number[] = [];
    const watcher = (async () => {
      while (watching) {
        healthMs.push((await timed(s, '/health')).ms);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const t0 = Date.now();
    const p0 = performance.now();
    const published = await rest(s, 'POST', `/policies/${draft.id}/publish`);
    const publishMs = performance.now() - p0;
    const v = await fleet.awaitPolicy(published.rolloutPart, 120_000);
    watching = false;
    await watcher;
    const during = await s.probe();
    // What the admin sees: the rollout endpoint counts a device once its confirmation (policy-applied)
    // has been handled, which follows the agent's verification by a message.
    let rollout = await timed(s, `/policies/${draft.id}/rollout`);
    const readUntil = Date.now() + 30_000;
    while (rollout.body.pending > 0 && Date.now() < readUntil) {
      await new Promise((r) => setTimeout(r, 100));
      rollout = await timed(s, `/policies/${draft.id}/rollout`);
    }
    const rolloutAllMs = Date.now() - t0;
    return {
      agents: fanoutAgents,
      connectMs: Math.round(c.ms),
      connectLoopMaxMs: connectLoop.maxMs,
      publishAnsweredMs: Math.round(publishMs),
      allVerifiedMs: v.verified === v.live ? v.lastVerifiedAt - t0 : `only ${v.verified} of ${v.live}`,
      fanoutLoopMaxMs: during.maxMs,
      healthMaxMs: Math.round(Math.max(...healthMs)),
      steadyRssMb: steady.rssMb,
      fanoutPeakRssMb: during.rssPeakMb,
      rolloutDelivered: rollout.body.delivered,
      rolloutAllDeliveredMs: rollout.body.pending === 0 ? rolloutAllMs : 'not within 30 s of the verification',
      rolloutPending: rollout.body.pending,
    };
  } finally {
    await fleet.close();
  }
}

/** Issue 9: REST reads at 50,000 devices and 1,000,000 detection events (seeded directly). */
async function restReads(_s: Server, cli: string): Promise<Figures> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'edict-bench-rest-'));
  const t0 = performance.now();
  seedFleet(path.join(dataDir, 'edict.db'), { devices: restDevices, events: restDevices * 20, violatingShare: 0.3 });
  const seedMs = performance.now() - t0;
  const s = await startServer(cli, dataDir);
  try {
    const pol = await rest(s, 'POST', '/policies', { name: 'Claude Code ban', tools: ['claude-code'], reason: { en: 'r' }, stages: { enforce: { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' } } });
    const published = performance.now();
    await rest(s, 'POST', `/policies/${pol.id}/publish`);
    const deep = async (p: string, pages: number) => {
      let cursor: string | null = null;
      const ms: number[] = [];
      for (let i = 0; i < pages; i++) {
        const r = await timed(s, `${p}${p.includes('?') ? '&' : '?'}limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        ms.push(r.ms);
        cursor = r.body.next;
        if (!cursor) break;
      }
      return ms;
    };
    // One caller at a time, as an admin's screen or script reads (concurrent calls would measure queueing on the one thread).
    const each = async (n: number, path: (i: number) => string) => {
      const ms: number[] = [];
      for (let i = 0; i < n; i++) ms.push((await timed(s, path(i))).ms);
      return ms;
    };
    const measure = async (): Promise<Record<string, number[]>> => ({
      'devices (paging)': await deep('/devices', 60),
      'devices ?search=': await each(20, (i) => `/devices?search=host-0${i}&limit=100`),
      'compliance (paging)': await deep('/compliance', 60),
      'compliance ?state=violating': await deep('/compliance?state=violating', 30),
      'compliance as of a past date': await deep(`/compliance?asOf=${new Date(Date.now() - 7 * 86400_000).toISOString()}`, 30),
      'detections (paging)': await deep('/detections', 60),
      'detections of one device': await each(20, (i) => `/detections?deviceId=dev_seed${String(i * 997).padStart(7, '0')}`),
      violations: await deep('/violations', 30),
      summary: await each(10, () => '/summary'),
      'policy rollout': await each(10, () => `/policies/${pol.id}/rollout`),
      'device detail': await each(20, (i) => `/devices/dev_seed${String(i * 1231).padStart(7, '0')}`),
    });
    // First while the publish's recompute of the whole fleet runs in the background, then after it.
    const during = await measure();
    for (;;) {
      if (!(await timed(s, '/health')).body.detail.compliance.recomputing) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const recomputeMs = performance.now() - published;
    const steady = await measure();
    const f: Figures = { devices: restDevices, events: restDevices * 20, seedSeconds: Math.round(seedMs / 1000), recomputeSeconds: Math.round(recomputeMs / 100) / 10 };
    let worst = 0;
    let worstDuring = 0;
    for (const [k, ms] of Object.entries(steady)) {
      const p99 = Math.round(pct(ms, 99));
      f[`p99 ${k}`] = p99;
      worst = Math.max(worst, p99);
    }
    for (const ms of Object.values(during)) worstDuring = Math.max(worstDuring, Math.round(pct(ms, 99)));
    f.worstP99Ms = worst;
    f.worstP99DuringRecomputeMs = worstDuring;
    return f;
  } finally {
    await s.stop();
  }
}

/** Issue 9: ~20,000 idle and slow-header connections from four addresses; agents and the API meanwhile. */
async function flood(s: Server): Promise<Figures> {
  const port = new URL(s.url).port;
  const floods = [
    ['127.0.0.20', 5000, 'idle'],
    ['127.0.0.21', 5000, 'idle'],
    ['127.0.0.22', 5000, 'slow'],
    ['127.0.0.23', 4976, 'slow'],
  ].map(([addr, n, mode]) => fork(FLOOD, ['127.0.0.1', port, String(addr), String(n), String(mode)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const ask = (c: ReturnType<typeof fork>) => new Promise<any>((resolve) => (c.once('message', resolve), c.send('report')));
  try {
    await new Promise((r) => setTimeout(r, 3000)); // the flood is under way
    const apiMs: number[] = [];
    for (let i = 0; i < 20; i++) apiMs.push((await timed(s, '/health')).ms);
    const fleet = await Fleet.start({ url: s.url, enrollToken: await enrollToken(s, 50), agents: 50, processes: 1 });
    let agents: { connected: number; failed: number; errors: string[]; ms: number };
    try {
      agents = await fleet.connect();
    } finally {
      await fleet.close();
    }
    const reports = await Promise.all(floods.map(ask));
    const detail = (await timed(s, '/health')).body.detail;
    // After the timeout every flood connection is gone.
    await new Promise((r) => setTimeout(r, 12_000));
    const later = await Promise.all(floods.map(ask));
    const laterDetail = (await timed(s, '/health')).body.detail;
    return {
      floodConnections: 19_976,
      // The server's own count of connections without a complete request (GET /health detail).
      heldByServer: detail.connections.pending,
      heldByServerAfterTimeout: laterDetail.connections.pending,
      clientsConnectedAndOpen: reports.reduce((n, r) => n + r.holding, 0),
      clientsStillInHandshake: reports.reduce((n, r) => n + r.connecting, 0),
      agentsConnected: `${agents.connected} of 50 (${Math.round(agents.ms)} ms)`,
      apiP99Ms: Math.round(pct(apiMs, 99)),
      refused: detail.caps.pendingPerSourceRefused,
      evicted: detail.caps.pendingEvicted,
      timedOut: (await timed(s, '/health')).body.detail.caps.pendingTimedOut,
      stillHeldAfterTimeout: later.reduce((n, r) => n + r.holding, 0),
      stillInHandshakeAfterTimeout: later.reduce((n, r) => n + r.connecting, 0),
    };
  } finally {
    for (const c of floods) c.kill();
  }
}

/** The dashboard's requests (scripts/bench/dashboard.ts); its figures get their own section of the doc. */
let dashboardFigures: DashboardFigures | undefined;
async function dashboard(_s: Server, cli: string): Promise<Figures> {
  dashboardFigures = await dashboardScenario(startServer, cli, restDevices, opt('--seeded'));
  const worst = Math.max(...dashboardFigures.rows.map((r) => r.max));
  return { requests: dashboardFigures.rows.length, worstMs: worst };
}

const SCENARIOS: Record<string, (s: Server, cli: string) => Promise<Figures>> = { ingest, history, 'after-close': afterClose, fanout, rest: restReads, flood, dashboard };
/** Scenarios also run against --before-cli (the others need protocol 2, paging or caps). */
const BEFORE_SCENARIOS = ['ingest', 'history', 'after-close'];

async function runAll(label: string, cli: string): Promise<Record<string, Figures>> {
  const results: Record<string, Figures> = {};
  const scratch = mkdtempSync(path.join(os.tmpdir(), 'edict-raw-'));
  try {
    results.raw = { rowsPerSec: Math.round(measureRawInsertRate(path.join(scratch, 'raw.db'))) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  process.stderr.write(`[${label}] raw SQLite insert rate ${results.raw.rowsPerSec}/s\n`);
  // The build before protocol 2 is spoken to in protocol 1 (test/sim/sim-agent.ts).
  if (label === 'before') process.env.EDICT_SIM_PROTOCOL = '1';
  else delete process.env.EDICT_SIM_PROTOCOL;
  for (const [name, fn] of Object.entries(SCENARIOS)) {
    if (only && !only.includes(name)) continue;
    // The build before the server core speaks protocol 1 and has no paging or caps: the rollout
    // scenarios are compared with the issue's own figures instead.
    if (label === 'before' && !BEFORE_SCENARIOS.includes(name)) continue;
    const s = await startServer(cli);
    try {
      results[name] = await fn(s, cli);
      process.stderr.write(`[${label}] ${name}: ${JSON.stringify(results[name])}\n`);
    } catch (err) {
      results[name] = { error: (err as Error).message };
      process.stderr.write(`[${label}] ${name} failed: ${(err as Error).message}\n`);
    } finally {
      await s.stop();
    }
  }
  return results;
}

function cell(r: Record<string, Figures> | undefined, scen: string, key: string, unit = ''): string {
  const v = r?.[scen]?.[key];
  if (v === undefined) return r?.[scen]?.error ? `failed: ${String(r[scen].error).slice(0, 60)}` : '—';
  return `${typeof v === 'number' ? v.toLocaleString('en-US') : v}${unit}`;
}

function render(after: Record<string, Figures>, before?: Record<string, Figures>): string {
  const cpu = os.cpus();
  const ratio = (r: Record<string, Figures> | undefined) =>
    r?.ingest?.eventsPerSec !== undefined ? `${(Number(r.ingest.eventsPerSec) / Number(r.raw.rowsPerSec)).toFixed(2)}×` : '—';
  const ingestGoal = Number(after.ingest?.eventsPerSec) >= 20_000 || Number(after.ingest?.eventsPerSec) >= 0.6 * Number(after.raw.rowsPerSec);
  const rows: [string, string, string, string, boolean | undefined][] = [
    ['raw SQLite insert rate, same rows and indexes, 100-row WAL+FULL transactions (physical floor)', cell(before, 'raw', 'rowsPerSec', '/s'), cell(after, 'raw', 'rowsPerSec', '/s'), '—', undefined],
    ['durable ingest, 100 agents × one 100-event report in flight, 30 s: events acked/s', cell(before, 'ingest', 'eventsPerSec', '/s'), cell(after, 'ingest', 'eventsPerSec', '/s'), '≥ 20,000/s or ≥ 0.6× raw', ingestGoal],
    ['… as a share of the raw rate', ratio(before), ratio(after), '≥ 0.6×', Number(after.ingest?.eventsPerSec) / Number(after.raw.rowsPerSec) >= 0.6],
    ['… first quarter → last quarter of the run (history grows)', `${cell(before, 'ingest', 'firstQuarterPerSec')} → ${cell(before, 'ingest', 'lastQuarterPerSec')}`, `${cell(after, 'ingest', 'firstQuarterPerSec')} → ${cell(after, 'ingest', 'lastQuarterPerSec')}`, 'flat', Number(after.ingest?.lastQuarterPerSec) >= 0.8 * Number(after.ingest?.firstQuarterPerSec)],
    ['… ack latency p50 / p99', `${cell(before, 'ingest', 'ackP50Ms')} / ${cell(before, 'ingest', 'ackP99Ms', ' ms')}`, `${cell(after, 'ingest', 'ackP50Ms')} / ${cell(after, 'ingest', 'ackP99Ms', ' ms')}`, '—', undefined],
    ['… event-loop delay max during ingest', cell(before, 'ingest', 'loopMaxMs', ' ms'), cell(after, 'ingest', 'loopMaxMs', ' ms'), '—', undefined],
    ['one 500-event report (one finding), device with 10,000 events of history: event-loop delay max', cell(before, 'history', 'report500LoopMaxMs', ' ms'), cell(after, 'history', 'report500LoopMaxMs', ' ms'), '≤ 20 ms', Number(after.history?.report500LoopMaxMs) <= 20],
    ['… that report acked after', cell(before, 'history', 'report500OneFindingMs', ' ms'), cell(after, 'history', 'report500OneFindingMs', ' ms'), '—', undefined],
    ['250-event report at 500 → 10,000 events of device history', `${cell(before, 'history', 'report250At500Ms')} → ${cell(before, 'history', 'report250At10kMs', ' ms')}`, `${cell(after, 'history', 'report250At500Ms')} → ${cell(after, 'history', 'report250At10kMs', ' ms')}`, 'independent of history', Number(after.history?.report250At10kMs) <= Math.max(2 * Number(after.history?.report250At500Ms), Number(after.history?.report250At500Ms) + 20)],
    ['reports sent after the server closed the connection (bad-message cap): events committed', `${cell(before, 'after-close', 'eventsCommittedAfterClose')} of 100`, `${cell(after, 'after-close', 'eventsCommittedAfterClose')} of 100`, '0', after['after-close']?.eventsCommittedAfterClose === 0],
  ];
  // Rollouts at scale (issue 9): the *before* figures are the issue's, measured on this machine.
  const f = after.fanout;
  const r = after.rest;
  const fl = after.flood;
  const restRows = r && !r.error ? Object.keys(r).filter((k) => k.startsWith('p99 ')).map((k) => `${k.slice(4)} ${r[k]} ms`).join(', ') : cell(after, 'rest', 'worstP99Ms');
  const scale: [string, string, string, string, boolean | undefined][] = [
    [`publish → every connected agent verified the new policy (${cell(after, 'fanout', 'agents')} agents, one node)`, '16.6 s (tmpfs) / 24.8 s (disk) at 19,900', cell(after, 'fanout', 'allVerifiedMs', ' ms'), '≤ 5 s at 19,000', typeof f?.allVerifiedMs === 'number' && f.allVerifiedMs <= 5000],
    ['… the publish request answered after', 'after the whole fan-out', cell(after, 'fanout', 'publishAnsweredMs', ' ms'), 'at once', typeof f?.publishAnsweredMs === 'number' && f.publishAnsweredMs <= 1000],
    ['… event-loop delay max during the fan-out', 'frozen for the whole fan-out', cell(after, 'fanout', 'fanoutLoopMaxMs', ' ms'), '≤ 100 ms', typeof f?.fanoutLoopMaxMs === 'number' && f.fanoutLoopMaxMs <= 100],
    ['… GET /api/v1/health slowest answer during the fan-out', '24.8 s', cell(after, 'fanout', 'healthMaxMs', ' ms'), '—', undefined],
    ['… server RSS: steady → peak during the fan-out', 'peak ~1.1 GB', `${cell(after, 'fanout', 'steadyRssMb')} → ${cell(after, 'fanout', 'fanoutPeakRssMb', ' MB')}`, '≤ 2× steady', typeof f?.fanoutPeakRssMb === 'number' && f.fanoutPeakRssMb <= 2 * Number(f.steadyRssMb)],
    ['… rollout progress (GET …/rollout) shows delivered = all (every confirmation handled) after', '—', `${cell(after, 'fanout', 'rolloutAllDeliveredMs', typeof f?.rolloutAllDeliveredMs === 'number' ? ' ms' : '')}: ${cell(after, 'fanout', 'rolloutDelivered')} delivered / ${cell(after, 'fanout', 'rolloutPending')} pending`, 'delivered = all', f?.rolloutPending === 0],
    ['connecting every agent (enrolled; hello, policy parts, presence)', '66 s at 19,900', cell(after, 'fanout', 'connectMs', ' ms'), '≤ 20 s', typeof f?.connectMs === 'number' && f.connectMs <= 20_000],
    ['… event-loop delay max while they connect', '—', cell(after, 'fanout', 'connectLoopMaxMs', ' ms'), '—', undefined],
    [`REST at ${cell(after, 'rest', 'devices')} devices / ${cell(after, 'rest', 'events')} detection events (seeded directly in ${cell(after, 'rest', 'seedSeconds', ' s')}), pages of 100: p99 of each read`, '/compliance 616 ms unpaged at 10k devices; paging 60k violations 11.4 s', restRows, 'every list paged; p99 ≤ 200 ms', typeof r?.worstP99Ms === 'number' && r.worstP99Ms <= 200],
    ['… the same reads while a ban just published is recomputed for the whole fleet in the background (worst p99); the recompute took', '—', `${cell(after, 'rest', 'worstP99DuringRecomputeMs', ' ms')}; ${cell(after, 'rest', 'recomputeSeconds', ' s')}`, '—', undefined],
    ['19,976 idle and slow-header connections from 4 addresses: connections the server held without a complete request (its own count, /health)', 'all; every new connection ECONNRESET', cell(after, 'flood', 'heldByServer'), 'capped', fl?.heldByServer !== undefined && Number(fl.heldByServer) <= 2_000],
    ['… meanwhile: real agents connected; API p99', 'none', `${cell(after, 'flood', 'agentsConnected')}; ${cell(after, 'flood', 'apiP99Ms', ' ms')}`, 'reachable', typeof fl?.agentsConnected === 'string' && fl.agentsConnected.startsWith('50 of 50')],
    ['… refused per source / evicted / timed out (counters in /health)', 'nothing logged', `${cell(after, 'flood', 'refused')} / ${cell(after, 'flood', 'evicted')} / ${cell(after, 'flood', 'timedOut')}`, 'counted and logged', undefined],
    ['… held by the server after the timeouts', 'never time out', cell(after, 'flood', 'heldByServerAfterTimeout'), '0', fl?.heldByServerAfterTimeout === 0],
    ['… the flooding clients\' own view: sockets they believe open / still in the TCP handshake, during → after the timeouts (the server counts none of them after the timeouts: they are handshakes the kernel completed while the accept queue was full, which never reached the server)', '—', `${cell(after, 'flood', 'clientsConnectedAndOpen')} / ${cell(after, 'flood', 'clientsStillInHandshake')} → ${cell(after, 'flood', 'stillHeldAfterTimeout')} / ${cell(after, 'flood', 'stillInHandshakeAfterTimeout')}`, '—', undefined],
  ];
  const ran = (k: string) => after[k] !== undefined;
  const lines = [
    START,
    '## Server core (`npm run bench:server`)',
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpu[0]?.model.trim()} (${cpu.length} cores), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}; data folders under ${os.tmpdir()} on the machine's disk. The simulator (test/sim: real enrollment, real protocol, agents spread over worker processes and 127.0.0.x source addresses) and the server share the 2 cores, so every figure includes the load generator.`,
    before ? 'The *before* column is the same scenarios against the server built from the code before the server-core change (a git worktree of that commit), in the same run.' : '',
    '',
    `| measure | ${before ? 'before | ' : ''}now | goal | met |`,
    `| --- | ${before ? '--- | ' : ''}--- | --- | --- |`,
    ...rows.map(([m, b, a, g, ok]) => `| ${m} | ${before ? `${b} | ` : ''}${a} | ${g} | ${ok === undefined ? '' : ok ? 'yes' : '**no**'} |`),
    '',
    ...(ran('fanout') || ran('rest') || ran('flood')
      ? [
          '### Rollouts at scale',
          '',
          'The *before* column holds the figures the rollouts issue measured on this machine before the change (that build speaks protocol 1 and has no paging or caps, so it cannot run these scenarios).',
          '',
          '| measure | before (issue) | now | goal | met |',
          '| --- | --- | --- | --- | --- |',
          ...scale.map(([m, b, a, g, ok]) => `| ${m} | ${b} | ${a} | ${g} | ${ok === undefined ? '' : ok ? 'yes' : '**no**'} |`),
          '',
        ]
      : []),
    `Load average at the end of the run: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}.`,
    '',
    END,
  ];
  return lines.filter((l, i, a) => !(l === '' && a[i - 1] === '')).join('\n');
}

/** Replaces the section between `start` and `end` in docs/benchmarks.md (appends it the first time). */
function writeSection(section: string, start: string, end: string): void {
  const doc = readFileSync(DOC, 'utf8');
  const next = doc.includes(start) ? doc.slice(0, doc.indexOf(start)) + section + doc.slice(doc.indexOf(end) + end.length) : `${doc.trimEnd()}\n\n${section}\n`;
  writeFileSync(DOC, next);
}

const before = beforeCli ? await runAll('before', beforeCli) : undefined;
const after = await runAll('now', OUR_CLI);
const onlyDashboard = only?.length === 1 && only[0] === 'dashboard';
if (!onlyDashboard) {
  const section = render(after, before);
  process.stdout.write(section + '\n');
  if (write) writeSection(section, START, END);
}
if (dashboardFigures) {
  const cpu = os.cpus();
  const machine = `${cpu[0]?.model.trim()} (${cpu.length} cores), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  const section = renderDashboard(dashboardFigures, machine);
  process.stdout.write(section + '\n');
  if (write) writeSection(section, DASH_START, DASH_END);
}
