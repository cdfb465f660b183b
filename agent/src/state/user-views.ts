// Per-user views of what the agent knows and sends. On a shared machine each employee can read the
// messages and findings that concern them, plus the device-level messages (hello, heartbeat), and
// nobody can read another user's (e.g. the words of their exception request). The full records
// (sent.jsonl, detections.json) stay readable by the agent's user only.
// Files live in `<state>/users/`, a folder only the agent can write to; each user's file is owned
// by that user (mode 0600) so they can read it but cannot redirect the agent's writes elsewhere.
import { appendFileSync, chmodSync, closeSync, constants, existsSync, fchownSync, lstatSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log.js';
import { passwdIndex } from '../platform/posix-users.js';
import { SENT_LOG_MAX_BYTES } from '../constants.js';
import type { KnownDetection } from './agent-state.js';
import { z } from 'zod';
import { ensureDir, readJsonFile, setAside, writeJsonAtomic } from './json-file.js';

const VIEWS_DIR_MODE = 0o711;
const VIEW_FILE_MODE = 0o600;
const DEVICE_LOG = 'sent-device.jsonl';

type AnyMessage = { type: string; events?: { user?: string; detection?: { user: string } }[] };

export function viewPaths(stateDir: string, user?: string) {
  const dir = path.join(stateDir, 'users');
  return {
    dir,
    deviceLog: path.join(stateDir, DEVICE_LOG),
    sent: user ? path.join(dir, `${safe(user)}.sent.jsonl`) : undefined,
    detections: user ? path.join(dir, `${safe(user)}.detections.json`) : undefined,
    requests: user ? path.join(dir, `${safe(user)}.requests.json`) : undefined,
    notices: user ? path.join(dir, `${safe(user)}.notices.json`) : undefined,
  };
}

/** What became of one of the user's requests (read by their `ack` / `request-exception` command). */
export const RequestResult = z.strictObject({
  requestId: z.string(),
  kind: z.enum(['ack', 'exception-request']),
  toolId: z.string(),
  at: z.iso.datetime({ offset: true }),
  accepted: z.boolean(),
  /** Why it was refused, in words the employee can act on. */
  reason: z.string().optional(),
});
export type RequestResult = z.infer<typeof RequestResult>;

/** A notice shown to the user (for the "notices shown to you" part of `status`). */
export const ShownNotice = z.strictObject({
  at: z.iso.datetime({ offset: true }),
  toolId: z.string(),
  kind: z.string(),
  stage: z.string(),
  summary: z.string(),
});
export type ShownNotice = z.infer<typeof ShownNotice>;

/** Entries kept per user in the requests and notices views. */
const VIEW_LIST_MAX = 50;

/** OS user names can hold characters a file name should not. */
function safe(user: string): string {
  return user.replace(/[^A-Za-z0-9._-]/g, '_');
}

export class UserViews {
  /** Users whose findings view was written last time (an emptied view must be rewritten too). */
  private lastUsers = new Set<string>();

  constructor(
    private readonly stateDir: string,
    private readonly log?: Logger,
  ) {}

  private ensureDir(): string {
    const { dir } = viewPaths(this.stateDir);
    ensureDir(dir, VIEWS_DIR_MODE, this.log);
    chmodSync(dir, VIEWS_DIR_MODE);
    return dir;
  }

  /** Records a sent message in the views of the users it concerns (or the device-level log). */
  recordSent(message: AnyMessage, at: Date): void {
    try {
      if (message.type !== 'report') {
        const log = viewPaths(this.stateDir).deviceLog;
        if (existsSync(log) && !lstatSync(log).isFile()) setAside(log, this.log, 'the device-level sent log is not a regular file');
        appendFileSync(log, JSON.stringify({ at: at.toISOString(), message }) + '\n', { mode: 0o644 });
        return;
      }
      const byUser = new Map<string, unknown[]>();
      for (const e of message.events ?? []) {
        const user = e.detection?.user ?? e.user;
        if (!user) continue;
        byUser.set(user, [...(byUser.get(user) ?? []), e]);
      }
      this.ensureDir();
      for (const [user, events] of byUser) this.appendOwned(viewPaths(this.stateDir, user).sent!, user, JSON.stringify({ at: at.toISOString(), message: { ...message, events } }) + '\n');
    } catch (err) {
      this.log?.error({ err: (err as Error).message }, 'could not update the per-user view of sent messages');
    }
  }

  /** Rewrites each user's view of the current findings. */
  writeFindings(known: readonly KnownDetection[]): void {
    try {
      this.ensureDir();
      const byUser = new Map<string, KnownDetection[]>([...this.lastUsers].map((u) => [u, []]));
      for (const k of known) byUser.set(k.detection.user, [...(byUser.get(k.detection.user) ?? []), k]);
      this.lastUsers = new Set(known.map((k) => k.detection.user));
      for (const [user, list] of byUser) {
        const file = viewPaths(this.stateDir, user).detections!;
        writeJsonAtomic(file, list, VIEW_FILE_MODE, { durable: false }); // a copy of detections.json, rebuilt from it
        this.chownTo(file, user);
      }
    } catch (err) {
      this.log?.error({ err: (err as Error).message }, 'could not update the per-user view of findings');
    }
  }

  /** Adds the outcome of a request to the user's own list (newest last). */
  recordRequestResult(user: string, result: RequestResult): void {
    this.appendToList(viewPaths(this.stateDir, user).requests!, user, RequestResult, result, 'requests');
  }

  /** Adds a notice shown to the user to their own list (newest last). */
  recordNotice(user: string, notice: ShownNotice): void {
    this.appendToList(viewPaths(this.stateDir, user).notices!, user, ShownNotice, notice, 'notices');
  }

  private appendToList<S extends z.ZodType>(file: string, user: string, schema: S, entry: z.infer<S>, what: string): void {
    try {
      this.ensureDir();
      const list = readJsonFile(file, z.array(schema), this.log) ?? [];
      writeJsonAtomic(file, [...list, entry].slice(-VIEW_LIST_MAX), VIEW_FILE_MODE);
      this.chownTo(file, user);
    } catch (err) {
      this.log?.error({ err: (err as Error).message }, `could not update the per-user view of ${what}`);
    }
  }

  private appendOwned(file: string, user: string, line: string): void {
    if (existsSync(file) && statSync(file).size > SENT_LOG_MAX_BYTES) renameSync(file, `${file}.1`);
    // O_NOFOLLOW: the folder is the agent's, but never write through a link regardless.
    const fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, VIEW_FILE_MODE);
    try {
      appendFileSync(fd, line);
      this.chownFd(fd, user);
    } finally {
      closeSync(fd);
    }
  }

  private chownFd(fd: number, user: string): void {
    const u = passwdIndex().byName.get(user);
    if (process.getuid?.() !== 0 || u?.uid === undefined) return; // not running as root: the files are already the agent user's
    fchownSync(fd, u.uid, -1);
  }

  private chownTo(file: string, user: string): void {
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      this.chownFd(fd, user);
    } finally {
      closeSync(fd);
    }
  }
}

/** Lines of a JSONL file a caller may read; [] when absent or not readable. */
export function readJsonLines(file: string | undefined): { at: string; message: unknown }[] {
  if (!file || !existsSync(file)) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EACCES') return [];
    throw err;
  }
  const out: { at: string; message: unknown }[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line) as { at: string; message: unknown });
    } catch {
      continue; // a line torn by a crash carries nothing readable
    }
  }
  return out;
}
