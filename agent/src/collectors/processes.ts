// Running processes, matched by: resolved executable path (patterns, or inside the tool's npm
// package), the script a node/bun process runs (traced to its package.json name, links resolved
// inside the process's own root), a package runner running a catalogued package (only when the
// process is itself the runner), content identity of the executable (hash / embedded markers,
// cached per file version), command-line patterns, marker variables in the environment of the
// tool's child processes, and — weakest — the name.
// Only pids not seen before are read closely (process-tracker.ts decides which, and notices exec()
// and pid reuse). Only matching processes leave this module: the process list, command lines and
// environments are never stored or sent.
import path from 'node:path';
import type { Detection } from '../../../shared/src/protocol/index.js';
import { resolveInRoot, runnerInvocation, SCRIPT_HOSTS, type CatalogIndex } from '../matcher.js';
import type { ProcessSnapshot, ProcessSource } from '../platform/index.js';
import { CONFIDENCE } from './confidence.js';
import { identifyContent } from './content-identity.js';
import { ProcessTracker, trackerFor as trackerOf } from './process-tracker.js';
import type { Collector, ScanContext } from './types.js';

/**
 * Programs whose arguments carry other programs' command lines as text (shells, terminal
 * multiplexers, wrappers, search and viewing tools): command-line patterns are never applied to
 * them, so `tmux new-session 'node …/cli.js'` or `grep …/cli.js log` is not the tool. The program
 * they start is a process of its own and is matched as such.
 */
const TEXT_CARRIERS = new Set([
  'sh', 'bash', 'dash', 'zsh', 'fish', 'ksh', 'mksh', 'csh', 'tcsh', 'busybox',
  'tmux', 'tmux: server', 'screen', 'script', 'dtach', 'abduco', 'zellij',
  'sudo', 'su', 'doas', 'runuser', 'env', 'nohup', 'timeout', 'nice', 'ionice', 'stdbuf', 'setsid', 'xargs', 'watch', 'time',
  'flock', 'chroot', 'unshare', 'nsenter', 'systemd-run', 'ssh', 'strace', 'ltrace', 'gdb', 'perf', 'valgrind',
  'grep', 'egrep', 'fgrep', 'rg', 'ag', 'ack', 'sed', 'awk', 'gawk', 'mawk', 'less', 'more', 'most', 'cat', 'tail', 'head',
  'vi', 'vim', 'nvim', 'nano', 'emacs', 'find', 'locate', 'ps', 'pgrep', 'pkill', 'top', 'htop', 'man', 'journalctl',
]);

/** The tracker of this catalog (process-tracker.ts): what each pid was, so a poll reads only new ones. */
export function trackerFor(index: CatalogIndex): ProcessTracker {
  return trackerOf(index, () => new ProcessTracker(matchProcess, detection));
}

export const processesCollector: Collector = {
  id: 'process',
  sources: ['process'],
  phase: 'process',
  async collect(ctx: ScanContext): Promise<Detection[]> {
    const tracker = trackerFor(ctx.index);
    await tracker.poll(ctx, ctx.platform.processSource());
    return tracker.detections();
  },
};

export function detection(ctx: ScanContext, source: ProcessSource, p: ProcessSnapshot, toolId: string, signature: string, confidence: number, extra: { version?: string; sha256?: string } = {}): Detection {
  const user = p.uid !== undefined ? (ctx.platform.userName(p.uid) ?? `uid:${p.uid}`) : 'unknown';
  const container = source.container?.(p.pid);
  return {
    toolId,
    kind: 'running',
    user,
    evidence: {
      source: 'process',
      signature,
      ...(p.exe ? { path: p.exe } : {}),
      pid: p.pid,
      ...(extra.version ? { version: extra.version } : {}),
      ...(extra.sha256 ? { sha256: extra.sha256 } : {}),
      ...(container ? { container } : {}),
    },
    confidence,
  };
}

