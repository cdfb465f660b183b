// `npm run bench`: the agent's cost and speed as shipped, side by side with the physical floor, in
// one run on this machine. A real server (dist/server) with the sample Claude Code ban; a real
// enrolled agent `node dist/agent/src/cli.js run` with its DEFAULT config (and the single-file
// executable dist/packages/edict-agent when it has been built); the floor (scripts/bench/floor.ts:
// list /proc and read only new pids, at the agent's default cadence). The machine is loaded with
// ~400 processes and 2 new ones a second. Two windows: a steady one (that load only) for CPU and
// memory, then a detection one where, at random moments, a probe starts — a renamed executable that
// only its content identifies as Claude Code — and each observer's detection delay is the time from
// the probe's spawn to its `present` event (the agent's observedAt, the moment the event went into
// the outbox) or to the floor's sighting. CPU (self + waited-for children, e.g. loginctl) and RSS
// come from /proc/<pid>/stat and /proc/<pid>/status. Results go to docs/benchmarks.md between
// <!-- agent-bench:start --> and <!-- agent-bench:end --> (everything outside is kept).
// Knobs: EDICT_BENCH_PROBES (default 220), EDICT_BENCH_STEADY_S (default 120); for diagnosis only,
// EDICT_BENCH_NODE_ARGS (extra node options for the agent) and EDICT_BENCH_DIAG (a folder that
// receives the agent's log and /proc smaps).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEFAULT_INVENTORY_INTERVAL_MS, DEFAULT_PROCESS_INTERVAL_MS } from '../agent/src/constants.js';
import { projectRoot } from './project-root.js';
import { benchInventory, EXTENSIONS, NPM_PACKAGES, USERS } from './bench/inventory.js';
import { cpuOf, machine, median, memOf, percentile, processCount, type CpuSample } from './bench/proc-stats.js';
import { SAMPLE_POLICY } from './sample-policy.js';

const ROOT = projectRoot();
const AGENT_CLI = path.join(ROOT, 'dist/agent/src/cli.js');
const SERVER_CLI = path.join(ROOT, 'dist/server/src/cli.js');
const FLOOR = path.join(ROOT, 'dist/scripts/bench/floor.js');
const MODULE_COST = path.join(ROOT, 'dist/scripts/bench/module-cost.js');
const SINGLE_FILE = path.join(ROOT, 'dist/packages/edict-agent');
const DOC = path.join(ROOT, 'docs/benchmarks.md');
const START_MARK = '<!-- agent-bench:start -->';
const END_MARK = '<!-- agent-bench:end -->';

/** The issue's machine shape: about 400 processes, 2 new ones a second. */
const TARGET_PROCS = 400;
const CHURN_PER_SEC = 2;
const CHURN_LIFE_S = 5;
/** Steady window: the load above only. */
const STEADY_MS = Number(process.env.EDICT_BENCH_STEADY_S ?? 120) * 1000;
/** Probe starts measured (the goal asks for at least 200), at uniformly random gaps. */
const PROBES = Number(process.env.EDICT_BENCH_PROBES ?? 220);
const PROBE_GAP_MS: [number, number] = [200, 1400];
/** How long each probe runs before it is killed (long enough for any observer to see it). */
const PROBE_LIFE_MS = 3000;
/** After start-up and before the windows: the first scans settle. */
const WARMUP_MS = 15_000;

const GOALS = { cpuPct: 0.5, p99Ms: 1000, steadyMb: 60, peakMb: 80 };

interface Observer {
  key: string;
  label: string;
  /** argv prefix (program + leading args) that runs the agent CLI. */
  argv?: string[];
  stateDir?: string;
  child?: ChildProcess;
  output: string;
  startup: { coldCpuS?: number; warmCpuS?: number; coldReadyMs?: number; warmReadyMs?: number; coldFp?: number; warmFp?: number; refingerprinted?: number };
  peakMb: number;
  windows: Partial<Record<'steady' | 'detect', Window>>;
  notBuilt?: boolean;
}

interface Window {
  cpu0: CpuSample;
  cpu1: CpuSample;
  t0: number;
  t1: number;
  rss: number[];
  anon: number[];
  file: number[];
}

