// Remembers what each running pid was, so a poll reads closely only the processes created since the
// last one. Which pids are new comes, on Linux, from the last pid the kernel handed out (one 2 µs
// read): unchanged means nothing was created; a few new ones are looked up directly; many (or a
// wrap-around, or every FULL_LISTING_MS as a safety net) means one listing of /proc. Three cheap
// re-checks keep the memory true: a young pid's exe link is re-read for a few seconds (fork, then
// exec into the tool), every known pid's exe link is re-read once per RECHECK_PERIOD_MS (a late
// exec()), and every pid with a finding is checked for life on every poll (its `absent` is prompt).
// A pid handed out again lies after the previous last pid, so it is read afresh like a new one.
import type { Detection } from '../../../shared/src/protocol/index.js';
import type { CatalogIndex } from '../matcher.js';
import type { ProcessSnapshot, ProcessSource } from '../platform/index.js';
import { CONFIDENCE } from './confidence.js';
import type { ScanContext } from './types.js';

/** A pid's exe link is re-read on every poll for this long after it was first read (fork → exec). */
export const YOUNG_RECHECK_MS = 1500;
/** Every known pid's exe link is re-read once in this period, a slice per poll: a late exec() into a tool is noticed within it. */
export const RECHECK_PERIOD_MS = 20_000;
/** /proc is listed at least this often even when the last pid says nothing new (prunes ended pids; safety net). */
export const FULL_LISTING_MS = 10_000;
/** More new pids than this since the last poll: one listing of /proc is cheaper than looking each one up. */
export const PROBE_SPAN_MAX = 16;
/** Longest parent chain walked when attributing an env marker to the process that set it. */
const ANCESTOR_WALK_LIMIT = 32;

export type Matcher = (ctx: ScanContext, p: ProcessSnapshot, source: ProcessSource) => Promise<Detection[]>;
export type DetectionOf = (ctx: ScanContext, source: ProcessSource, p: ProcessSnapshot, toolId: string, signature: string, confidence: number) => Detection;

interface Tracked {
  /** exe link when examined; a change means exec() (undefined: kernel thread or unreadable). */
  fp?: string;
  /** Start time (clock ticks since boot) when examined: with the pid, one process for its lifetime. */
  start?: number;
  /** Monotonic ms when examined. */
  at: number;
  hits: Detection[];
  /** Detections attributed to this pid by its children's env markers. */
  attributed: Detection[];
}

export interface PollResult {
  /** Whether the findings changed since the previous poll (a pid with a finding started, changed or ended). */
  changed: boolean;
}

export class ProcessTracker {
  readonly seen = new Map<number, Tracked>();
  /** Pids read closely in the last poll (tests and the bench read it). */
  examined = 0;
  /** Listings of /proc so far (tests read it). */
  listings = 0;
  private lastPid?: number;
  private lastListing = -Infinity;
  /** Pids examined recently (oldest first): their exe link is re-read each poll for YOUNG_RECHECK_MS. */
  private young: number[] = [];
  /** Pids with findings: checked for life on every poll. */
  private readonly withFindings = new Set<number>();
  private recheckOrder: number[] = [];
  private recheckCursor = 0;
  private lastPoll?: number;

