// `npm run bench`: the two speed targets of the detection work, measured on this machine.
// 1. CPU per process poll with >= 500 processes, against a baseline that only lists /proc and
//    reads the new pids (stat, cmdline, exe link) — target: at most 2x the baseline.
// 2. Wall time of a full inventory scan of a synthetic machine: 20 users, 1,000 npm global
//    packages, 300 IDE extensions — target: under 2 s.
// Prints a markdown block with machine, date and figures for docs/benchmarks.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUILTIN_CATALOG } from '../shared/src/catalog/builtin.js';
import { processesCollector, trackerFor } from '../agent/src/collectors/processes.js';
import type { ScanContext } from '../agent/src/collectors/types.js';
import { CatalogIndex } from '../agent/src/matcher.js';
import { currentPlatform } from '../agent/src/platform/index.js';
import { scan } from '../agent/src/scanner.js';

/** Processes alive during the poll benchmark (the figure). */
const TARGET_PROCS = 500;
/** New processes started between two polls: a busy developer machine (builds, shells). */
const NEW_PER_POLL = 5;
const POLLS = 40;
const USERS = 20;
const NPM_PACKAGES = 1000;
const EXTENSIONS = 300;

const cpuMs = (f: () => unknown) => async () => {
  const a = process.cpuUsage();
  await f();
  const d = process.cpuUsage(a);
  return (d.user + d.system) / 1000;
};

/** What the poll is compared with: list /proc, read stat + cmdline + exe of pids not seen before. */
function baselinePoll(seen: Set<number>): void {
  const now = new Set<number>();
  for (const e of readdirSync('/proc')) {
    const c = e.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(e);
    now.add(pid);
    if (seen.has(pid)) continue;
    try {
      readFileSync(`/proc/${pid}/stat`, 'utf8');
      readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      readlinkSync(`/proc/${pid}/exe`);
    } catch {
      // ended or kernel thread: the real poll handles the same cases
    }
  }
  for (const p of seen) if (!now.has(p)) seen.delete(p);
  for (const p of now) seen.add(p);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function benchPoll(): Promise<Record<string, number>> {
  const kids: ChildProcess[] = [];
  const start = (n: number) => {
    for (let i = 0; i < n; i++) kids.push(spawn('sleep', ['600'], { stdio: 'ignore' }));
  };
  const current = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  start(Math.max(0, TARGET_PROCS - current));
  await new Promise((r) => setTimeout(r, 500));
  const procs = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  const index = new CatalogIndex(BUILTIN_CATALOG);
  const ctx: ScanContext = { index, platform: currentPlatform(), users: [], pathDirs: [], extraNpmPrefixes: [], selfPid: process.pid };
  const cold = await cpuMs(() => processesCollector.collect(ctx))();
  const seen = new Set<number>();
  baselinePoll(seen);
  const base: number[] = [];
  const ours: number[] = [];
  const examined: number[] = [];
  try {
    for (let i = 0; i < POLLS; i++) {
      start(NEW_PER_POLL);
      await new Promise((r) => setTimeout(r, 50));
      // Same new pids for both: the baseline first reads them, then ours (order alternates to share cache effects).
      if (i % 2) {
        base.push(await cpuMs(() => baselinePoll(seen))());
        ours.push(await cpuMs(() => processesCollector.collect(ctx))());
      } else {
        ours.push(await cpuMs(() => processesCollector.collect(ctx))());
        base.push(await cpuMs(() => baselinePoll(seen))());
      }
      examined.push(trackerFor(index).examined);
    }
  } finally {
    for (const k of kids) k.kill('SIGKILL');
  }
  return { procs, coldMs: cold, baseMs: median(base), oursMs: median(ours), ratio: median(ours) / median(base), examined: median(examined) };
}

function buildMachine(root: string): { user: string; home: string }[] {
  const users: { user: string; home: string }[] = [];
  const catalogued = ['@anthropic-ai/claude-code', '@openai/codex', '@google/gemini-cli', '@qwen-code/qwen-code', '@qoder-ai/qodercli'];
  const exts = ['anthropic.claude-code', 'github.copilot', 'saoudrizwan.claude-dev', 'continue.continue', 'alibaba-cloud.tongyi-lingma'];
  for (let u = 0; u < USERS; u++) {
    const home = path.join(root, `user${u}`);
    users.push({ user: `user${u}`, home });
    const roots = [path.join(home, '.npm-global/lib/node_modules'), path.join(home, '.nvm/versions/node/v20.20.2/lib/node_modules')];
    for (let i = 0; i < NPM_PACKAGES / USERS; i++) {
      const name = i < catalogued.length && u % 4 === 0 ? catalogued[i] : i % 3 === 0 ? `@scope${i}/pkg-${u}-${i}` : `pkg-${u}-${i}`;
      const dir = path.join(roots[i % 2], ...name.split('/'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0' }));
    }
    const extDir = path.join(home, u % 2 ? '.cursor/extensions' : '.vscode/extensions');
    const list = [];
    for (let i = 0; i < EXTENSIONS / USERS; i++) {
      const id = i < exts.length && u % 3 === 0 ? exts[i] : `publisher${i}.ext-${u}-${i}`;
      const folder = `${id}-1.${i}.0`;
      mkdirSync(path.join(extDir, folder), { recursive: true });
      list.push({ identifier: { id }, version: `1.${i}.0`, relativeLocation: folder });
    }
    writeFileSync(path.join(extDir, 'extensions.json'), JSON.stringify(list));
    mkdirSync(path.join(home, '.local/bin'), { recursive: true });
    if (u % 5 === 0) mkdirSync(path.join(home, '.claude'), { recursive: true });
  }
  return users;
}

async function benchInventory(): Promise<Record<string, number>> {
  const root = mkdtempSync(path.join(os.tmpdir(), 'edict-bench-'));
  try {
    const users = buildMachine(root);
    const ctx: ScanContext = { index: new CatalogIndex(BUILTIN_CATALOG), platform: currentPlatform(), users, pathDirs: (process.env.PATH ?? '').split(':'), extraNpmPrefixes: [], selfPid: process.pid };
    const runs: number[] = [];
    let found = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await scan(ctx, ['inventory']);
      runs.push(performance.now() - t);
      found = r.detections.length;
    }
    return { firstMs: runs[0], medianMs: median(runs), detections: found };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

const poll = await benchPoll();
const inv = await benchInventory();
const cpu = os.cpus()[0]?.model ?? 'unknown';
const f = (n: number) => n.toFixed(2);
process.stdout.write(
  [
    `### ${new Date().toISOString().slice(0, 10)} — ${cpu}, ${os.cpus().length} cores, Node ${process.version}, ${os.platform()} ${os.release()}`,
    '',
    '| measure | result | target |',
    '| --- | --- | --- |',
    `| process poll CPU, ${poll.procs} processes, ${NEW_PER_POLL} new per poll (median of ${POLLS}) | ${f(poll.oursMs)} ms (${poll.examined} pids examined) | ≤ 2× baseline |`,
    `| baseline: list /proc + read stat, cmdline, exe of new pids | ${f(poll.baseMs)} ms | — |`,
    `| ratio | ${f(poll.ratio)}× | ≤ 2× |`,
    `| first (cold) poll CPU, every pid examined | ${f(poll.coldMs)} ms | — |`,
    `| inventory scan wall, ${USERS} users, ${NPM_PACKAGES} npm packages, ${EXTENSIONS} extensions (first / median of 5) | ${f(inv.firstMs)} ms / ${f(inv.medianMs)} ms (${inv.detections} detections) | < 2000 ms |`,
    '',
  ].join('\n'),
);
