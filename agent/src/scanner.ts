// Runs the collectors for one phase (or both), merges their detections and drops duplicates: the
// same install seen by two collectors (a bin link resolving into an npm package already reported)
// is reported once, with the strongest evidence. A failing collector is logged and skipped.
import path from 'node:path';
import type { Tool } from '../../shared/src/catalog/schema.js';
import { detectionKey, type Detection } from '../../shared/src/protocol/index.js';
import { COLLECTORS, type Collector, type ScanContext } from './collectors/index.js';
import type { AgentConfig } from './config.js';
import type { Logger } from './log.js';
import { CatalogIndex } from './matcher.js';
import { currentPlatform } from './platform/index.js';

export interface ScanResult {
  scannedAt: string;
  detections: Detection[];
  errors: { collector: string; message: string }[];
}

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

export async function scan(ctx: ScanContext, phases: readonly Collector['phase'][], collectors: readonly Collector[] = COLLECTORS): Promise<ScanResult> {
  const scannedAt = new Date().toISOString();
  const all: Detection[] = [];
  const errors: ScanResult['errors'] = [];
  for (const c of collectors) {
    if (!phases.includes(c.phase)) continue;
    try {
      all.push(...(await c.collect(ctx)));
    } catch (err) {
      ctx.log?.error({ collector: c.id, err: (err as Error).message }, 'collector failed');
      errors.push({ collector: c.id, message: (err as Error).message });
    }
  }
  return { scannedAt, detections: dedupe(all), errors };
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
