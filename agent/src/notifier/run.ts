// Runs one helper program (gdbus, launchctl, schtasks) with a deadline, optionally as another
// user, and collects its output. Used by the platform notifiers; output is capped so a chatty
// helper cannot grow the agent's memory.
import { spawn } from 'node:child_process';

/** More than any helper prints for one notification; the rest is dropped. */
const MAX_OUTPUT_BYTES = 64 * 1024;

export interface RunOptions {
  uid?: number;
  gid?: number;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Set when the program could not be started or was killed at the deadline. */
  error?: string;
}

export function runCommand(file: string, args: readonly string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let error: string | undefined;
    const child = spawn(file, args, {
      ...(opts.uid !== undefined ? { uid: opts.uid } : {}),
      ...(opts.gid !== undefined ? { gid: opts.gid } : {}),
      env: opts.env,
      cwd: opts.cwd ?? '/', // the agent's own cwd may not be reachable by the user
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const timer = setTimeout(() => {
      error = `timed out after ${opts.timeoutMs} ms`;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    child.stdout!.on('data', (b: Buffer) => {
      if (stdout.length < MAX_OUTPUT_BYTES) stdout += b.toString('utf8');
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (stderr.length < MAX_OUTPUT_BYTES) stderr += b.toString('utf8');
    });
    child.on('error', (err) => {
      error = err.message; // e.g. ENOENT: the helper is not installed
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ...(error ? { error } : {}) });
    });
  });
}

/** One line saying why a helper failed, for DeliveryResult.detail. */
export function failureDetail(what: string, r: RunResult): string {
  const why = r.error ?? (r.stderr.trim() || r.stdout.trim() || `exit ${r.code ?? r.signal}`);
  return `${what}: ${why.split('\n')[0]!.slice(0, 300)}`;
}
