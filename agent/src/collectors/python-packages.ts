// Python distributions (pip, pip --user, pipx and uv tool venvs, pyenv versions, system
// site-packages): every `<name>-<version>.dist-info` / `.egg-info` folder whose PEP 503-normalised
// name is catalogued. A pipx/uv venv belongs to the user whose home holds it.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { normalizePythonName } from '../matcher.js';
import { CONFIDENCE } from './confidence.js';
import { expandGlob, ownerName } from './fs-util.js';
import type { Collector, ScanContext } from './types.js';

/** site-packages folders under a home, per installer and OS. */
const USER_SITE_DIRS = [
  '~/.local/lib/python*/site-packages',
  '~/.local/pipx/venvs/*/lib/python*/site-packages',
  '~/.local/share/pipx/venvs/*/lib/python*/site-packages',
  '~/.local/share/uv/tools/*/lib/python*/site-packages',
  '~/.pyenv/versions/*/lib/python*/site-packages',
  '~/Library/Python/*/lib/python/site-packages',
  '~/AppData/Roaming/Python/Python*/site-packages',
  '~/AppData/Local/Programs/Python/Python*/Lib/site-packages',
  '~/AppData/Roaming/uv/tools/*/Lib/site-packages',
  '~/pipx/venvs/*/Lib/site-packages',
];

export const pythonPackagesCollector: Collector = {
  id: 'python-package',
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    if (!ctx.index.python.size) return out;
    for (const u of ctx.users) {
      for (const pattern of USER_SITE_DIRS) {
        for (const dir of expandGlob(path.join(u.home, pattern.slice(2)))) out.push(...scanSiteDir(dir, () => u.user, ctx));
      }
    }
    for (const pattern of ctx.platform.systemPythonDirs()) {
      for (const dir of expandGlob(pattern)) out.push(...scanSiteDir(dir, (p) => ownerName(p, ctx.platform, 'unknown'), ctx));
    }
    return out;
  },
};

/** Detections for one site-packages folder. Exported for tests. */
export function scanSiteDir(dir: string, userOf: (p: string) => string, ctx: Pick<ScanContext, 'index'>): Detection[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return []; // vanished or unreadable
  }
  const out: Detection[] = [];
  for (const e of entries) {
    const m = /^(.+?)-(\d[^-]*?)(?:-py[\d.]+)?\.(dist-info|egg-info)$/.exec(e);
    if (!m) continue;
    const name = normalizePythonName(m[1]);
    const toolId = ctx.index.python.get(name);
    if (!toolId) continue;
    const p = path.join(dir, e);
    out.push({ toolId, kind: 'installed', user: userOf(p), evidence: { source: 'python-package', signature: `python:${name}`, path: p, version: m[2] }, confidence: CONFIDENCE.pythonPackage });
  }
  return out;
}
