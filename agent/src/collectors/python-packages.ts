// Python distributions (pip, pip --user, pipx and uv tool venvs, pyenv versions, system
// site-packages, and virtual environments anywhere in a home: ~/.virtualenvs/NAME, a project's
// .venv, conda environments): every `<name>-<version>.dist-info` / `.egg-info` folder whose PEP
// 503-normalised name is catalogued. An environment is a folder holding `pyvenv.cfg` (venv,
// virtualenv, uv, pipx) or `conda-meta/` (conda, mamba); they are searched for with a depth and a
// folder-count bound, never through symlinks, and a site-packages folder that resolves outside the
// home is not read. An environment found once is looked at directly on later scans, so the bound
// never makes a known one "disappear". A venv belongs to the user whose home holds it.
import { readdirSync, realpathSync, type Dirent } from 'node:fs';
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { normalizePythonName } from '../matcher.js';
import { CONFIDENCE } from './confidence.js';
import { expandGlob, ownerName, statOrUndefined } from './fs-util.js';
import { tolerate } from './problems.js';
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

/** How deep below a home an environment is looked for (~/src/org/project/.venv is depth 4). */
export const VENV_MAX_DEPTH = 5;
/** Most folders read per home while looking for environments (a large home stops there). */
export const VENV_MAX_DIRS = 4000;
/** Where environments usually live: read first, whatever the size of the rest of the home. */
const ENV_FOLDERS = ['.virtualenvs', '.venvs', '.local/share/virtualenvs', '.conda/envs', 'miniconda3', 'anaconda3', 'miniforge3', 'mambaforge', 'micromamba/envs'];
/**
 * Hidden folders entered by the search (a home's bulk is in hidden folders of other programs: caches,
 * browsers, editors); the usual places inside .local and .pyenv are looked at directly.
 */
const HIDDEN_ENTERED = new Set(['.venv', '.virtualenvs', '.venvs', '.conda', '.env']);
/** Folders never entered: caches, version control, package trees, other programs' data. */
const SKIP_DIRS = new Set([
  'node_modules', '.git', '.hg', '.svn', '.cache', '.npm', '.nvm', '.cargo', '.rustup', '.m2', '.gradle', '.gem', '.go', 'go',
  'Trash', '.Trash', 'Library', 'AppData', '__pycache__', 'site-packages', 'dist-packages', '.mozilla', '.thunderbird',
  '.vscode', '.vscode-server', '.cursor', '.cursor-server', '.windsurf', '.steam', '.wine', 'snap', '.docker',
]);
/** Environments found before, per home: looked at directly on every scan. */
const knownEnvs = new Map<string, Set<string>>();

export const pythonPackagesCollector: Collector = {
  id: 'python-package',
  sources: ['python-package'],
  phase: 'inventory',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const out: Detection[] = [];
    if (!ctx.index.python.size) return out;
    for (const u of ctx.users) {
      const siteDirs = new Set<string>();
      for (const pattern of USER_SITE_DIRS) for (const dir of expandGlob(path.join(u.home, pattern.slice(2)))) siteDirs.add(dir);
      for (const env of findEnvironments(u.home)) for (const dir of envSiteDirs(env, u.home)) siteDirs.add(dir);
      const real = new Set<string>();
      for (const dir of siteDirs) {
        const r = realOrUndefined(dir);
        if (!r || real.has(r)) continue; // gone, or the same folder reached twice (lib64 -> lib)
        real.add(r);
        out.push(...scanSiteDir(dir, () => u.user, ctx));
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
  } catch (err) {
    tolerate(err, dir); // vanished; unreadable is a problem
    return [];
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

/**
 * Environments under `home`: folders holding `pyvenv.cfg` or `conda-meta/`, breadth first from the
 * usual places, at most VENV_MAX_DEPTH below the home and VENV_MAX_DIRS folders read, never
 * following a symlink (a Dirent of a link is not a directory). Exported for tests.
 */
export function findEnvironments(home: string, maxDepth = VENV_MAX_DEPTH, maxDirs = VENV_MAX_DIRS): string[] {
  const found = new Set<string>();
  const queue: { dir: string; depth: number }[] = ENV_FOLDERS.map((f) => ({ dir: path.join(home, f), depth: f.split('/').length }));
  queue.push({ dir: home, depth: 0 });
  const visited = new Set<string>();
  while (queue.length && visited.size < maxDirs) {
    const { dir, depth } = queue.shift()!;
    if (visited.has(dir)) continue;
    visited.add(dir);
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      tolerate(err, dir); // not there (most usual places are not); unreadable is a problem
      continue;
    }
    const isVenv = entries.some((e) => e.name === 'pyvenv.cfg' && e.isFile());
    const isConda = entries.some((e) => e.name === 'conda-meta' && e.isDirectory());
    if (isVenv || isConda) {
      found.add(dir);
      // A conda installation's base holds its other environments in envs/; a venv holds none.
      if (isConda && entries.some((e) => e.name === 'envs' && e.isDirectory()) && depth < maxDepth) queue.push({ dir: path.join(dir, 'envs'), depth: depth + 1 });
      continue;
    }
    if (depth >= maxDepth) continue;
    for (const e of entries) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name) && (!e.name.startsWith('.') || HIDDEN_ENTERED.has(e.name))) queue.push({ dir: path.join(dir, e.name), depth: depth + 1 });
    }
  }
  let known = knownEnvs.get(home);
  if (!known) knownEnvs.set(home, (known = new Set()));
  for (const env of found) known.add(env);
  // Known ones beyond this scan's bound are still looked at; vanished ones are dropped.
  for (const env of known) if (!found.has(env) && !isDirectory(env)) known.delete(env);
  return [...known];
}

/** site-packages folders of one environment that really lie inside the home (no symlink escape). */
function envSiteDirs(env: string, home: string): string[] {
  const realHome = realOrUndefined(home);
  if (!realHome) return [];
  const dirs = [...expandGlob(path.join(env, 'lib', 'python*', 'site-packages')), ...expandGlob(path.join(env, 'Lib', 'site-packages'))];
  return dirs.filter((d) => {
    const r = realOrUndefined(d);
    return !!r && (r === realHome || r.startsWith(realHome + path.sep));
  });
}

function realOrUndefined(p: string): string | undefined {
  try {
    return realpathSync(p);
  } catch (err) {
    tolerate(err, p);
    return undefined;
  }
}

function isDirectory(p: string): boolean {
  return statOrUndefined(p)?.isDirectory() ?? false;
}