/** Everything one process matches, strongest first (the scanner keeps the strongest per place). */
export async function matchProcess(ctx: ScanContext, p: ProcessSnapshot, source: ProcessSource): Promise<Detection[]> {
  const { index } = ctx;
  const hit = (toolId: string, signature: string, confidence: number, extra?: { version?: string; sha256?: string }) => [detection(ctx, source, p, toolId, signature, confidence, extra)];
  const root = source.rootOf?.(p.pid) ?? '';

  if (p.exe) {
    const pattern = index.exeMatch(p.exe);
    if (pattern) return hit(pattern.toolId, `exe-path:${pattern.source}`, CONFIDENCE.exePath);
    const pkg = index.packageOf(p.exe, root);
    if (pkg) return hit(pkg.toolId, `npm-package:${pkg.name}`, CONFIDENCE.npmPackage, { version: pkg.version });
  }
  const exeBase = path.basename(p.exe ?? '').toLowerCase();
  const isHost = SCRIPT_HOSTS.has(exeBase) || (!p.exe && SCRIPT_HOSTS.has(p.name.toLowerCase()));
  const words = p.cmd ? p.cmd.split(/\s+/).filter(Boolean) : [];
  let script: string | undefined;
  if (isHost) {
    script = scriptArg(words);
    if (script) {
      // A bin link (`node /usr/local/bin/gemini`) is resolved where the process lives: inside its
      // own root when it runs in another mount namespace or a container.
      const abs = path.isAbsolute(script) ? script : path.join(source.cwd?.(p.pid) ?? '/', script);
      const pkg = index.packageOf(resolveInRoot(abs, root), root);
      if (pkg) return hit(pkg.toolId, `npm-package:${pkg.name}`, CONFIDENCE.npmPackage, { version: pkg.version });
    }
  }
  const runner = runnerInvocation(exeBase || p.name.toLowerCase(), words, index);
  if (runner) return hit(runner.toolId, `runner:${runner.runner} ${runner.name}`, CONFIDENCE.runner);
  if (p.exe) {
    const id = await identifyContent(source.exeHandle?.(p.pid) ?? root + p.exe, index);
    if (id) return hit(id.toolId, id.signature, id.via === 'hash' ? CONFIDENCE.contentHash : CONFIDENCE.contentMarkers, { sha256: id.sha256 });
  }
  // Argument text (weak): a script host's own program path, or another program's command line
  // unless that program only carries other command lines as text.
  const text = isHost ? script : TEXT_CARRIERS.has(exeBase) || TEXT_CARRIERS.has(p.name.toLowerCase()) ? undefined : p.cmd;
  const pattern = text ? index.cmdMatch(text) : undefined;
  if (pattern) return hit(pattern.toolId, `cmdline:${pattern.source}`, CONFIDENCE.cmdline);
  // Name only: the executable file itself must carry the name (a script named like the tool runs
  // under its interpreter, so its exe is sh/bash and does not count). A node process whose title
  // was set to the tool's name is the legacy Node build of a CLI.
  const byExe = exeBase ? index.processNames.get(exeBase.replace(/\.exe$/, '')) : undefined;
  if (byExe) return hit(byExe[0], `process-name:${exeBase}`, CONFIDENCE.processName);
  const byTitle = index.processNames.get(p.name.toLowerCase());
  if (byTitle && (!p.exe || isHost)) return hit(byTitle[0], `process-title:${p.name}`, CONFIDENCE.processTitle);
  return [];
}

/**
 * The script argument of `node [flags] script …` (flags taking a value, like `-r x`, are skipped
 * with it). None when argv[0] is not the interpreter: the program rewrote its title (npm shows
 * `npm exec PKG`), so the words after it are not a script path.
 */
function scriptArg(words: readonly string[]): string | undefined {
  if (!words.length || !SCRIPT_HOSTS.has(path.basename(words[0]!).toLowerCase())) return undefined;
  const parts = words.slice(1);
  for (let i = 0; i < parts.length; i++) {
    const a = parts[i];
    if (!a) continue;
    if (a === '-r' || a === '--require' || a === '--import' || a === '--loader') {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    return a;
  }
  return undefined;
}
