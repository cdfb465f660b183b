// Durable commits without blocking the event loop. The connection runs with synchronous=NORMAL in
// WAL mode, so COMMIT only appends the transaction's frames to the -wal file; WalSync then fsyncs
// that file on libuv's thread pool, and a caller's write is reported done (a report acked, an API
// call answered) only after an fsync that began after its COMMIT has completed. The WAL is
// append-only in commit order, so one fsync makes every earlier commit durable too: commits made
// while an fsync is in flight share the next one (group commit at the disk). The durability promise
// is the one synchronous=FULL gives (the WAL synced after the commit, before anyone is told),
// without a 5-20 ms fsync on the thread that serves every agent.
//
// WalCheckpointer copies the WAL back into the database file from a worker thread with its own
// connection (PRAGMA wal_checkpoint(PASSIVE), which never blocks writers), so the checkpoint's
// writes and fsyncs never run on the main thread either (wal_autocheckpoint is off).
import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CHECKPOINT_EVERY_MS } from '../../constants.js';

export class WalSync {
  private fd?: FileHandle;
  private inFlight?: Promise<void>;
  private next?: Promise<void>;
  /** fsyncs done, for health and the benchmark. */
  syncs = 0;

  constructor(private readonly walFile: string) {}

  /** Resolves once every commit made before this call is on disk. */
  sync(): Promise<void> {
    if (!this.inFlight) {
      this.inFlight = this.run().finally(() => (this.inFlight = undefined));
      return this.inFlight;
    }
    // The fsync in flight may have started before our commit: wait for the one after it.
    this.next ??= this.inFlight.then(
      () => {
        this.next = undefined;
        return this.sync();
      },
      () => {
        this.next = undefined;
        return this.sync();
      },
    );
    return this.next;
  }

  private async run(): Promise<void> {
    this.fd ??= await open(this.walFile, 'r');
    await this.fd.sync();
    this.syncs++;
  }

  async close(): Promise<void> {
    await this.inFlight?.catch(() => undefined);
    await this.fd?.close();
    this.fd = undefined;
  }
}

// The worker is plain CommonJS run with `eval`, so it works the same from sources, dist and bundles.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 5000');
parentPort.on('message', (m) => {
  if (m === 'checkpoint') {
    try {
      const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
      parentPort.postMessage({ ok: true, log: r.log, checkpointed: r.checkpointed });
    } catch (err) {
      parentPort.postMessage({ ok: false, error: String(err && err.message || err) });
    }
  } else if (m === 'close') {
    db.close();
    parentPort.close();
  }
});
`;

export class WalCheckpointer {
  private readonly worker: Worker;
  private timer: NodeJS.Timeout;
  private running = false;
  private dirty = false;
  private closed = false;
  /** Checkpoints run and the last result, for health. */
  readonly stats = { runs: 0, lastLogFrames: 0, lastCheckpointed: 0, lastError: null as string | null };

  constructor(file: string, onError: (message: string) => void) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { file, driver } });
    this.worker.unref();
    this.worker.on('message', (m: { ok: boolean; log?: number; checkpointed?: number; error?: string }) => {
      this.running = false;
      this.stats.runs++;
      if (m.ok) {
        this.stats.lastLogFrames = m.log ?? 0;
        this.stats.lastCheckpointed = m.checkpointed ?? 0;
        this.stats.lastError = null;
      } else {
        this.stats.lastError = m.error ?? 'unknown';
        onError(this.stats.lastError);
      }
    });
    this.worker.on('error', (err) => onError(err.message));
    this.timer = setInterval(() => this.tick(), CHECKPOINT_EVERY_MS);
    this.timer.unref();
  }

  /** Something was committed: the next tick copies it into the database file. */
  nudge(): void {
    this.dirty = true;
  }

  private tick(): void {
    if (!this.dirty || this.running || this.closed) return;
    this.dirty = false;
    this.running = true;
    this.worker.postMessage('checkpoint');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.postMessage('close');
      setTimeout(() => void this.worker.terminate(), 2000).unref();
    });
  }
}
