// Renders a notice in a helper process (render-helper.ts), so the agent never loads ICU's locale
// and time-zone data for it (see there). Where the helper cannot run (it is not a separate file,
// e.g. in a single-file build, or it fails), the notice is rendered in-process instead: a notice is
// never lost to this optimisation.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log.js';
import type { Locale, NoticeInput, RenderedNotice } from './render.js';

/** Starting Node and formatting takes well under a second; a stuck helper must not hold a notice up. */
const HELPER_TIMEOUT_MS = 15_000;
const MAX_OUTPUT_BYTES = 256 * 1024;

function helperPath(): string | undefined {
  try {
    const p = fileURLToPath(new URL('./render-helper.js', import.meta.url));
    return existsSync(p) ? p : undefined;
  } catch {
    return undefined; // not loaded from a file URL (a bundle): render in-process
  }
}

export async function renderApart(
  input: NoticeInput,
  locale: Locale,
  now: Date,
  timeZone: string | undefined,
  o: { log?: Logger; helper?: string | null } = {},
): Promise<RenderedNotice> {
  const { log } = o;
  // `helper: null` forces in-process rendering; a path overrides the one next to this module.
  const helper = o.helper === null ? undefined : (o.helper ?? helperPath());
  if (helper) {
    try {
      return await runHelper(helper, { input, locale, nowMs: now.getTime(), ...(timeZone ? { timeZone } : {}) });
    } catch (err) {
      log?.warn({ err: (err as Error).message }, 'notice helper failed; rendering in the agent');
    }
  }
  const { renderNotice } = await import('./render.js');
  return renderNotice(input, locale, now, timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone);
}

function runHelper(helper: string, request: unknown): Promise<RenderedNotice> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [helper], { stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), HELPER_TIMEOUT_MS);
    child.stdout!.on('data', (b: Buffer) => {
      if (out.length < MAX_OUTPUT_BYTES) out += b.toString('utf8');
    });
    child.stderr!.on('data', (b: Buffer) => {
      if (err.length < MAX_OUTPUT_BYTES) err += b.toString('utf8');
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      try {
        if (code !== 0) throw new Error(`exit ${code ?? signal}: ${err.trim().split('\n').pop() ?? ''}`);
        const r = JSON.parse(out) as RenderedNotice;
        if (typeof r?.title !== 'string' || typeof r.body !== 'string' || !Array.isArray(r.actions)) throw new Error('unexpected output');
        resolve(r);
      } catch (e) {
        reject(e);
      }
    });
    child.stdin!.end(JSON.stringify(request));
  });
}
