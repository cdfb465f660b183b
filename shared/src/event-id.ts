// Event ids as time-ordered UUIDs (RFC 9562 version 7: 48 bits of Unix milliseconds, then 74
// random bits). The server stores every event id once in a B-tree index; ids that start with the
// time land next to each other, so a commit dirties a few index pages instead of one page per event
// as the history grows. Callers pass the instant the event carries as observedAt (the agent's
// server-corrected clock), so the id tells the server nothing new. Any UUID is still accepted.
import { randomFillSync } from 'node:crypto';

const bytes = new Uint8Array(16);
const hex = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** A version-7 UUID for `atMs` (default now). */
export function eventId(atMs: number = Date.now()): string {
  randomFillSync(bytes, 6, 10);
  const ms = Math.max(0, Math.floor(atMs));
  // 48-bit big-endian milliseconds (split so no step exceeds 2^53).
  const hi = Math.floor(ms / 2 ** 16);
  bytes[0] = (hi >>> 24) & 0xff;
  bytes[1] = (hi >>> 16) & 0xff;
  bytes[2] = (hi >>> 8) & 0xff;
  bytes[3] = hi & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | (bytes[6] & 0x0f); // version 7
  bytes[8] = 0x80 | (bytes[8] & 0x3f); // RFC variant
  let s = '';
  for (let i = 0; i < 16; i++) {
    s += hex[bytes[i]];
    if (i === 3 || i === 5 || i === 7 || i === 9) s += '-';
  }
  return s;
}
