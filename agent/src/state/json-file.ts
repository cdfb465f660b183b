// Crash-safe JSON files: writes go to a temp file, are fsynced, then renamed over the target, so
// a reader sees the old or the new content, never half. Files the agent can rebuild (what it last
// saw, its status, caches) skip the fsyncs (`durable: false`): the rename still keeps readers from
// seeing half a file, and after a power cut such a file is at worst empty, which reads as corrupt
// and is reset like any corrupt file. A file that is corrupt, fails its schema or is not a regular
// file at all (a folder, a link, a FIFO where a file should be) is moved aside
// (`<name>.corrupt-<time>`) with a logged error and treated as absent; a file where a folder
// should be is moved aside the same way (`ensureDir`). So no odd state file crash-loops the agent.
import { chmodSync, closeSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, type Stats } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Logger } from '../log.js';
import { PRIVATE_FILE_MODE } from '../constants.js';

/** The one logger method these helpers use. */
export interface ErrorLog {
  error(obj: object, msg: string): void;
}

/** Where set-aside notices go when a caller has no logger of its own (the agent sets its logger at start). */
let defaultLog: ErrorLog | undefined;
export function setStateLogger(log: ErrorLog | undefined): void {
  defaultLog = log;
}

export interface WriteOptions {
  /** fsync the file and its folder (default): the write survives a power cut once this returns. */
  durable?: boolean;
}

export function writeFileAtomic(file: string, content: string, mode = PRIVATE_FILE_MODE, o: WriteOptions = {}): void {
  const durable = o.durable ?? true;
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, content);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, file);
  } catch (err) {
    // A folder where the file should be (EISDIR, ENOTEMPTY): set it aside, then write.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    setAside(file, defaultLog, 'a folder stood where this file is written');
    renameSync(tmp, file);
  }
  if (durable) fsyncDir(path.dirname(file));
}

/** Renames `p` to `<p>.corrupt-<time>` (kept for inspection) and logs why. Returns the new name. */
export function setAside(p: string, logger: ErrorLog | undefined, why: string): string | undefined {
  const log = logger ?? defaultLog;
  const aside = `${p}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(p, aside);
  } catch (err) {
    log?.error({ file: p, err: (err as Error).message }, 'could not move an odd state file aside');
    return undefined;
  }
  log?.error({ file: p, movedTo: aside, problem: why }, 'odd state file or folder moved aside');
  return aside;
}

/**
 * Makes `dir` a folder with `mode`: whatever else stands there (a file, a link) is moved aside
 * with a logged error first. Returns whether something was set aside.
 */
export function ensureDir(dir: string, mode: number, log?: ErrorLog): boolean {
  let st: Stats | undefined;
  try {
    st = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  let movedAside = false;
  if (st && !st.isDirectory()) {
    setAside(dir, log, `${st.isSymbolicLink() ? 'a symlink' : 'a file'} stood where a folder should be`);
    movedAside = true;
  }
  mkdirSync(dir, { recursive: true, mode });
  if (!st || movedAside) chmodSync(dir, mode); // the umask may have stripped bits
  return movedAside;
}

function kind(st: Stats): string {
  return st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symlink' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'not a regular file';
}

export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync on Windows
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function writeJsonAtomic(file: string, value: unknown, mode = PRIVATE_FILE_MODE, o: WriteOptions = {}): void {
  writeFileAtomic(file, JSON.stringify(value, null, 2) + '\n', mode, o);
}

/** Reads and validates a JSON file. Missing → undefined. Corrupt or not a file → moved aside, logged, undefined. */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, log?: Logger, moveAside = true): z.infer<S> | undefined {
  let st: Stats;
  try {
    st = lstatSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Not ours to look at (an employee running `status` on the service's files): absent for this reader.
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EACCES' || code === 'EPERM') return undefined;
    throw err;
  }
  if (!st.isFile()) {
    // A folder, link or FIFO where the file should be is never evidence of anything: set aside
    // (unless the caller only reads, like `status`), never opened (a FIFO would block).
    if (moveAside) setAside(file, log, `${kind(st)} where a state file should be`);
    else log?.error({ file, problem: `${kind(st)} where a state file should be` }, 'state file is not valid');
    return undefined;
  }
  let problem: string;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const parsed = schema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
    problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  } catch (err) {
    problem = (err as Error).message;
  }
  if (!moveAside) {
    // The caller reports the problem itself and keeps the file as evidence (e.g. a tampered policy).
    log?.error({ file, problem }, 'state file is not valid');
    return undefined;
  }
  const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(file, aside);
  } catch (err) {
    log?.error({ file, err: (err as Error).message }, 'could not move corrupt state file aside');
  }
  log?.error({ file, movedTo: aside, problem }, 'state file was corrupt; moved aside and reset');
  return undefined;
}
