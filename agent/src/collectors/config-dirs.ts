// Tool config and data folders in users' home directories (e.g. ~/.claude): evidence that the
// tool was used at some point, reported as `usage` with low confidence. Only the copy in the home
// directory counts; a project folder of the same name is not a trace of the tool.
import type { Detection } from '../../../shared/src/protocol/index.js';
import { CONFIDENCE } from './confidence.js';
import { expandHome, statOrUndefined } from './fs-util.js';
import type { Collector, ScanContext } from './types.js';

export const configDirsCollector: Collector = {
  id: 'config-dir',
  sources: ['config-dir'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    for (const tool of ctx.index.tools) {
      for (const dir of tool.signatures.configDirs) {
        if (!dir.startsWith('~/')) continue;
        for (const u of ctx.users) {
          const p = expandHome(dir, u.home);
          if (statOrUndefined(p)?.isDirectory()) {
            out.push({ toolId: tool.id, kind: 'usage', user: u.user, evidence: { source: 'config-dir', signature: `config-dir:${dir}`, path: p }, confidence: CONFIDENCE.configDir });
          }
        }
      }
    }
    return out;
  },
};
