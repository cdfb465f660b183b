// Report exports as background jobs (the shape of Intune's export jobs): a compliance report or
// evidence pack of a whole fleet takes seconds to build, longer than a page should wait on one
// request, so the dashboard (and any client) starts one with POST, polls it, and downloads the file.
// The parameters are checked before the job starts (a bad date is refused at once, naming the
// field). Each job belongs to the API token that started it; finished files are kept in the data
// folder for EXPORT_KEEP_MS and then deleted; at most EXPORTS_RUNNING_MAX build at once, the rest
// wait their turn. Jobs live in memory: after a restart, start the export again.
import { createReadStream, mkdirSync, rmSync, statSync, readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { ReadStream } from 'node:fs';
import path from 'node:path';
import { EdictError } from '../../../shared/src/errors.js';
import { EXPORT_KEEP_MS, EXPORTS_RUNNING_MAX } from '../constants.js';
import type { Logger } from '../log.js';
import { newId } from '../secrets.js';
import type { ReportRequest, ReportService } from './service.js';

export type ExportFormat = 'csv' | 'json' | 'html' | 'zip';
const TYPES: Record<ExportFormat, string> = { csv: 'text/csv; charset=utf-8', json: 'application/json; charset=utf-8', html: 'text/html; charset=utf-8', zip: 'application/zip' };

export interface ExportJob {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  format: ExportFormat;
  parameters: { asOf: string; knownAt: string; policy: string | null; tool: string | null; tag: string | null };
  createdAt: string;
  finishedAt: string | null;
  filename: string | null;
  bytes: number | null;
  error: string | null;
}

export class ReportExports {
  private readonly jobs = new Map<string, ExportJob & { tokenId: string; file: string | null }>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly dir: string;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly reports: ReportService,
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.dir = path.join(dataDir, 'exports');
    // Files of an earlier run belong to jobs nobody can ask for any more.
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.timer = setInterval(() => this.sweep(), 60_000);
    this.timer.unref();
  }

  /** Checks the parameters and queues the job; throws the validation error at once. */
  start(q: ReportRequest, format: ExportFormat, caller: { tokenId: string; actor: string }): ExportJob {
    const p = this.reports.parameters(q);
    const job = {
      id: newId('exp'),
      status: 'queued' as ExportJob['status'],
      format,
      parameters: { asOf: p.asOf, knownAt: p.knownAt, policy: p.policy, tool: p.tool, tag: p.tag },
      createdAt: new Date().toISOString(),
      finishedAt: null,
      filename: null,
      bytes: null,
      error: null,
      tokenId: caller.tokenId,
      file: null,
    };
    this.jobs.set(job.id, job);
    void this.runJob(job, q, caller.actor);
    return this.view(job);
  }

  private async slot(): Promise<void> {
    if (this.running < EXPORTS_RUNNING_MAX) {
      this.running++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private async runJob(job: ExportJob & { file: string | null }, q: ReportRequest, actor: string): Promise<void> {
    await this.slot();
    try {
      job.status = 'running';
      // Pin "known at" to the instant the job was asked for, so a queued job reports what was known then.
      const out = await this.reports.compliance({ ...q, knownAt: job.parameters.knownAt }, job.format, actor);
      const stamp = out.parameters.asOf.replace(/[:.]/g, '-');
      const file = path.join(this.dir, `${job.id}.${job.format}`);
      await writeFile(file, out.body, { mode: 0o600 });
      job.file = file;
      job.filename = `edict-compliance-${stamp}.${job.format}`;
      job.bytes = statSync(file).size;
      job.status = 'done';
    } catch (err) {
      job.status = 'failed';
      job.error = err instanceof EdictError ? err.message : 'internal error';
      if (!(err instanceof EdictError)) this.log.error({ err, job: job.id }, 'report export failed');
    } finally {
      job.finishedAt = new Date().toISOString();
      this.release();
    }
  }

  /** A job of this caller's token (another token's jobs do not exist for it). */
  get(id: string, tokenId: string): ExportJob {
    const job = this.jobs.get(id);
    if (!job || job.tokenId !== tokenId) throw new EdictError('EDICT_ERR_NOT_FOUND', `export ${id}`);
    return this.view(job);
  }

  /** The finished file of a job, to stream to the caller. */
  file(id: string, tokenId: string): { stream: ReadStream; type: string; filename: string; bytes: number } {
    const job = this.jobs.get(id);
    if (!job || job.tokenId !== tokenId) throw new EdictError('EDICT_ERR_NOT_FOUND', `export ${id}`);
    if (job.status !== 'done' || !job.file) throw new EdictError('EDICT_ERR_NOT_FOUND', `export ${id} is ${job.status}${job.error ? `: ${job.error}` : ''}`);
    return { stream: createReadStream(job.file), type: TYPES[job.format], filename: job.filename!, bytes: job.bytes! };
  }

  private view(job: ExportJob & { tokenId?: string; file?: string | null }): ExportJob {
    const { tokenId: _t, file: _f, ...rest } = job;
    return { ...rest };
  }

  private sweep(now = Date.now()): void {
    for (const [id, job] of this.jobs) {
      if (job.finishedAt && now - Date.parse(job.finishedAt) > EXPORT_KEEP_MS) {
        if (job.file) rmSync(job.file, { force: true });
        this.jobs.delete(id);
      }
    }
    // A file without a job (a crash mid-write) goes too.
    const known = new Set([...this.jobs.values()].map((j) => j.file && path.basename(j.file)));
    for (const f of readdirSync(this.dir)) if (!known.has(f) && !f.startsWith('.')) rmSync(path.join(this.dir, f), { force: true });
  }

  close(): void {
    clearInterval(this.timer);
  }
}
