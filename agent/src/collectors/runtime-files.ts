// Per-pid runtime files tools write while they run (e.g. ~/.claude/sessions/<pid>.json). They
// survive renames of the binary, but also outlive a killed process, so one counts only when its pid
// is alive and (where the OS tells process start times) started before the file was last written:
// a newer process that reused the pid is not the tool. Only the pid in the file name is used; the
// file is never opened (some of these files hold tokens). The folders are listed again only when
// their mtime changed (a file created or removed in them), so a look costs a stat per folder.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { MAX_GLOB_MATCHES } from '../constants.js';
import { CONFIDENCE } from './confidence.js';
import { expandHome, statOrUndefined } from './fs-util.js';
import type { Collector, ScanContext } from './types.js';

/** Folder listings remembered (a few per user and tool); past this the memory starts over. */
const MAX_LISTINGS = 4096;
/**
 * A listing is trusted only when the folder's mtime was this much older than the listing: the
 * clock behind mtimes ticks coarsely, so a file created just after a listing can leave the mtime
 * unchanged (the "racy" case git handles the same way).
 */
const RACY_MS = 2000;
const listings = new Map<string, { ino: bigint; mtimeNs: bigint; settled: boolean; entries: string[] }>();

/** Start time (from boot time + 10 ms ticks) and file mtime come from different clocks: allow this much skew. */
const START_SLACK_MS = 2000;

export const runtimeFilesCollector: Collector = {
  id: 'runtime-file',
  sources: ['runtime-file'],
  phase: 'process',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const source = ctx.platform.processSource();
    const out: Detection[] = [];
    const tools = ctx.index.tools;
    for (let t = 0; t < tools.length; t++) {
      const tool = tools[t];
      const patterns = tool.signatures.runtimeFiles;
      for (let p = 0; p < patterns.length; p++) {
        const pattern = patterns[p];
        const pidRe = patternRegex(pattern);
        for (let i = 0; i < ctx.users.length; i++) {
          const u = ctx.users[i];
          const files = cachedGlob(homeGlob(pattern, u.home));
          for (let f = 0; f < files.length; f++) {
            const file = files[f];
            const m = pidRe.exec(path.sep === '/' ? file : file.split(path.sep).join('/'));
            const pid = m ? Number(m[1]) : NaN;
            if (!Number.isInteger(pid) || pid <= 0 || pid === ctx.selfPid || !source.alive(pid)) continue;
            const st = statOrUndefined(file);
            const started = source.startedAtMs?.(pid);
            if (!st || (started !== undefined && started > st.mtimeMs + START_SLACK_MS)) continue; // pid reused by a later process
            const p = source.read(pid);
            out.push({
              toolId: tool.id,
              kind: 'running',
              user: u.user,
              evidence: { source: 'runtime-file', signature: `runtime-file:${pattern}`, path: p?.exe ?? file, pid },
              confidence: CONFIDENCE.runtimeFile,
            });
          }
        }
      }
    }
    return out;
  },
};

const compiled = new Map<string, RegExp>();
const expanded = new Map<string, string>();

/** The pattern for one home, with `<pid>` as `*` (remembered: the same few pairs every look). */
function homeGlob(pattern: string, home: string): string {
  const key = `${home}\0${pattern}`;
  let g = expanded.get(key);
  if (g === undefined) {
    if (expanded.size >= MAX_LISTINGS) expanded.clear();
    expanded.set(key, (g = expandHome(pattern.replace('<pid>', '*'), home)));
  }
  return g;
}

/** `~/.claude/sessions/<pid>.json` → a regex over a full path capturing the pid (compiled once per pattern). */
export function patternRegex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) compiled.set(pattern, (re = compilePattern(pattern)));
  return re;
}

function compilePattern(pattern: string): RegExp {
  const tail = pattern.replace(/^~\//, '');
  const body = tail
    .split('<pid>')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('(\\d+)');
  return new RegExp('/' + body + '$');
}

/** A folder's entries, listed again only when its inode or mtime changed; undefined if it is not a readable folder. */
function listDir(dir: string): string[] | undefined {
  const st = statSync(dir, { throwIfNoEntry: false, bigint: true });
  if (!st?.isDirectory()) {
    listings.delete(dir);
    return undefined;
  }
  const hit = listings.get(dir);
  if (hit && hit.settled && hit.ino === st.ino && hit.mtimeNs === st.mtimeNs) return hit.entries;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return undefined; // not readable: nothing to find there
  }
  if (listings.size >= MAX_LISTINGS) listings.clear();
  const settled = Date.now() - Number(st.mtimeNs / 1_000_000n) > RACY_MS;
  listings.set(dir, { ino: st.ino, mtimeNs: st.mtimeNs, settled, entries });
  return entries;
}

/** A glob split once: literal segments, and a RegExp for each `*` segment. */
const globs = new Map<string, { root: string; parts: (string | RegExp)[] }>();

/** Expands `*` path segments through remembered listings; candidates only (the caller stats the ones whose pid is alive). */
export function cachedGlob(pattern: string): string[] {
  let g = globs.get(pattern);
  if (!g) {
    const segs = pattern.split('/');
    g = {
      root: segs[0] === '' ? '' : segs[0],
      parts: segs.slice(1).filter(Boolean).map((part) => (part.includes('*') ? new RegExp('^' + part.split('*').map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$') : part)),
    };
    if (globs.size >= MAX_LISTINGS) globs.clear();
    globs.set(pattern, g);
  }
  let current = [g.root];
  for (let i = 0; i < g.parts.length; i++) {
    const part = g.parts[i];
    const next: string[] = [];
    for (let b = 0; b < current.length; b++) {
      const base = current[b];
      if (typeof part === 'string') {
        next.push(`${base}/${part}`);
        continue;
      }
      const entries = listDir(base || '/');
      if (!entries) continue;
      for (let e = 0; e < entries.length && next.length < MAX_GLOB_MATCHES; e++) if (part.test(entries[e])) next.push(`${base}/${entries[e]}`);
    }
    current = next;
  }
  return current;
}
