// Runs the collectors for one phase (or both), merges their detections and drops duplicates: the
// same install seen by two collectors (a bin link resolving into an npm package already reported)
// is reported once, with the strongest evidence. A collector that throws, times out or tolerated a
// problem (anything but "not found") is listed in `errors`: what it found still counts, but it
// completed no full look, so nothing of its sources may be declared absent (`failedSources`).
import path from 'node:path';
import type { Tool } from '../../shared/src/catalog/schema.js';
import { detectionKey, type Detection } from '../../shared/src/protocol/index.js';
import { COLLECTORS, type Collector, type ScanContext } from './collectors/index.js';
import type { AgentConfig } from './config.js';
import type { Logger } from './log.js';
import { CatalogIndex } from './matcher.js';
import { currentPlatform } from './platform/index.js';
import { withProblems } from './collectors/problems.js';

export interface CollectorError {
  collector: string;
  /** Error code of the first problem (EACCES, EMFILE, ETIMEDOUT…) or `error`. */
  code: string;
  /** The first problem, with what could not be read. */
  message: string;
  /** How many problems this run had. */
  count: number;
}

export interface ScanResult {
  scannedAt: string;
  detections: Detection[];
  errors: CollectorError[];
  /** Evidence sources whose collector did not complete a full look this time: never "absent". */
  failedSources: string[];
  /** Collectors that ran (completed or not). */
  ran: string[];
}

/** A collector still busy after this long is reported as failed (timed out) and its result dropped. */
export const COLLECTOR_TIMEOUT_MS = 5 * 60_000;
/** Collectors that timed out and have not finished yet: not started again until they do. */
const stillRunning = new Map<string, { since: string; done: Promise<unknown> }>();

/** The compiled catalog of the last scan: reused while the catalog is unchanged, so per-catalog
 * memory (the process tracker's seen pids) survives from one poll to the next. */
let lastIndex: { catalog: readonly Tool[]; key: string; index: CatalogIndex } | undefined;

export function indexFor(catalog: readonly Tool[]): CatalogIndex {
  // The same catalog object (the usual case between bundle updates) needs no comparison at all.
  if (lastIndex?.catalog === catalog) return lastIndex.index;
  const key = JSON.stringify(catalog);
  if (lastIndex?.key !== key) lastIndex = { catalog, key, index: new CatalogIndex(catalog) };
  else lastIndex.catalog = catalog;
  return lastIndex.index;
}

/** The last context built: handed out again while nothing in it changed (the process watcher asks twice a second). */
let lastContext: { config: AgentConfig; log?: Logger; path?: string; ctx: ScanContext } | undefined;

