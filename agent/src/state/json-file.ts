// Crash-safe JSON files: writes go to a temp file, are fsynced, then renamed over the target, so
// a reader sees the old or the new content, never half. Files the agent can rebuild (what it last
// saw, its status, caches) skip the fsyncs (`durable: false`): the rename still keeps readers from
// seeing half a file, and after a power cut such a file is at worst empty, which reads as corrupt
// and is reset like any corrupt file. A file that is corrupt or fails its
// schema is moved aside (`<name>.corrupt-<time>`) with a logged error and treated as absent, so a
// bad file never crash-loops the agent.
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import type { Logger } from '../log.js';
import { PRIVATE_FILE_MODE } from '../constants.js';

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
  renameSync(tmp, file);
  if (durable) fsyncDir(path.dirname(file));
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

/** Reads and validates a JSON file. Missing → undefined. Corrupt → moved aside, logged, undefined. */
export function readJsonFile<S extends z.ZodType>(file: string, schema: S, log?: Logger, moveAside = true): z.infer<S> | undefined {
  if (!existsSync(file)) return undefined;
  let problem: string;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    // Not ours to read (an employee running `status` on the service's files): absent for this reader, never "corrupt".
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return undefined;
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