const kids: ChildProcess[] = [];
const work = mkdtempSync(path.join(os.tmpdir(), 'edict-bench-'));
chmodSync(work, 0o755);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(s: string): void {
  process.stderr.write(`[bench] ${s}\n`);
}

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

function exited(c: ChildProcess): Promise<void> {
  return new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve() : c.once('exit', () => resolve())));
}

async function stop(c: ChildProcess | undefined): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
  c.kill('SIGTERM');
  await exited(c);
  clearTimeout(t);
}

/** A renamed copy of /bin/sleep with Claude Code's content markers appended: only content identity finds it. */
function makeProbe(): string {
  const exe = path.join(work, 'probe-helper');
  copyFileSync('/bin/sleep', exe);
  appendFileSync(exe, Buffer.alloc(128 * 1024));
  appendFileSync(exe, Buffer.from('\0@anthropic-ai/claude-code\0CLAUDE_CODE_ENTRYPOINT\0CLAUDE_CODE_EXECPATH\0'));
  chmodSync(exe, 0o755);
  return exe;
}

async function api(url: string, token: string, method: string, p: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${p}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function startServer(): Promise<{ url: string; token: string }> {
  const data = path.join(work, 'server');
  mkdirSync(data, { recursive: true });
  const child = spawn(process.execPath, [SERVER_CLI, '--port', '0', '--host', '127.0.0.1', '--data', data, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  kids.push(child);
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 'edict-server to listen', 30_000);
  const token = readFileSync(path.join(data, 'admin-token'), 'utf8').trim();
  const draft = await api(url, token, 'POST', '/policies', SAMPLE_POLICY);
  await api(url, token, 'POST', `/policies/${draft.id}/publish`);
  return { url, token };
}

async function runToEnd(argv: string[]): Promise<string> {
  const c = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  c.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await exited(c);
  if (c.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: ${out}`);
  return out;
}

function readStatus(o: Observer): { connection?: string; lastScanAt?: string | null } | undefined {
  try {
    return JSON.parse(readFileSync(path.join(o.stateDir!, 'status.json'), 'utf8'));
  } catch {
    return undefined; // not written yet, or being replaced
  }
}

/**
 * Drops an executable's pages from the page cache (GNU dd's nocache), as after a reboot: Node's
 * binary for the `node dist` agent, the single file for the other. A file that was just written
 * (`npm run package` made the single-file agent minutes ago) is wholly in the cache, and the kernel
 * then maps the cached pages around each page a process touches: a trivial script run as a fresh
 * single executable showed 51.6 MB resident, 36.6 MB once its file was dropped from the cache.
 * Pages that running processes map (this bench and the server run on Node's binary) are not
 * dropped; failure is harmless (the figure is then higher).
 */
function evictFromPageCache(file: string): void {
  spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { stdio: 'ignore' });
}

/** Starts the agent and waits until it is connected and has finished its first scan; returns start-up CPU and time. */
async function startAgent(o: Observer): Promise<{ cpuS: number; readyMs: number }> {
  evictFromPageCache(o.argv![0]);
  const t0 = Date.now();
  const extra = o.argv![0] === process.execPath && process.env.EDICT_BENCH_NODE_ARGS ? process.env.EDICT_BENCH_NODE_ARGS.split(' ') : [];
  const child = spawn(o.argv![0], [...extra, ...o.argv!.slice(1), '--state-dir', o.stateDir!, 'run'], { stdio: ['ignore', 'pipe', 'pipe'] });
  kids.push(child);
  o.child = child;
  child.stdout!.on('data', (b: Buffer) => (o.output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (o.output += b.toString()));
  const startedAt = new Date(t0).toISOString();
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`${o.label} exited: ${o.output.slice(-2000)}`);
    const s = readStatus(o);
    return s && s.connection === 'connected' && s.lastScanAt && s.lastScanAt >= startedAt ? s : undefined;
  }, `${o.label} to connect and finish its first scan`);
  const cpu = cpuOf(child.pid!)!;
  o.peakMb = Math.max(o.peakMb, memOf(child.pid!)?.peakMb ?? 0);
  return { cpuS: cpu.self + cpu.children, readyMs: Date.now() - t0 };
}

/** Every `present` event of a running probe the agent sent: pid → observedAt (ms). */
function agentSightings(o: Observer, probe: string): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const f of [path.join(o.stateDir!, 'sent.jsonl.1'), path.join(o.stateDir!, 'sent.jsonl')]) {
    if (!existsSync(f)) continue;
    for (const line of readFileSync(f, 'utf8').split('\n')) {
      if (!line.includes(probe)) continue;
      let entry: any;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      if (entry.message?.type !== 'report') continue;
      for (const e of entry.message.events) {
        const d = e.detection;
        if (e.type !== 'detection' || e.state !== 'present' || d?.kind !== 'running' || d.evidence?.path !== probe) continue;
        const list = out.get(d.evidence.pid) ?? [];
        list.push(Date.parse(e.observedAt));
        out.set(d.evidence.pid, list);
      }
    }
  }
  return out;
}

function floorSightings(o: Observer): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of o.output.matchAll(/^seen (\d+) (\d+)$/gm)) {
    const list = out.get(Number(m[1])) ?? [];
    list.push(Number(m[2]));
    out.set(Number(m[1]), list);
  }
  return out;
}

interface Delays {
  sorted: number[];
  missed: number;
}

function delays(probes: { pid: number; at: number }[], sightings: Map<number, number[]>): Delays {
  const sorted: number[] = [];
  let missed = 0;
  for (const p of probes) {
    // The first sighting after this spawn (a pid can come back later for another process).
    const t = (sightings.get(p.pid) ?? []).filter((x) => x >= p.at - 50).sort((a, b) => a - b)[0];
    if (t === undefined) missed++;
    else sorted.push(Math.max(0, t - p.at));
  }
  return { sorted: sorted.sort((a, b) => a - b), missed };
}

/** p99 counting a missed probe as infinitely late. */
function p(d: Delays, q: number): number {
  return percentile([...d.sorted, ...Array<number>(d.missed).fill(Infinity)], q);
}

/** Executables the agent fingerprinted (read whole, once per file version) between two instants, from its log. */
function fingerprinted(o: Observer, fromMs: number, toMs: number): { n: number; mb: number; ms: number; files: string[] } {
  const out = { n: 0, mb: 0, ms: 0, files: [] as string[] };
  for (const j of logLines(o, 'fingerprinted an executable')) {
    if (j.time < fromMs || j.time > toMs) continue;
    out.n++;
    out.mb += j.bytes / 2 ** 20;
    out.ms += j.ms;
    out.files.push(`${j.file}|${j.bytes}`);
  }
  return out;
}

/** The agent's JSON log lines with this message. */
function logLines(o: Observer, msg: string): any[] {
  const out: any[] = [];
  for (const line of o.output.split('\n')) {
    if (!line.includes(msg)) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      continue; // not a log line
    }
  }
  return out;
}

/** Detection events the agent queued between two instants (on this shared machine: other people's test runs of catalogued tools). */
function queuedEvents(o: Observer, fromMs: number, toMs: number): number {
  return logLines(o, 'queued detection events').reduce((n, j) => n + (j.time >= fromMs && j.time <= toMs ? j.events : 0), 0);
}

/** Inventory scans the agent logged (duration and CPU), from its own log lines. */
function inventoryScans(o: Observer): { ms: number; cpuMs: number }[] {
  const out: { ms: number; cpuMs: number }[] = [];
  for (const line of o.output.split('\n')) {
    if (!line.includes('"inventory scan finished"')) continue;
    try {
      const j = JSON.parse(line);
      out.push({ ms: j.durationMs, cpuMs: j.cpuMs });
    } catch {
      continue;
    }
  }
  return out;
}

async function measure(observers: Observer[], name: 'steady' | 'detect', body: () => Promise<void>): Promise<void> {
  for (const o of observers) o.windows[name] = { cpu0: cpuOf(o.child!.pid!)!, cpu1: cpuOf(o.child!.pid!)!, t0: Date.now(), t1: Date.now(), rss: [], anon: [], file: [] };
  const sampler = setInterval(() => {
    for (const o of observers) {
      const m = memOf(o.child!.pid!);
      if (!m) continue;
      o.windows[name]!.rss.push(m.rssMb);
      o.windows[name]!.anon.push(m.anonMb);
      o.windows[name]!.file.push(m.fileMb);
      o.peakMb = Math.max(o.peakMb, m.peakMb);
    }
  }, 1000);
  await body();
  clearInterval(sampler);
  for (const o of observers) {
    const w = o.windows[name]!;
    w.cpu1 = cpuOf(o.child!.pid!)!;
    w.t1 = Date.now();
  }
}

function windowFigures(w: Window) {
  const secs = (w.t1 - w.t0) / 1000;
  const self = ((w.cpu1.self - w.cpu0.self) / secs) * 100;
  const children = ((w.cpu1.children - w.cpu0.children) / secs) * 100;
  return { secs, self, children, cpu: self + children, steadyMb: median(w.rss), maxMb: Math.max(...w.rss), anonMb: median(w.anon), fileMb: median(w.file) };
}

/** Resident memory each dependency adds to a Node process with the agent's V8 options (median of 3, MB). */
async function moduleCosts(): Promise<{ name: string; mb: number }[]> {
  const stdoutOf = (args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const c = spawn(process.execPath, [MODULE_COST, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
      c.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`module-cost ${args.join(' ')} exited ${code}`))));
    });
  const rss = async (c: string) => {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) runs.push(Number((await stdoutOf([c])).trim()) / 1024);
    return median(runs);
  };
  const names = JSON.parse(await stdoutOf(['--list'])) as string[];
  const bare = await rss('bare Node');
  const out: { name: string; mb: number }[] = [{ name: 'bare Node (absolute)', mb: bare }];
  for (const n of names.filter((x) => x !== 'bare Node')) out.push({ name: n, mb: (await rss(n)) - bare });
  return out;
}

async function main(): Promise<void> {
  const date = new Date().toISOString().slice(0, 10);
  const machineLine = machine();
  log(`machine: ${machineLine}`);
  const probe = makeProbe();
  const churnExe = path.join(work, 'bench-churn');
  copyFileSync('/bin/sleep', churnExe);
  chmodSync(churnExe, 0o755);

  // Load: top the machine up to ~400 processes, then 2 new short-lived ones a second.
  for (let n = processCount(); n < TARGET_PROCS; n++) kids.push(spawn(churnExe, ['3600'], { stdio: 'ignore' }));
  const churn = setInterval(() => {
    for (let i = 0; i < CHURN_PER_SEC; i++) spawn(churnExe, [String(CHURN_LIFE_S)], { stdio: 'ignore' }).unref();
  }, 1000);

  const server = await startServer();
  log(`server at ${server.url} with the sample ban`);

  const blank = () => ({ output: '', startup: {}, peakMb: 0, windows: {} });
  const observers: Observer[] = [
    { key: 'node', label: 'agent `node dist/agent/src/cli.js run`', argv: [process.execPath, AGENT_CLI], ...blank() },
    { key: 'single', label: 'single-file agent `dist/packages/edict-agent run`', argv: [SINGLE_FILE], ...blank(), notBuilt: !existsSync(SINGLE_FILE) },
  ];
  const agents = observers.filter((o) => !o.notBuilt);
  for (const o of agents) {
    o.stateDir = path.join(work, `agent-${o.key}`);
    const { token } = await api(server.url, server.token, 'POST', '/enrollment-tokens', { label: `bench ${o.key}` });
    await runToEnd([...o.argv!, '--state-dir', o.stateDir, 'enroll', '--server', server.url, '--token', token]);
  }

  // Start-up: a first start (empty caches), then a restart (what a reboot or an upgrade costs).
  const warmStarts = new Map<Observer, number>();
  for (const o of agents) {
    const t0 = Date.now();
    const cold = await startAgent(o);
    Object.assign(o.startup, { coldCpuS: cold.cpuS, coldReadyMs: cold.readyMs });
    await stop(o.child);
    o.startup.coldFp = fingerprinted(o, t0, Date.now()).n;
    log(`${o.key}: first start ready in ${cold.readyMs} ms, ${cold.cpuS.toFixed(2)} s CPU, ${o.startup.coldFp} executables fingerprinted`);
    warmStarts.set(o, Date.now());
    const warm = await startAgent(o);
    Object.assign(o.startup, { warmCpuS: warm.cpuS, warmReadyMs: warm.readyMs });
    log(`${o.key}: restart ready in ${warm.readyMs} ms, ${warm.cpuS.toFixed(2)} s CPU`);
  }
  const floor: Observer = { key: 'floor', label: 'floor (new pids only)', ...blank() };
  floor.child = spawn(process.execPath, [FLOOR, String(DEFAULT_PROCESS_INTERVAL_MS), probe], { stdio: ['ignore', 'pipe', 'pipe'] });
  kids.push(floor.child);
  floor.child.stdout!.on('data', (b: Buffer) => (floor.output += b.toString()));
  floor.child.stderr!.on('data', (b: Buffer) => (floor.output += b.toString()));
  const measured = [...agents, floor];

  log(`warming up ${WARMUP_MS / 1000} s`);
  await sleep(WARMUP_MS);
  // After a restart only executables new since the first start need reading (none, on a quiet
  // machine): a file version read again would mean the persisted cache did not work.
  for (const o of agents) {
    const first = new Set(fingerprinted(o, 0, warmStarts.get(o)!).files);
    const after = fingerprinted(o, warmStarts.get(o)!, Date.now()).files;
    o.startup.warmFp = after.length;
    o.startup.refingerprinted = after.filter((f) => first.has(f)).length;
  }
  const procsAtStart = processCount();
  log(`steady window: ${STEADY_MS / 1000} s`);
  await measure(measured, 'steady', async () => void (await sleep(STEADY_MS)));

  log(`detection window: ${PROBES} probe starts at random moments`);
  const probes: { pid: number; at: number }[] = [];
  await measure(measured, 'detect', async () => {
    for (let i = 0; i < PROBES; i++) {
      await sleep(PROBE_GAP_MS[0] + Math.random() * (PROBE_GAP_MS[1] - PROBE_GAP_MS[0]));
      const at = Date.now();
      const c = spawn(probe, ['600'], { stdio: 'ignore' });
      c.unref();
      if (c.pid) probes.push({ pid: c.pid, at });
      setTimeout(() => c.kill('SIGKILL'), PROBE_LIFE_MS).unref();
    }
    await sleep(PROBE_LIFE_MS + 2000);
  });
  clearInterval(churn);
  const procsAtEnd = processCount();
  const loadEnd = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  // Let the last reports reach the server (sent.jsonl is written when a report is sent).
  await sleep(3000);
  if (process.env.EDICT_BENCH_DIAG) {
    for (const o of measured) writeFileSync(path.join(process.env.EDICT_BENCH_DIAG, `${o.key}.smaps`), readFileSync(`/proc/${o.child!.pid}/smaps`, 'utf8'));
    for (const o of agents) writeFileSync(path.join(process.env.EDICT_BENCH_DIAG, `${o.key}.log`), o.output);
  }

  const results = measured.map((o) => {
    const steady = windowFigures(o.windows.steady!);
    const detect = windowFigures(o.windows.detect!);
    const d = delays(probes, o.key === 'floor' ? floorSightings(o) : agentSightings(o, probe));
    const w = o.windows.detect!;
    const sw = o.windows.steady!;
    return { o, steady, detect, d, fpSteady: fingerprinted(o, sw.t0, sw.t1), fpDetect: fingerprinted(o, w.t0, w.t1), foreign: queuedEvents(o, sw.t0, sw.t1) };
  });
  for (const o of measured) await stop(o.child);
  const inv = await benchInventory();
  const modules = await moduleCosts();

  const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
  const f2 = (n: number) => n.toFixed(2);
  const ms = (n: number) => (Number.isFinite(n) ? `${Math.round(n)} ms` : 'missed');
  const met = (ok: boolean) => (ok ? 'met' : '**not met**');
  type R = (typeof results)[number];
  const node = results.find((r) => r.o.key === 'node')!;
  const single = results.find((r) => r.o.key === 'single');
  const ordered: (R | undefined)[] = [node, single, results.find((r) => r.o.key === 'floor')];
  const rows: string[] = [];
  const row = (label: string, f: (x: R) => string, agentOnly = false) =>
    rows.push(`| ${label} | ${ordered.map((r) => (!r ? 'not built' : agentOnly && r.o.key === 'floor' ? '—' : f(r))).join(' | ')} |`);
  const cpuCell = (c: ReturnType<typeof windowFigures>) => `${f2(c.cpu)} % (${f2(c.self)} + ${f2(c.children)})`;
  row('steady: CPU, % of one core (self + children)', (x) => cpuCell(x.steady));
  row('steady: detection events queued (other processes on this machine running catalogued tools)', (x) => String(x.foreign), true);
  // Synchronous chunked reads: their wall time is close to the CPU they took.
  row('steady: of the CPU, first-time fingerprinting of other processes\' new executables (≈ read time)', (x) => `${f2(x.fpSteady.ms / (x.steady.secs * 10))} % (${x.fpSteady.n} files, ${f1(x.fpSteady.mb)} MB)`, true);
  row('steady: RSS median / max of 1 s samples', (x) => `${f1(x.steady.steadyMb)} / ${f1(x.steady.maxMb)} MB`);
  row('steady: of the RSS, anonymous (heap, stacks) / pages of the executable and other files (median)', (x) => `${f1(x.steady.anonMb)} / ${f1(x.steady.fileMb)} MB`);
  row(`detection: CPU with ${probes.length} probe starts`, (x) => cpuCell(x.detect));
  row('detection: delay p50', (x) => ms(p(x.d, 50)));
  row('detection: delay p99', (x) => ms(p(x.d, 99)));
  row('detection: delay max', (x) => ms(p(x.d, 100)));
  row('detection: probes seen / started', (x) => `${x.d.sorted.length} / ${probes.length}`);
  row('detection: RSS median / max', (x) => `${f1(x.detect.steadyMb)} / ${f1(x.detect.maxMb)} MB`);
  row('RSS peak over the whole run (VmHWM)', (x) => `${f1(x.o.peakMb)} MB`);
  row('first start: ready (connected, first scans done) / CPU', (x) => `${x.o.startup.coldReadyMs} ms / ${f2(x.o.startup.coldCpuS!)} s`, true);
  row('restart: ready / CPU', (x) => `${x.o.startup.warmReadyMs} ms / ${f2(x.o.startup.warmCpuS!)} s`, true);
  row('executables fingerprinted: first run / after the restart', (x) => `${x.o.startup.coldFp} / ${x.o.startup.warmFp}`, true);
  row('executables fingerprinted in the steady / detection windows', (x) => `${x.fpSteady.n} (${f1(x.fpSteady.mb)} MB) / ${x.fpDetect.n} (${f1(x.fpDetect.mb)} MB)`, true);

  const invScans = inventoryScans(node.o);
  const lastInv = invScans[invScans.length - 1];
  const amortised = lastInv ? (lastInv.cpuMs / DEFAULT_INVENTORY_INTERVAL_MS) * 100 : 0;
  const cpuTotal = node.steady.cpu + amortised;
  const goals = [
    `| CPU ≤ ${GOALS.cpuPct} % of a core, children included (steady window, plus the inventory scan amortised) | ${f2(node.steady.cpu)} % + ${amortised.toFixed(3)} % = ${f2(cpuTotal)} % | ${met(cpuTotal <= GOALS.cpuPct)} |`,
    `| detection delay p99 ≤ ${GOALS.p99Ms} ms over ≥ 200 starts at random moments | ${ms(p(node.d, 99))} over ${probes.length} (p50 ${ms(p(node.d, 50))}) | ${met(probes.length >= 200 && p(node.d, 99) <= GOALS.p99Ms)} |`,
    `| RSS ≤ ${GOALS.steadyMb} MB steady | ${f1(node.steady.steadyMb)} MB (median of the steady window) | ${met(node.steady.steadyMb <= GOALS.steadyMb)} |`,
    `| RSS ≤ ${GOALS.peakMb} MB peak | ${f1(node.o.peakMb)} MB (VmHWM: start-ups, first scans and both windows) | ${met(node.o.peakMb <= GOALS.peakMb)} |`,
    ...(single
      ? [
          `| single-file agent: RSS ≤ ${GOALS.steadyMb} MB steady | ${f1(single.steady.steadyMb)} MB (median of the steady window) | ${met(single.steady.steadyMb <= GOALS.steadyMb)} |`,
          `| single-file agent: RSS ≤ ${GOALS.peakMb} MB peak | ${f1(single.o.peakMb)} MB (VmHWM) | ${met(single.o.peakMb <= GOALS.peakMb)} |`,
        ]
      : []),
    `| a file's fingerprint computed once per file version, kept across restarts | ${node.o.startup.coldFp} executables fingerprinted in the first run; after the restart ${node.o.startup.warmFp} (new files), ${node.o.startup.refingerprinted} read again | ${met(node.o.startup.refingerprinted === 0)} |`,
  ];
  const section = [
    START_MARK,
    '## Agent: cost and speed with the default config (`npm run bench`)',
    '',
    'Written by `npm run bench` (scripts/bench.ts); the method is in that file\'s header. The agent runs as',
    'shipped (`node dist/agent/src/cli.js run`, no config file: the defaults), enrolled to a real server',
    'holding the sample Claude Code ban, as root (it watches every process and scans every home). The floor',
    'is the least any watcher must do at the same cadence: list /proc and read the new pids, nothing else.',
    '',
    `### ${date} — ${machineLine}`,
    '',
    `Load: ${procsAtStart}–${procsAtEnd} processes, ${CHURN_PER_SEC} new background processes a second. Steady window ${f1(node.steady.secs)} s; detection window ${f1(node.detect.secs)} s with ${probes.length} probe starts at random moments (gaps ${PROBE_GAP_MS[0]}–${PROBE_GAP_MS[1]} ms), each probe running ${PROBE_LIFE_MS / 1000} s. Default process cadence ${DEFAULT_PROCESS_INTERVAL_MS} ms (the floor polls at the same cadence), inventory every ${DEFAULT_INVENTORY_INTERVAL_MS / 60_000} min. Load average at the end: ${loadEnd}. The floor, measured at the same time, shares whatever load the machine has. Executables fingerprinted in a window are other processes' new binaries (e.g. test copies of tools), each read once. Each agent's executable (Node's binary, or the single file) is dropped from the page cache before it starts, as after a reboot (a file just written is wholly cached, and the kernel then maps cached pages around every page a process touches: +10 MB of clean file pages for the freshly built single-file agent); pages of Node's binary that this bench and the server map stay cached.`,
    '',
    '| goal (agent as shipped, default config) | measured | |',
    '| --- | --- | --- |',
    ...goals,
    '',
    '| measure | agent `node dist/agent/src/cli.js run` | single-file agent `dist/packages/edict-agent` | floor (new pids only) |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    `Inventory scans the agent logged (start-ups): ${invScans.map((x) => `${x.ms} ms wall / ${x.cpuMs} ms CPU`).join('; ') || 'none logged'}.`,
    '',
    `What a dependency adds to the resident memory of a Node process with the agent's V8 options, loading only that module (median of 3; the first module loaded also pays for Node's module loader, so the figures overlap and do not add up): ${modules.map((m) => `${m.name} ${f1(m.mb)} MB`).join(', ')}. The agent does not load systeminformation or ps-list on Linux, and does not use node-cron or format dates in its own process (notices are rendered in a short-lived helper).`,
    '',
    `Synthetic inventory (in process): ${USERS} users, ${NPM_PACKAGES} npm packages, ${EXTENSIONS} extensions — first ${f1(inv.firstMs)} ms, median of 5 ${f1(inv.medianMs)} ms (${inv.detections} detections); target < 2000 ms: ${met(inv.medianMs < 2000)}.`,
    END_MARK,
  ].join('\n');
  process.stdout.write(section + '\n');
  writeSection(section);
}

function writeSection(section: string): void {
  const old = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n';
  const a = old.indexOf(START_MARK);
  const b = old.indexOf(END_MARK);
  const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END_MARK.length) : old.replace(/\n*$/, '\n\n') + section + '\n';
  writeFileSync(DOC, next);
  log(`wrote ${path.relative(process.cwd(), DOC)}`);
}

try {
  await main();
} finally {
  for (const k of kids) if (k.exitCode === null && k.signalCode === null) k.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
}