  constructor(
    private readonly match: Matcher,
    private readonly detectionOf: DetectionOf,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Every finding now: direct matches and env-marker attributions. */
  detections(): Detection[] {
    const out: Detection[] = [];
    this.withFindings.forEach((pid) => {
      const t = this.seen.get(pid);
      if (t) out.push(...t.hits, ...t.attributed);
    });
    return out;
  }

  async poll(ctx: ScanContext, source: ProcessSource): Promise<PollResult> {
    // Loops here are index loops and forEach: the agent runs without V8's optimizing compiler
    // (cli.ts), where each step of a for..of allocates an iterator result.
    const now = this.now();
    const sinceLast = this.lastPoll === undefined ? 0 : now - this.lastPoll;
    this.lastPoll = now;
    let changed = false;
    const forget = (pid: number) => {
      if (this.withFindings.delete(pid)) changed = true;
      this.seen.delete(pid);
    };

    // 1. Which pids are new (or handed out again) since the last poll.
    const last = source.lastPid?.();
    const prev = this.lastPid;
    const candidates: number[] = [];
    const span = last !== undefined && prev !== undefined ? last - prev : undefined;
    if (span === undefined || span < 0 || span > PROBE_SPAN_MAX || now - this.lastListing >= FULL_LISTING_MS) {
      const pids = await source.pids();
      this.listings++;
      this.lastListing = now;
      const present = new Set(pids);
      this.seen.forEach((_t, pid) => {
        if (!present.has(pid)) forget(pid);
      });
      for (let i = 0; i < pids.length; i++) {
        const pid = pids[i];
        const t = this.seen.get(pid);
        if (!t) candidates.push(pid);
        // Created since the previous poll (ranges wrap at pid_max): a pid we knew was handed out again.
        else if (span !== undefined && (span >= 0 ? pid > prev! && pid <= last! : pid > prev! || pid <= last!) && source.startTicks?.(pid) !== t.start) candidates.push(pid);
      }
    } else if (span > 0) {
      for (let pid = prev! + 1; pid <= last!; pid++) {
        if (!source.isProcess || source.isProcess(pid)) candidates.push(pid);
        else if (this.seen.has(pid)) forget(pid); // the pid is a thread now, or gone: the process we knew ended
      }
    }
    this.lastPid = last;
    const isCandidate = (pid: number) => candidates.indexOf(pid) >= 0;

    // 2. Young pids: exec() usually follows fork() within milliseconds.
    if (this.young.length && source.fingerprint) {
      const young: number[] = [];
      for (let i = 0; i < this.young.length; i++) {
        const pid = this.young[i];
        const t = this.seen.get(pid);
        if (!t || now - t.at > YOUNG_RECHECK_MS) continue;
        young.push(pid);
        if (!isCandidate(pid) && source.fingerprint(pid) !== t.fp) candidates.push(pid);
      }
      this.young = young;
    }

    // 3. A slice of every known pid, so each is re-checked once per RECHECK_PERIOD_MS. Kernel
    //    threads (no exe link) never exec: they are left to the listing to prune.
    if (source.fingerprint && this.seen.size) {
      if (this.recheckCursor >= this.recheckOrder.length) {
        this.recheckOrder = Array.from(this.seen.keys());
        this.recheckCursor = 0;
      }
      const n = Math.ceil((this.recheckOrder.length * Math.max(sinceLast, 1)) / RECHECK_PERIOD_MS);
      for (const end = Math.min(this.recheckOrder.length, this.recheckCursor + n); this.recheckCursor < end; this.recheckCursor++) {
        const pid = this.recheckOrder[this.recheckCursor];
        const t = this.seen.get(pid);
        if (!t || t.fp === undefined || isCandidate(pid)) continue;
        const fp = source.fingerprint(pid);
        if (fp === t.fp) continue;
        if (fp === undefined && !source.alive(pid)) forget(pid);
        else candidates.push(pid);
      }
    }

    // 4. Findings whose process ended.
    this.withFindings.forEach((pid) => {
      if (!isCandidate(pid) && !source.alive(pid)) forget(pid);
    });

    // 5. Read the candidates closely.
    const fresh: ProcessSnapshot[] = [];
    for (let i = 0; i < candidates.length; i++) {
      const pid = candidates[i];
      if (pid === ctx.selfPid || candidates.indexOf(pid) < i) continue; // self, or listed twice
      const snap = source.read(pid);
      if (!snap) {
        forget(pid); // ended between listing and reading
        continue;
      }
      fresh.push(snap);
      const hits = await this.match(ctx, snap, source);
      if (this.withFindings.has(pid) || hits.length) changed = true;
      this.withFindings.delete(pid);
      this.seen.set(pid, { fp: snap.fp, start: snap.startTicks, at: now, hits, attributed: [] });
      if (hits.length) this.withFindings.add(pid);
      this.young.push(pid);
    }
    this.examined = fresh.length;
    if (ctx.index.envMarkers.length && source.environMarkers) {
      for (let i = 0; i < fresh.length; i++) if (this.attributeEnvMarkers(ctx, source, fresh[i], now)) changed = true;
    }
    return { changed };
  }

  /**
   * A process carrying a tool's child marker (e.g. CLAUDECODE=1) was started by the tool: walk up
   * while the parent carries the same marker; the parent of the outermost carrier is the tool.
   * Only the marker's name goes into the evidence, never the environment. Returns whether a new
   * attribution was made.
   */
  private attributeEnvMarkers(ctx: ScanContext, source: ProcessSource, snap: ProcessSnapshot, now: number): boolean {
    const markers = ctx.index.envMarkers;
    const hits = source.environMarkers!(snap.pid, markers);
    let added = false;
    for (const i of hits) {
      const marker = markers[i];
      let carrier = snap;
      for (let step = 0; step < ANCESTOR_WALK_LIMIT && carrier.ppid && carrier.ppid > 1; step++) {
        const parent = source.read(carrier.ppid);
        if (!parent || !source.environMarkers!(parent.pid, [marker]).size) break;
        carrier = parent;
      }
      const tool = carrier.ppid && carrier.ppid > 1 ? (source.read(carrier.ppid) ?? carrier) : carrier;
      if (tool.pid === ctx.selfPid) continue;
      const entry: Tracked = this.seen.get(tool.pid) ?? { fp: tool.fp, start: tool.startTicks, at: now, hits: [], attributed: [] };
      this.seen.set(tool.pid, entry);
      if (entry.attributed.some((d) => d.toolId === marker.toolId)) continue;
      entry.attributed.push(this.detectionOf(ctx, source, tool, marker.toolId, `child-env:${marker.source}`, CONFIDENCE.childEnv));
      this.withFindings.add(tool.pid);
      added = true;
    }
    return added;
  }
}

const trackers = new WeakMap<CatalogIndex, ProcessTracker>();

/** One tracker per compiled catalog: a new catalog means every process is looked at again. */
export function trackerFor(index: CatalogIndex, make: () => ProcessTracker): ProcessTracker {
  let t = trackers.get(index);
  if (!t) trackers.set(index, (t = make()));
  return t;
}
