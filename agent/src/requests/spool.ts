// Employee requests (`edict-agent ack TOOL`, `edict-agent request-exception TOOL --reason …`) run
// unprivileged and reach the agent (root) through a spool folder in the agent's state dir, mode
// 1733: anyone may create a file, nobody but root may list the folder or touch another's file.
// A request is one small JSON file written atomically (temp file, fsync, rename). The agent takes
// each file, refuses anything odd (symlink, hard link, not a regular file, oversize, bad JSON or
// schema), attributes it to the file's OWNER uid (never to a user name the file claims) and deletes it.
import { randomUUID } from 'node:crypto';
import { closeSync, constants as fsc, fstatSync, fsyncSync, lstatSync, openSync, readSync, readdirSync, renameSync, rmdirSync, chmodSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { MAX_TEXT_CHARS } from '../../../shared/src/constants.js';
import { ToolId } from '../../../shared/src/protocol/common.js';
import { passwdIndex } from '../platform/posix-users.js';
import { ensureDir } from '../state/json-file.js';

/** Sticky, world-writable, not world-readable: create yes, list or delete others' files no. */
export const SPOOL_DIR_MODE = 0o1733;
/** A request file is readable by its writer (and root) only: it carries the employee's reason. */
export const REQUEST_FILE_MODE = 0o600;
/** A reason is at most MAX_TEXT_CHARS characters (≤ 4 bytes each in UTF-8) plus a few small fields. */
export const MAX_REQUEST_BYTES = 4 * MAX_TEXT_CHARS + 1024;
/** A writer that crashed mid-write leaves a temp file; after this long it is abandoned and removed. */
export const STALE_TEMP_MS = 10 * 60_000;
/** Per user per take: an employee has no reason to file more, and a script must not flood the server. */
export const MAX_REQUESTS_PER_USER_PER_TAKE = 20;

export const SPOOL_FOLDER = 'requests';

export const EmployeeRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('ack'),
    /** Becomes the event id, so a request taken twice (a crash in between) is stored once. */
    requestId: z.uuid().optional(),
    toolId: ToolId,
    at: z.iso.datetime(),
    /** Who the writer believed it was; informational only, attribution uses the file owner. */
    user: z.string().max(256).optional(),
  }),
  z.strictObject({
    kind: z.literal('exception-request'),
    requestId: z.uuid(),
    toolId: ToolId,
    reason: z.string().trim().min(1).max(MAX_TEXT_CHARS),
    at: z.iso.datetime(),
    user: z.string().max(256).optional(),
  }),
]);
export type EmployeeRequest = z.infer<typeof EmployeeRequest>;

export type NewRequest = { kind: 'ack'; toolId: string } | { kind: 'exception-request'; toolId: string; reason: string };

export interface TakenRequest {
  /** The spool file, still on disk when taken with `keepValid` (remove it once the request is safe). */
  file: string;
  /** OS user owning the request file (from its uid). */
  user: string;
  uid: number;
  request: EmployeeRequest;
}

export interface SpoolLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function requestsDir(stateDir: string): string {
  return path.join(stateDir, SPOOL_FOLDER);
}

/**
 * Agent side, at start: creates the spool with SPOOL_DIR_MODE (chmod after mkdir: the umask would
 * strip bits). Refuses a spool that is a symlink or owned by someone else (pre-planted). Returns
 * whether other users can reach it at all: the state dir must let them traverse (o+x).
 */
export function ensureSpool(stateDir: string, log?: SpoolLog): { dir: string; reachableByUsers: boolean } {
  const dir = requestsDir(stateDir);
  // A file or link where the spool should be is set aside (the state folder is the agent's: only
  // the agent's user could have put it there), then the spool is made afresh.
  ensureDir(dir, SPOOL_DIR_MODE, log);
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory (symlink?); refusing to use it as the request spool`);
  const me = process.getuid?.();
  if (me !== undefined && st.uid !== me) throw new Error(`${dir} is owned by uid ${st.uid}, not by the agent (uid ${me}); refusing to use it`);
  if ((st.mode & 0o7777) !== SPOOL_DIR_MODE) chmodSync(dir, SPOOL_DIR_MODE);
  const parentMode = lstatSync(stateDir).mode;
  return { dir, reachableByUsers: (parentMode & 0o001) !== 0 };
}

/**
 * Employee side: writes one request file atomically and returns its path and content. Throws a
 * readable error when the spool is missing (agent not installed) or not writable.
 */
export function writeRequest(stateDir: string, req: NewRequest, now = new Date()): { file: string; request: EmployeeRequest } {
  const dir = requestsDir(stateDir);
  const user = safeUserName();
  const request = EmployeeRequest.parse(
    req.kind === 'ack'
      ? { kind: 'ack', requestId: randomUUID(), toolId: req.toolId, at: now.toISOString(), ...(user ? { user } : {}) }
      : { kind: 'exception-request', requestId: randomUUID(), toolId: req.toolId, reason: req.reason, at: now.toISOString(), ...(user ? { user } : {}) },
  );
  const id = randomUUID();
  const tmp = path.join(dir, `.${id}.tmp`);
  const file = path.join(dir, `${id}.json`);
  let fd: number;
  try {
    fd = openSync(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, REQUEST_FILE_MODE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new Error(`the Edict agent's request folder ${dir} does not exist: is the agent installed and running?`);
    if (code === 'EACCES') throw new Error(`cannot write to the Edict agent's request folder ${dir} (permission denied)`);
    throw err;
  }
  try {
    writeSync(fd, JSON.stringify(request) + '\n');
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  return { file, request };
}

