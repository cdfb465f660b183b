// Minimal ZIP reader: finds one entry by name through the central directory and inflates it.
// Enough for JetBrains plugin jars (META-INF/plugin.xml). Reads only the end of the file plus the
// one entry, so a 50 MB jar costs a few kilobytes of I/O. No ZIP64, no encryption (plugin jars use
// neither); anything unexpected returns undefined rather than guessing.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { inflateRawSync } from 'node:zlib';
import { tolerate } from './problems.js';

/** End-of-central-directory record is within the last 22 + 65535 (max comment) bytes. */
const EOCD_SEARCH_BYTES = 22 + 0xffff;
/** plugin.xml files are a few KB; refuse anything absurd rather than inflate a bomb. */
const MAX_ENTRY_BYTES = 4 * 1024 * 1024;

export function readZipEntry(file: string, name: string): Buffer | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    const tailLen = Math.min(size, EOCD_SEARCH_BYTES);
    const tail = read(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let i = tail.length - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === 0x06054b50) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) return undefined;
    const cdSize = tail.readUInt32LE(eocd + 12);
    const cdOffset = tail.readUInt32LE(eocd + 16);
    if (cdOffset + cdSize > size) return undefined;
    const cd = read(fd, cdOffset, cdSize);
    for (let p = 0; p + 46 <= cd.length; ) {
      if (cd.readUInt32LE(p) !== 0x02014b50) return undefined;
      const method = cd.readUInt16LE(p + 10);
      const compSize = cd.readUInt32LE(p + 20);
      const rawSize = cd.readUInt32LE(p + 24);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const localOffset = cd.readUInt32LE(p + 42);
      const entryName = cd.toString('utf8', p + 46, p + 46 + nameLen);
      p += 46 + nameLen + extraLen + commentLen;
      if (entryName !== name) continue;
      if (rawSize > MAX_ENTRY_BYTES || compSize > MAX_ENTRY_BYTES) return undefined;
      const local = read(fd, localOffset, 30);
      if (local.readUInt32LE(0) !== 0x04034b50) return undefined;
      const dataStart = localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
      const data = read(fd, dataStart, compSize);
      if (method === 0) return data;
      if (method === 8) return inflateRawSync(data, { maxOutputLength: MAX_ENTRY_BYTES });
      return undefined; // another compression method: not used by jar tools
    }
    return undefined;
  } catch (err) {
    // Truncated or not a zip (a RangeError or a zlib error): not a plugin we can read. A read
    // error of the file itself is a problem.
    if (typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall) tolerate(err, file);
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function read(fd: number, position: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  const n = readSync(fd, b, 0, length, position);
  return n === length ? b : b.subarray(0, n);
}
