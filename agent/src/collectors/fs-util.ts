// Small filesystem helpers for collectors: `~` expansion, one-segment `*` globs, owner lookup.
// "Not there" is silent; any other error is a problem of the running collector (problems.ts).
import { readdirSync, statSync, type Stats } from 'node:fs';
import path from 'node:path';
import { MAX_GLOB_MATCHES } from '../constants.js';
import type { Platform } from '../platform/index.js';
import { tolerate } from './problems.js';

export function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p, { throwIfNoEntry: false }); // absent: undefined without the cost of an exception
  } catch (err) {
    tolerate(err, p); // absent: nothing there; unreadable: recorded, the look was incomplete
    return undefined;
  }
}

export function expandHome(pattern: string, home: string): string {
  return pattern === '~' ? home : pattern.startsWith('~/') ? path.join(home, pattern.slice(2)) : pattern;
}

/** Expands `*` path segments (each matches one directory entry); returns existing paths only. */
export function expandGlob(pattern: string): string[] {
  const parts = pattern.split('/');
  let current = [parts[0] === '' ? '/' : parts[0]];
  for (const part of parts.slice(1)) {
    if (!part) continue;
    const next: string[] = [];
    for (const base of current) {
      if (part.includes('*')) {
        const re = new RegExp('^' + part.split('*').map(escapeRe).join('.*') + '$');
        let entries: string[] = [];
        try {
          entries = readdirSync(base);
        } catch (err) {
          tolerate(err, base); // not there, or a recorded problem
          continue;
        }
        for (const e of entries) if (re.test(e) && next.length < MAX_GLOB_MATCHES) next.push(path.join(base, e));
      } else {
        next.push(path.join(base, part));
      }
    }
    current = next;
  }
  return current.filter((p) => statOrUndefined(p) !== undefined);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function ownerName(p: string, platform: Platform, fallback: string): string {
  const st = statOrUndefined(p);
  if (!st) return fallback;
  return platform.userName(st.uid) ?? (process.platform === 'win32' ? fallback : `uid:${st.uid}`);
}
