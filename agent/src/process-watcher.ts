// Watches running processes on a plain timer (every scan.processIntervalMs; the next wait starts
// when a poll ends, so polls never overlap). A poll is the process tracker's (collectors/
// process-tracker.ts): nearly free when no process was created, and reading only the new ones
// otherwise. Per-pid runtime files are looked at every RUNTIME_FILES_EVERY_MS. The agent hears only
// about changes (a finding appeared, changed or ended), plus a refresh every REFRESH_MS so the
// findings' lastSeen keeps moving.
import { dedupe } from './scanner.js';
import type { Detection } from '../../shared/src/protocol/index.js';
import { trackerFor } from './collectors/processes.js';
import { runtimeFilesCollector } from './collectors/runtime-files.js';
import type { ScanContext } from './collectors/types.js';
import type { Logger } from './log.js';

/** Runtime files back up the other signals for a renamed tool: looking every 2 s costs a stat per folder. */
export const RUNTIME_FILES_EVERY_MS = 2000;
/** Findings are handed over at least this often even when unchanged (their lastSeen moves). */
export const REFRESH_MS = 60_000;

export interface ProcessWatcherOptions {
  intervalMs: number;
  /** The scan context now (catalog, platform, users); cheap, called once per poll. */
  context: () => ScanContext;
  /** Every running finding, called when they changed (and every REFRESH_MS). */
  onChange: (running: Detection[]) => void;
  log: Logger;
}

export class ProcessWatcher {
  private timer?: NodeJS.Timeout;
  private stopped = true;
  private polling?: Promise<void>;
  private lastKey?: string;
  private lastEmit = -Infinity;
  private nextRuntimeFiles = -Infinity;
  private runtimeHits: Detection[] = [];
  private lastTracker?: object;
  /** Polls done (status and tests). */
  polls = 0;

  constructor(private readonly o: ProcessWatcherOptions) {}

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
  }

  /** One poll now (also used right after a new catalog arrives). */
  pollNow(): Promise<void> {
    clearTimeout(this.timer);
    return this.runPoll();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.runPoll(), ms);
  }

  private runPoll(): Promise<void> {
    // Never two at once: a poll asked for while one runs waits for it and then runs.
    this.polling = (this.polling ?? Promise.resolve()).then(async () => {
      try {
        await this.poll();
      } catch (err) {
        this.o.log.error({ err: (err as Error).message }, 'process poll failed; the next one runs on schedule');
      }
      this.schedule(this.o.intervalMs);
    });
    return this.polling;
  }

  private async poll(): Promise<void> {
    const ctx = this.o.context();
    const tracker = trackerFor(ctx.index);
    const { changed } = await tracker.poll(ctx, ctx.platform.processSource());
    this.polls++;
    const now = performance.now();
    let runtimeChanged = false;
    if (now >= this.nextRuntimeFiles || tracker !== this.lastTracker) {
      this.nextRuntimeFiles = now + RUNTIME_FILES_EVERY_MS;
      const hits = await runtimeFilesCollector.collect(ctx);
      const key = hits.map((d) => `${d.toolId}|${d.user}|${d.evidence.pid}|${d.evidence.path}`).sort().join('\n');
      runtimeChanged = key !== this.lastKey;
      this.lastKey = key;
      this.runtimeHits = hits;
    }
    const newCatalog = tracker !== this.lastTracker;
    this.lastTracker = tracker;
    if (changed || runtimeChanged || newCatalog || now - this.lastEmit >= REFRESH_MS) {
      this.lastEmit = now;
      this.o.onChange(dedupe([...tracker.detections(), ...this.runtimeHits]));
    }
  }
}
