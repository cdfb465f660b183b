// What a package build is made from: the release version (package.json), the git commit and the
// commit's time as SOURCE_DATE_EPOCH, so that two builds of one commit give the same bytes where
// the formats allow it. A tree with uncommitted changes is marked `-dirty` in the commit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface BuildInfo {
  /** Release version from package.json, e.g. 0.1.0. */
  version: string;
  /** Full commit hash, with `-dirty` when tracked files differ from it. */
  commit: string;
  /** Seconds since the epoch: SOURCE_DATE_EPOCH if set, else the commit's committer time. */
  sourceDateEpoch: number;
  /** Node runtime the packages are built with (the SEA and the server package carry it). */
  nodeVersion: string;
}

function git(root: string, ...args: string[]): string | undefined {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

export function readBuildInfo(root: string, env: NodeJS.ProcessEnv = process.env): BuildInfo {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const head = git(root, 'rev-parse', 'HEAD');
  const dirty = head !== undefined && git(root, 'status', '--porcelain', '--untracked-files=no') !== '';
  const commit = head ? `${head}${dirty ? '-dirty' : ''}` : 'unknown';
  const fromEnv = env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH) ? Number(env.SOURCE_DATE_EPOCH) : undefined;
  const fromGit = Number(git(root, 'log', '-1', '--format=%ct') ?? NaN);
  const sourceDateEpoch = fromEnv ?? (Number.isFinite(fromGit) ? fromGit : 0);
  return { version: pkg.version, commit, sourceDateEpoch, nodeVersion: process.versions.node };
}

/** The short form shown in package descriptions. */
export function shortCommit(commit: string): string {
  return commit.replace(/^([0-9a-f]{12})[0-9a-f]*/, '$1');
}
