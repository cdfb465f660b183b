// Content identity of native executables: SHA-256 and the catalog's marker strings, computed in one
// streaming pass and cached by file version (device, inode, size, mtime, ctime), so a 250 MB binary
// is read once per version of the file, not once per poll. The agent persists the cache
// (fingerprints.json in its state folder, bounded, least recently used dropped first), so a restart
// reads nothing again either; a corrupt cache file is moved aside with a logged error and rebuilt.
// Only ELF, Mach-O and PE files are looked at: a script or a text file that merely mentions a tool's
// name is not the tool. Nothing from the file leaves this module except the hash and which
// catalogued markers it contains.
import { openSync, readSync, readlinkSync, closeSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from '../log.js';
import type { CatalogIndex } from '../matcher.js';
import { readJsonFile, writeJsonAtomic } from '../state/json-file.js';
import { tolerate } from './problems.js';

/** Largest file hashed: the biggest known tool binary is ~380 MB; this bounds one read. */
export const CONTENT_MAX_BYTES = 1024 * 1024 * 1024;
/** Smallest file worth reading: real tool binaries are megabytes; tiny ELF stubs are not tools. */
export const CONTENT_MIN_BYTES = 64 * 1024;
/** Read size: large enough that per-chunk marker searches stay cheap. */
const CHUNK_BYTES = 1024 * 1024;
/** Cached entries kept (the persisted file stays under ~1 MB); a workstation runs a few hundred distinct executables. */
const CACHE_MAX_ENTRIES = 4096;

export interface ContentFacts {
  sha256: string;
  /** Marker strings (of those searched) that occur in the file. */
  found: Set<string>;
  /** Marker strings that were searched for; a catalog with new markers triggers a re-read. */
  searched: Set<string>;
}

export interface ContentMatch {
  toolId: string;
  via: 'hash' | 'markers';
  sha256: string;
  signature: string;
}

const FingerprintFile = z.strictObject({
  version: z.literal(1),
  /** Distinct marker lists searched (entries refer to them by index: the catalog's list is long and shared). */
  markerSets: z.array(z.array(z.string())),
  /** [file version key, sha256, markers found, index of the marker list searched], oldest first. */
  entries: z.array(z.tuple([z.string(), z.string().regex(/^[0-9a-f]{64}$/), z.array(z.string()), z.number().int().min(0)])).max(CACHE_MAX_ENTRIES),
});

/** Facts per file version, least recently used first; optionally persisted to one file. */
export class FingerprintCache {
  private readonly map = new Map<string, ContentFacts>();

  constructor(private readonly maxEntries = CACHE_MAX_ENTRIES) {}
  private file?: string;
  log?: Logger;
  private dirty = false;

  get size(): number {
    return this.map.size;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  get(key: string): ContentFacts | undefined {
    const hit = this.map.get(key);
    if (hit) {
      // Most recently used goes last, so eviction drops what has not been seen for longest.
      this.map.delete(key);
      this.map.set(key, hit);
    }
    return hit;
  }

  set(key: string, facts: ContentFacts): void {
    this.map.delete(key);
    if (this.map.size >= this.maxEntries) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, facts);
    this.dirty = true;
  }

  clear(): void {
    this.map.clear();
    this.dirty = !!this.file;
  }

  /** Loads `file` (if present) and persists there from now on. A corrupt file is moved aside with a logged error. */
  attach(file: string, log?: Logger): void {
    this.file = file;
    this.log = log;
    const data = readJsonFile(file, FingerprintFile, log);
    if (!data) return;
    // Oldest first in the file: when it holds more than this cache keeps, the newest are kept.
    for (const [key, sha256, found, set] of data.entries.slice(-this.maxEntries)) {
      const searched = data.markerSets[set];
      if (!searched) continue; // a dangling index: that entry is simply computed again
      this.map.set(key, { sha256, found: new Set(found), searched: new Set(searched) });
    }
  }

  /** Writes the cache if it changed since the last save (atomically: a crash leaves the old or the new file). */
  save(): void {
    if (!this.file || !this.dirty) return;
    const sets = new Map<string, number>();
    const markerSets: string[][] = [];
    const entries: [string, string, string[], number][] = [];
    for (const [key, f] of this.map) {
      const list = [...f.searched].sort();
      const id = JSON.stringify(list);
      let set = sets.get(id);
      if (set === undefined) {
        sets.set(id, (set = markerSets.length));
        markerSets.push(list);
      }
      entries.push([key, f.sha256, [...f.found], set]);
    }
    try {
      writeJsonAtomic(this.file, { version: 1, markerSets, entries }, undefined, { durable: false }); // a cache: lost, it is rebuilt
      this.dirty = false;
    } catch (err) {
      this.log?.error({ file: this.file, err: (err as Error).message }, 'could not save the fingerprint cache; it is kept in memory');
    }
  }
}

const cache = new FingerprintCache();
let reads = 0;

/** Files read so far (for tests and the bench: proves the cache works). */
export function contentReads(): number {
  return reads;
}

export function clearContentCache(): void {
  cache.clear();
}

/** The agent's persisted fingerprint cache: load it from `file` and save there (see saveFingerprints). */
export function attachFingerprintFile(file: string, log?: Logger): void {
  cache.attach(file, log);
}

/** Saves the fingerprint cache if anything was added since the last save. */
export function saveFingerprints(): void {
  cache.save();
}

/** How many file versions the cache holds. */
export function cachedFingerprints(): number {
  return cache.size;
}

/** ELF, Mach-O (thin or fat) or PE/COFF by magic number. */
export function isNativeExecutable(file: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const b = Buffer.alloc(4);
    if (readSync(fd, b, 0, 4, 0) < 4) return false;
    const be = b.readUInt32BE(0);
    if (be === 0x7f454c46) return true; // ELF
    if (be === 0xfeedface || be === 0xfeedfacf || be === 0xcefaedfe || be === 0xcffaedfe) return true; // Mach-O 32/64, both byte orders
    if (be === 0xcafebabe) return true; // Mach-O universal (a Java .class has the same magic; never on a tool path)
    return b[0] === 0x4d && b[1] === 0x5a; // "MZ": PE
  } catch (err) {
    tolerate(err, file); // gone; unreadable is a problem (it cannot be identified by content)
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Identifies `file` (a path that opens the executable: a real path, or /proc/<pid>/exe) against
 * the catalog's hashes and marker sets. Returns undefined for non-native, too small or too large
 * files and for files that match nothing.
 */
export async function identifyContent(file: string, index: CatalogIndex): Promise<ContentMatch | undefined> {
  if (!index.hasContentSignatures) return undefined;
  const facts = await contentFacts(file, index.markerStrings);
  if (!facts) return undefined;
  const byHash = index.hashes.get(facts.sha256);
  if (byHash) return { toolId: byHash, via: 'hash', sha256: facts.sha256, signature: `sha256:${facts.sha256}` };
  const rule = index.markerMatch(facts.found);
  if (rule) return { toolId: rule.toolId, via: 'markers', sha256: facts.sha256, signature: `content-markers:${rule.all.join('+')}` };
  return undefined;
}

export async function contentFacts(file: string, markers: readonly string[]): Promise<ContentFacts | undefined> {
  let st;
  try {
    st = statSync(file, { bigint: true });
  } catch (err) {
    tolerate(err, file); // gone: nothing to identify; unreadable is a problem
    return undefined;
  }
  if (!st.isFile() || st.size < CONTENT_MIN_BYTES || st.size > CONTENT_MAX_BYTES) return undefined;
  // ctime too: unlike mtime it cannot be set back by the file's owner, so an edited copy is read again.
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  const hit = cache.get(key);
  if (hit && markers.every((m) => hit.searched.has(m))) return hit;
  if (!isNativeExecutable(file)) return undefined;
  const started = performance.now();
  const facts = await readFacts(file, markers);
  if (!facts) return undefined;
  cache.set(key, facts);
  // Rare (once per version of an executable) and costly: say so, with the file as the process sees it.
  cache.log?.info({ file: shownPath(file), bytes: Number(st.size), ms: Math.round(performance.now() - started) }, 'fingerprinted an executable (once per file version)');
  return facts;
}

function shownPath(file: string): string {
  if (!file.startsWith('/proc/')) return file;
  try {
    return readlinkSync(file);
  } catch {
    return file; // the process ended meanwhile
  }
}

/**
 * One read at a time through one reused buffer: hashing a 100 MB binary allocates nothing per chunk
 * (fresh 1 MB chunks would leave the allocator's heap grown long after). The reads are synchronous,
 * one chunk per turn of the event loop: the file is usually in the page cache (the program is
 * running), and libuv's thread pool, whose threads would each keep an allocator arena and a stack
 * resident afterwards, is not needed for it.
 */
let queue: Promise<unknown> = Promise.resolve();
let scratch: Buffer | undefined;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

function readFacts(file: string, markers: readonly string[]): Promise<ContentFacts | undefined> {
  const run = queue.then(() => readFactsNow(file, markers));
  queue = run.catch(() => undefined);
  return run;
}

async function readFactsNow(file: string, markers: readonly string[]): Promise<ContentFacts | undefined> {
  reads++;
  const hash = createHash('sha256');
  const needles = markers.map((m) => Buffer.from(m, 'utf8'));
  // The last `overlap` bytes of a chunk stay in front of the next, so a marker across the boundary is found.
  const overlap = Math.max(0, ...needles.map((n) => n.length)) - 1;
  if (!scratch || scratch.length < CHUNK_BYTES + overlap) scratch = Buffer.allocUnsafe(CHUNK_BYTES + Math.max(overlap, 1024));
  const buf = scratch;
  const found = new Set<string>();
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    let keep = 0;
    for (let pos = 0; ; ) {
      const bytesRead = readSync(fd, buf, keep, CHUNK_BYTES, pos);
      if (!bytesRead) break;
      pos += bytesRead;
      const end = keep + bytesRead;
      hash.update(buf.subarray(keep, end));
      if (found.size < needles.length) {
        const window = buf.subarray(0, end);
        for (let i = 0; i < needles.length; i++) if (!found.has(markers[i]) && window.indexOf(needles[i]) >= 0) found.add(markers[i]);
      }
      keep = Math.min(overlap, end);
      buf.copy(buf, 0, end - keep, end);
      await nextTurn(); // let polls, messages and timers run between chunks
    }
  } catch (err) {
    tolerate(err, file); // vanished mid-read: identify it on the next look
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { sha256: hash.digest('hex'), found, searched: new Set(markers) };
}
