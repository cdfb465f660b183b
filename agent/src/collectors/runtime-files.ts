// Per-pid runtime files tools write while they run (e.g. ~/.claude/sessions/<pid>.json). They
// survive renames of the binary, but also outlive a killed process, so one counts only when its pid
// is alive and (where the OS tells process start times) started before the file was last written:
// a newer process that reused the pid is not the tool. Only the pid in the file name is used; the
// file is never opened (some of these files hold tokens).
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { CONFIDENCE } from './confidence.js';
import { expandGlob, expandHome, statOrUndefined } from './fs-util.js';
import type { Collector, ScanContext } from './types.js';

/** Start time (from boot time + 10 ms ticks) and file mtime come from different clocks: allow this much skew. */
const START_SLACK_MS = 2000;

export const runtimeFilesCollector: Collector = {
  id: 'runtime-file',
  sources: ['runtime-file'],
  phase: 'process',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const source = ctx.platform.processSource();
    const out: Detection[] = [];
    for (const tool of ctx.index.tools) {
      for (const pattern of tool.signatures.runtimeFiles) {
        const pidRe = patternRegex(pattern);
        for (const u of ctx.users) {
          for (const file of expandGlob(expandHome(pattern.replace('<pid>', '*'), u.home))) {
            const m = pidRe.exec(file.split(path.sep).join('/'));
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

/** `~/.claude/sessions/<pid>.json` → a regex over a full path capturing the pid. */
export function patternRegex(pattern: string): RegExp {
  const tail = pattern.replace(/^~\//, '');
  const body = tail
    .split('<pid>')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('(\\d+)');
  return new RegExp('/' + body + '$');
}
