// The fleet simulator's controller: spreads N simulated agents over several worker processes
// (each with its own 127.0.0.x source address, so per-source caps and the per-process open-files
// limit behave as with real machines), and gathers their figures. Used by `npm run bench:server`
// and by the simulator smoke test. Agents enroll for real with an enrollment token.
// EDICT_SIM_CPU_PROF=<folder> writes a CPU profile of each worker there (what the load costs).
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimEnrollment, SimEventSpec } from './sim-agent.js';

/** The compiled worker next to this file (dist/test/sim/worker.js), whether run from dist or through ts-jest. */
function workerScript(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = here.includes(`${path.sep}dist${path.sep}`) ? path.resolve(here, '..', '..', '..') : path.resolve(here, '..', '..');
  return path.join(root, 'dist', 'test', 'sim', 'worker.js');
}

export interface FleetOptions {
  url: string;
  /** Several server nodes: process p connects its agents to urls[p % urls.length] (default: url). */
  urls?: readonly string[];
  enrollToken: string;
  agents: number;
  /** Enrollments made beforehand (agent i uses enrollments[i]); the rest enroll with the token. */
  enrollments?: readonly SimEnrollment[];
  /** Worker processes (default: one per 4,000 agents, at least 1). */
  processes?: number;
  /** Concurrent enroll/connect per process. */
  concurrency?: number;
  hostnamePrefix?: string;
  /**
   * Scheduling priority of the worker processes (nice, 0–19). A benchmark that measures the
   * server's event loop on a machine the simulator shares lowers it, so the server is not starved
   * of CPU by the load generator (default 0: as the caller).
   */
  nice?: number;
}

interface Worker {
  child: ChildProcess;
  count: number;
  first: number;
}

export class Fleet {
  private workers: Worker[] = [];
  private nextId = 1;
  private waiting = new Map<number, (body: any) => void>();

  private constructor(readonly opts: FleetOptions) {}