/** Agent side: every valid request in the spool, oldest first; every file looked at is removed. */
export function takeRequests(
  stateDir: string,
  opts: { log?: SpoolLog; userName?: (uid: number) => string | undefined; now?: Date; keepValid?: boolean } = {},
): TakenRequest[] {
  const dir = requestsDir(stateDir);
  const log = opts.log;
  const nameOf = opts.userName ?? passwdLookup();
  const nowMs = (opts.now ?? new Date()).getTime();
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []; // no spool yet: nothing was requested
    throw err;
  }

  const candidates: { name: string; file: string; st: Stats }[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    let st: Stats;
    try {
      st = lstatSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // renamed into place or removed since readdir
      throw err;
    }
    if (name.startsWith('.') && name.endsWith('.tmp')) {
      if (nowMs - st.mtimeMs > STALE_TEMP_MS) remove(file, log, 'stale temp file of an interrupted request');
      continue; // a writer is still busy with it
    }
    candidates.push({ name, file, st });
  }
  candidates.sort((a, b) => a.st.mtimeMs - b.st.mtimeMs || a.name.localeCompare(b.name));

  const perUid = new Map<number, number>();
  const out: TakenRequest[] = [];
  for (const { name, file, st } of candidates) {
    const refuse = (why: string) => {
      log?.warn({ file: name, uid: st.uid, why }, 'refused an employee request file');
      remove(file, log, why, st.isDirectory());
    };
    if (!st.isFile()) {
      refuse(st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'a folder' : 'not a regular file');
      continue;
    }
    if (st.nlink > 1) {
      refuse('hard link'); // could point at another user's file
      continue;
    }
    if (st.size > MAX_REQUEST_BYTES) {
      refuse(`larger than ${MAX_REQUEST_BYTES} bytes`);
      continue;
    }
    const count = (perUid.get(st.uid) ?? 0) + 1;
    perUid.set(st.uid, count);
    if (count > MAX_REQUESTS_PER_USER_PER_TAKE) {
      refuse(`more than ${MAX_REQUESTS_PER_USER_PER_TAKE} requests from one user at once`);
      continue;
    }
    const read = readOwned(file, st);
    const discard = () => remove(file, log, 'refused');
    if (!opts.keepValid) remove(file, log, 'taken');
    if ('error' in read) {
      if (opts.keepValid) discard();
      log?.warn({ file: name, uid: st.uid, why: read.error }, 'refused an employee request file');
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(read.text);
    } catch (err) {
      log?.warn({ file: name, uid: read.uid, why: `not JSON: ${(err as Error).message}` }, 'refused an employee request file');
      if (opts.keepValid) discard();
      continue;
    }
    const parsed = EmployeeRequest.safeParse(json);
    if (!parsed.success) {
      if (opts.keepValid) discard();
      log?.warn({ file: name, uid: read.uid, why: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') }, 'refused an employee request file');
      continue;
    }
    const user = nameOf(read.uid) ?? `uid:${read.uid}`;
    if (parsed.data.user !== undefined && parsed.data.user !== user) {
      log?.warn({ file: name, owner: user, claimed: parsed.data.user }, 'request claims another user; attributed to the file owner');
    }
    out.push({ file, user, uid: read.uid, request: parsed.data });
  }
  return out;
}

/** Removes a request file once its event is safely in the outbox. */
export function removeRequest(file: string, log?: SpoolLog): void {
  remove(file, log, 'taken');
}

/** Opens without following links and checks it is the same regular file lstat saw (no swap in between). */
function readOwned(file: string, seen: Stats): { text: string; uid: number } | { error: string } {
  let fd: number;
  try {
    fd = openSync(file, fsc.O_RDONLY | fsc.O_NOFOLLOW | fsc.O_NONBLOCK);
  } catch (err) {
    return { error: `cannot open: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.ino !== seen.ino || st.dev !== seen.dev || st.nlink > 1) return { error: 'file changed while being read' };
    const buf = Buffer.alloc(MAX_REQUEST_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_REQUEST_BYTES) return { error: `larger than ${MAX_REQUEST_BYTES} bytes` };
    return { text: buf.toString('utf8', 0, n), uid: st.uid };
  } finally {
    closeSync(fd);
  }
}

function remove(file: string, log: SpoolLog | undefined, why: string, isDir = false): void {
  try {
    // A folder is removed only when empty (never recursively: its contents are the writer's, and
    // a tree can be swapped under a recursive delete). A non-empty one stays, logged once per period.
    if (isDir) rmdirSync(file);
    else unlinkSync(file);
  } catch (err) {
    // Not fatal (already gone, or a read-only disk): log so a file taken twice can be explained.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') log?.error({ file, why, err: (err as Error).message }, 'could not remove a request file');
  }
}

function passwdLookup(): (uid: number) => string | undefined {
  return (uid) => passwdIndex().byUid.get(uid)?.user;
}

function safeUserName(): string | undefined {
  try {
    return os.userInfo().username;
  } catch (err) {
    // A uid without a passwd entry (containers): the agent uses the file owner anyway.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as Error).name === 'SystemError') return undefined;
    throw err;
  }
}