export function buildScanContext(catalog: readonly Tool[], config: AgentConfig, log?: Logger): ScanContext {
  const platform = currentPlatform();
  const users = config.scan.homes ?? (isPrivileged() ? platform.listUsers() : (me ??= [currentUser()]));
  const index = indexFor(catalog);
  const c = lastContext;
  if (c && c.config === config && c.log === log && c.path === process.env.PATH && c.ctx.index === index && c.ctx.users === users && c.ctx.platform === platform) return c.ctx;
  const ctx: ScanContext = {
    index,
    platform,
    users,
    pathDirs: (process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    extraNpmPrefixes: config.scan.extraNpmPrefixes,
    selfPid: process.pid,
    log,
  };
  lastContext = { config, log, path: process.env.PATH, ctx };
  return ctx;
}

let me: { user: string; home: string; uid?: number }[] | undefined;

function isPrivileged(): boolean {
  return process.getuid?.() === 0;
}

function currentUser(): { user: string; home: string; uid?: number } {
  const os = process.getuid ? { uid: process.getuid() } : {};
  const user = process.env.USER ?? process.env.USERNAME ?? 'unknown';
  return { user, home: process.env.HOME ?? process.env.USERPROFILE ?? '.', ...os };
}

export async function scan(
  ctx: ScanContext,
  phases: readonly Collector['phase'][],
  collectors: readonly Collector[] = COLLECTORS,
  timeoutMs = COLLECTOR_TIMEOUT_MS,
): Promise<ScanResult> {
  const scannedAt = new Date().toISOString();
  const all: Detection[] = [];
  const errors: CollectorError[] = [];
  const failedSources = new Set<string>();
  const ran: string[] = [];
  const fail = (c: Collector, e: Omit<CollectorError, 'collector'>) => {
    errors.push({ collector: c.id, ...e });
    for (const s of c.sources) failedSources.add(s);
  };
  for (const c of collectors) {
    if (!phases.includes(c.phase)) continue;
    ran.push(c.id);
    const busy = stillRunning.get(c.id);
    if (busy) {
      fail(c, { code: 'ETIMEDOUT', message: `still running since ${busy.since} (timed out after ${timeoutMs} ms)`, count: 1 });
      continue;
    }
    const run = runCollector(c, () => c.collect(ctx));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
      timer.unref();
    });
    try {
      const r = await Promise.race([run, timeout]);
      if (r === 'timeout') {
        const entry = { since: new Date().toISOString(), done: run.finally(() => stillRunning.delete(c.id)) };
        stillRunning.set(c.id, entry);
        ctx.log?.error({ collector: c.id, timeoutMs }, 'collector timed out; nothing it found before is declared absent');
        fail(c, { code: 'ETIMEDOUT', message: `no answer within ${timeoutMs} ms`, count: 1 });
        continue;
      }
      if (r.thrown) ctx.log?.error({ collector: c.id, err: r.thrown.message }, 'collector failed');
      if (r.value) all.push(...r.value);
      if (r.error) fail(c, r.error);
    } finally {
      clearTimeout(timer);
    }
  }
  return { scannedAt, detections: dedupe(all), errors, failedSources: [...failedSources], ran };
}

/**
 * Runs one collector's work (a scan's, or the process watcher's poll): problems it tolerated, or an
 * exception, make it a collector that did not complete its look (`error`); what it found still
 * counts. Never rejects.
 */
export async function runCollector<T>(c: Collector, fn: () => Promise<T>): Promise<{ value?: T; error?: CollectorError; thrown?: NodeJS.ErrnoException }> {
  try {
    const r = await withProblems(fn);
    if (!r.count) return { value: r.value };
    const first = r.problems[0]!;
    return { value: r.value, error: { collector: c.id, code: first.code, message: `${first.message}`.slice(0, 300), count: r.count } };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { thrown: e, error: { collector: c.id, code: typeof e.code === 'string' ? e.code : 'error', message: String(e.message ?? err).slice(0, 300), count: 1 } };
  }
}

/** Keeps the strongest detection per (tool, kind, user, place); a path inside a kept path is the same install. */
export function dedupe(list: readonly Detection[]): Detection[] {
  const sorted = [...list].sort((a, b) => b.confidence - a.confidence || (a.evidence.path ?? '').length - (b.evidence.path ?? '').length);
  const kept: Detection[] = [];
  for (const d of sorted) {
    const dup = kept.some(
      (k) =>
        k.toolId === d.toolId &&
        k.kind === d.kind &&
        k.user === d.user &&
        (k.evidence.path ?? k.evidence.signature) !== undefined &&
        (samePlace(k, d) || isInside(d.evidence.path, k.evidence.path)),
    );
    if (!dup) kept.push(d);
  }
  // Code-unit order, not localeCompare: the same on every machine, and no ICU collation data loaded.
  return kept.sort((a, b) => cmp(detectionKey(a), detectionKey(b)));
}

/** Same install, or the same running process (two copies of one program are two findings). */
function samePlace(a: Detection, b: Detection): boolean {
  if (a.kind === 'running' && a.evidence.pid !== b.evidence.pid) return false;
  return (a.evidence.path ?? a.evidence.signature) === (b.evidence.path ?? b.evidence.signature);
}

function isInside(child: string | undefined, parent: string | undefined): boolean {
  return !!child && !!parent && child.startsWith(parent + path.sep);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
