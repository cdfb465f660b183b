// Content identity of native executables: SHA-256 and the catalog's marker strings, computed in one
// streaming pass and cached by (device, inode, size, mtime), so a 250 MB binary is read once per
// version of the file, not once per poll. Only ELF, Mach-O and PE files are looked at: a script or a
// text file that merely mentions a tool's name is not the tool. Nothing from the file leaves this
// module except the hash and which catalogued markers it contains.
import { createReadStream, openSync, readSync, closeSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { CatalogIndex } from '../matcher.js';
import { tolerate } from './problems.js';

/** Largest file hashed: the biggest known tool binary is ~380 MB; this bounds one read. */
export const CONTENT_MAX_BYTES = 1024 * 1024 * 1024;
/** Smallest file worth reading: real tool binaries are megabytes; tiny ELF stubs are not tools. */
export const CONTENT_MIN_BYTES = 64 * 1024;
/** Read size: large enough that per-chunk marker searches stay cheap. */
const CHUNK_BYTES = 1024 * 1024;
/** Cached entries kept; a workstation runs a few hundred distinct executables. */
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

const cache = new Map<string, ContentFacts>();
let reads = 0;

/** Files read so far (for tests and the bench: proves the cache works). */
export function contentReads(): number {
  return reads;
}

export function clearContentCache(): void {
  cache.clear();
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
    st = statSync(file);
  } catch (err) {
    tolerate(err, file); // gone: nothing to identify; unreadable is a problem
    return undefined;
  }
  if (!st.isFile() || st.size < CONTENT_MIN_BYTES || st.size > CONTENT_MAX_BYTES) return undefined;
  const key = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`;
  const hit = cache.get(key);
  if (hit && markers.every((m) => hit.searched.has(m))) return hit;
  if (!isNativeExecutable(file)) return undefined;
  const facts = await readFacts(file, markers);
  if (!facts) return undefined;
  if (cache.size >= CACHE_MAX_ENTRIES) cache.delete(cache.keys().next().value!); // oldest first
  cache.set(key, facts);
  return facts;
}

async function readFacts(file: string, markers: readonly string[]): Promise<ContentFacts | undefined> {
  reads++;
  const hash = createHash('sha256');
  const needles = markers.map((m) => Buffer.from(m, 'utf8'));
  const overlap = Math.max(0, ...needles.map((n) => n.length)) - 1;
  const found = new Set<string>();
  let tail = Buffer.alloc(0);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
      const c = chunk as Buffer;
      hash.update(c);
      if (found.size === needles.length) continue;
      // Search across the chunk boundary: the last `overlap` bytes of the previous chunk come first.
      const window = tail.length ? Buffer.concat([tail, c]) : c;
      for (let i = 0; i < needles.length; i++) {
        if (!found.has(markers[i]) && window.indexOf(needles[i]) >= 0) found.add(markers[i]);
      }
      tail = overlap > 0 ? Buffer.from(window.subarray(Math.max(0, window.length - overlap))) : tail;
    }
  } catch (err) {
    tolerate(err, file); // vanished mid-read: identify it on the next look
    return undefined;
  }
  return { sha256: hash.digest('hex'), found, searched: new Set(markers) };
}
