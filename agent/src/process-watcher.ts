// Watches running processes on a plain timer (every scan.processIntervalMs; the next wait starts
// when a poll ends, so polls never overlap). A poll is the process tracker's (collectors/
// process-tracker.ts): nearly free when no process was created, and reading only the new ones
// otherwise. Per-pid runtime files are looked at every RUNTIME_FILES_EVERY_MS. The agent hears only
// about changes (a finding appeared, changed or ended), plus a refresh every REFRESH_MS so the
// findings' lastSeen keeps moving. A poll that could not complete its look (a /proc read failed
// other than "ended", too many open files) says so like a scan does (ScanResult.errors and
// failedSources), so the agent declares none of its findings ended and lists the failure.
import { dedupe, runCollector, type CollectorError, type ScanResult } from './scanner.js';
import type { Detection } from '../../shared/src/protocol/index.js';
import { processesCollector, trackerFor } from './collectors/processes.js';
import { runtimeFilesCollector } from './collectors/runtime-files.js';
import type { Collector, ScanContext } from './collectors/types.js';
import type { Logger } from './log.js';

/** Runtime files back up the other signals for a renamed tool: looking every 2 s costs a stat per folder. */
export const RUNTIME_FILES_EVERY_MS = 2000;
/** Findings are handed over at least this often even when unchanged (their lastSeen moves). */
export const REFRESH_MS = 60_000;

export interface ProcessWatcherOptions {
  intervalMs: number;
  /** The scan context now (catalog, platform, users); cheap, called once per poll. */
  context: () => ScanContext;
  /** Every running finding, called when they or the collectors' health changed (and every REFRESH_MS). */
  onChange: (result: ScanResult) => void;
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
  private lastErrorsKey = '';
  private runtimeError?: CollectorError;
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
    const scannedAt = new Date().toISOString();
    const tracker = trackerFor(ctx.index);
    const ran = [processesCollector.id];
    const processRun = await runCollector(processesCollector, () => tracker.poll(ctx, ctx.platform.processSource()));
    const changed = processRun.value?.changed ?? false;
    this.polls++;
    const now = performance.now();
    let runtimeChanged = false;
    if (now >= this.nextRuntimeFiles || tracker !== this.lastTracker) {
      this.nextRuntimeFiles = now + RUNTIME_FILES_EVERY_MS;
      const runtimeRun = await runCollector(runtimeFilesCollector, () => runtimeFilesCollector.collect(ctx));
      this.runtimeError = runtimeRun.error;
      if (runtimeRun.value) {
        const hits = runtimeRun.value;
        const key = hits.map((d) => `${d.toolId}|${d.user}|${d.evidence.pid}|${d.evidence.path}`).sort().join('\n');
        runtimeChanged = key !== this.lastKey;
        this.lastKey = key;
        this.runtimeHits = hits;
      }
    }
    ran.push(runtimeFilesCollector.id); // its last result (and health) stands until it runs again
    const errors = [processRun.error, this.runtimeError].filter((e): e is CollectorError => !!e);
    const errorsKey = JSON.stringify(errors);
    const healthChanged = errorsKey !== this.lastErrorsKey;
    this.lastErrorsKey = errorsKey;
    const newCatalog = tracker !== this.lastTracker;
    this.lastTracker = tracker;
    if (changed || runtimeChanged || newCatalog || healthChanged || now - this.lastEmit >= REFRESH_MS) {
      this.lastEmit = now;
      const failed = [...(processRun.error ? processesCollector.sources : []), ...(this.runtimeError ? runtimeFilesCollector.sources : [])];
      this.o.onChange({ scannedAt, detections: dedupe([...tracker.detections(), ...this.runtimeHits]), errors, failedSources: failed, ran });
    }
  }
}