  static async start(opts: FleetOptions): Promise<Fleet> {
    const f = new Fleet(opts);
    const n = opts.processes ?? Math.max(1, Math.ceil(opts.agents / 4000));
    let first = 0;
    for (let p = 0; p < n; p++) {
      const count = Math.floor(opts.agents / n) + (p < opts.agents % n ? 1 : 0);
      const child = fork(workerScript(), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env.EDICT_SIM_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.EDICT_SIM_CPU_PROF] : [] });
      if (opts.nice && child.pid) os.setPriority(child.pid, opts.nice);
      const w: Worker = { child, count, first };
      first += count;
      f.workers.push(w);
      await new Promise<void>((resolve, reject) => {
        child.once('error', reject);
        child.on('message', (m: any) => {
          if (m.op === 'ready') return resolve();
          const cb = f.waiting.get(m.id);
          if (cb) {
            f.waiting.delete(m.id);
            cb(m);
          }
        });
        child.send({
          op: 'init',
          url: opts.urls?.length ? opts.urls[p % opts.urls.length] : opts.url,
          hostnamePrefix: `${opts.hostnamePrefix ?? 'sim'}-${p}`,
          count,
          localAddress: `127.0.0.${2 + (p % 250)}`,
          enrollToken: opts.enrollToken,
          ...(opts.enrollments ? { enrollments: opts.enrollments.slice(w.first, w.first + count) } : {}),
          concurrency: opts.concurrency ?? 50,
        });
      });
    }
    return f;
  }

  private ask(w: Worker, body: Record<string, unknown>): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      w.child.send({ ...body, id });
    });
  }

  private all(body: Record<string, unknown>): Promise<any[]> {
    return Promise.all(this.workers.map((w) => this.ask(w, body)));
  }

  get size(): number {
    return this.opts.agents;
  }

  /** Enrolls every agent not enrolled yet (REST), without connecting. */
  async enroll(): Promise<{ enrolled: number; failed: number; errors: string[]; ms: number }> {
    const t0 = performance.now();
    const rs = await this.all({ op: 'enroll' });
    return { enrolled: sum(rs, 'enrolled'), failed: sum(rs, 'failed'), errors: rs.flatMap((r) => r.errors), ms: performance.now() - t0 };
  }

  /** Enrolls (first time) and connects every agent; resolves with totals. */
  async connect(): Promise<{ connected: number; failed: number; errors: string[]; ms: number }> {
    const t0 = performance.now();
    const rs = await this.all({ op: 'connect' });
    return { connected: sum(rs, 'connected'), failed: sum(rs, 'failed'), errors: rs.flatMap((r) => r.errors), ms: performance.now() - t0 };
  }

  /** Every agent (or the first `agentsPerProcess` of each process) keeps one report in flight for `seconds`. */
  async ingest(seconds: number, spec: SimEventSpec, agentsPerProcess?: number) {
    const rs = await this.all({ op: 'ingest', seconds, spec, ...(agentsPerProcess ? { agents: agentsPerProcess } : {}) });
    const perSecond = new Map<number, number>();
    for (const r of rs) for (const [s, n] of r.perSecond as [number, number][]) perSecond.set(s, (perSecond.get(s) ?? 0) + n);
    return {
      events: sum(rs, 'events'),
      reports: sum(rs, 'reports'),
      latencies: rs.flatMap((r) => r.latencies as number[]),
      perSecond: [...perSecond.entries()].sort((a, b) => a[0] - b[0]),
      errors: rs.flatMap((r) => r.errors),
    };
  }

  /** Every agent sends one report and waits for its ack. */
  async reportAll(spec: SimEventSpec): Promise<{ acked: number; accepted: number; failed: number; latencies: number[] }> {
    const rs = await this.all({ op: 'report-all', spec });
    return { acked: sum(rs, 'acked'), accepted: sum(rs, 'accepted'), failed: sum(rs, 'failed'), latencies: rs.flatMap((r) => r.latencies) };
  }

  /** Waits until every live agent verified bundle version ≥ `version`. */
  async awaitPolicy(version: number, timeoutMs = 120_000): Promise<{ live: number; verified: number; lastVerifiedAt: number; refusals: number; policyFrames: number }> {
    const rs = await this.all({ op: 'await-policy', version, timeoutMs });
    return {
      live: sum(rs, 'live'),
      verified: sum(rs, 'verified'),
      lastVerifiedAt: Math.max(...rs.map((r) => r.lastVerifiedAt)),
      refusals: sum(rs, 'refusals'),
      policyFrames: sum(rs, 'policyFrames'),
    };
  }

  private locate(agent: number): [Worker, number] {
    const w = this.workers.find((x) => agent >= x.first && agent < x.first + x.count);
    if (!w) throw new Error(`no agent ${agent}`);
    return [w, agent - w.first];
  }

  report(agent: number, spec: SimEventSpec, batchId?: string): Promise<{ accepted: number; duplicates: number; ms: number }> {
    const [w, i] = this.locate(agent);
    return this.ask(w, { op: 'report', agent: i, spec, ...(batchId ? { batchId } : {}) });
  }

  raw(agent: number, texts: string[]): Promise<void> {
    const [w, i] = this.locate(agent);
    return this.ask(w, { op: 'raw', agent: i, texts });
  }

  state(agent: number): Promise<{ deviceId: string; closed: { code: number } | null; errors: { code: string }[]; policyVersion: number | null; welcomed: boolean }> {
    const [w, i] = this.locate(agent);
    return this.ask(w, { op: 'state', agent: i });
  }

  async deviceIds(): Promise<string[]> {
    return (await this.all({ op: 'enrollments' })).flatMap((r) => r.deviceIds);
  }

  async close(): Promise<void> {
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            if (w.child.exitCode !== null) return resolve();
            w.child.once('exit', () => resolve());
            this.ask(w, { op: 'close' }).catch(() => undefined);
            setTimeout(() => w.child.kill('SIGKILL'), 5000).unref();
          }),
      ),
    );
  }
}

function sum(rs: any[], k: string): number {
  return rs.reduce((s, r) => s + (r[k] ?? 0), 0);
}
