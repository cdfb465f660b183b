// Windows notices: a toast in the user's interactive session. A service (SYSTEM, session 0) cannot
// show UI itself, so it writes a small PowerShell script and runs it through a one-off scheduled
// task registered for that user with /IT (runs only in the user's interactive session). The script
// and the schtasks command lines are pure functions, unit-tested on Linux; the OS part only runs on
// Windows. All notice text is XML-escaped inside a single-quoted here-string: PowerShell interprets
// nothing in it, and the escaped text can never contain the closing `'@`.
import { randomUUID } from 'node:crypto';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { failureDetail, runCommand } from './run.js';
import type { DeliveryResult, NoticeTarget, NotificationContent, Notifier } from './types.js';

export const WIN32_CHANNEL = 'windows-toast';
/** schtasks refuses a /TR command line longer than this. */
export const SCHTASKS_TR_MAX = 261;
/** PowerShell's own AppUserModelID: registered on every Windows 10/11, so toasts show without installing a shortcut. */
export const TOAST_APP_ID = '{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\WindowsPowerShell\\v1.0\\powershell.exe';
/** The task and its script are removed after this long (the toast has been shown by then). */
const CLEANUP_AFTER_MS = 60_000;
const SCHTASKS_TIMEOUT_MS = 15_000;

export interface Win32NotifierOptions {
  /** Folder for the per-notice scripts; must be readable by users (default %ProgramData%\Edict\notices). */
  scriptDir?: string;
}

export function win32Notifier(opts: Win32NotifierOptions = {}): Notifier {
  const scriptDir = opts.scriptDir ?? path.win32.join(process.env.ProgramData ?? 'C:\\ProgramData', 'Edict', 'notices');
  return {
    channel: WIN32_CHANNEL,
    async deliver(target, notice): Promise<DeliveryResult> {
      const id = randomUUID();
      mkdirSync(scriptDir, { recursive: true });
      const script = path.win32.join(scriptDir, `${id}.ps1`);
      // UTF-8 with BOM: Windows PowerShell 5 reads BOM-less scripts in the ANSI code page and would garble Chinese.
      writeFileSync(script, '\ufeff' + toastScript(notice), 'utf8');
      const cmds = schtasksCommands(target.user, script, `Edict\\Notice-${id}`);
      const run = (args: string[]) => runCommand('schtasks.exe', args, { env: process.env, timeoutMs: SCHTASKS_TIMEOUT_MS });
      const cleanup = () =>
        setTimeout(() => {
          void run(cmds.remove).finally(() => {
            try {
              unlinkSync(script);
            } catch (err) {
              // Best effort: a leftover script holds one notice's text and nothing else.
              if ((err as NodeJS.ErrnoException).code !== 'ENOENT') console.error(`edict-agent: could not remove ${script}: ${(err as Error).message}`);
            }
          });
        }, CLEANUP_AFTER_MS).unref();
      const created = await run(cmds.create);
      if (created.code !== 0) {
        cleanup();
        return { delivered: false, channel: WIN32_CHANNEL, detail: failureDetail('schtasks /Create failed', created) };
      }
      const started = await run(cmds.run);
      cleanup();
      return started.code === 0 ? { delivered: true, channel: WIN32_CHANNEL } : { delivered: false, channel: WIN32_CHANNEL, detail: failureDetail('schtasks /Run failed', started) };
    },
    async loggedInUsers() {
      const r = await runCommand('query.exe', ['user'], { env: process.env, timeoutMs: 5000 });
      // `query user` exits 1 when nobody is logged on; its output is what counts.
      return parseQueryUser(r.stdout);
    },
  };
}

/** PowerShell that shows one toast with the notice's title, body and (inert) action buttons. */
export function toastScript(notice: NotificationContent): string {
  const scenario = notice.urgency === 'critical' ? ' scenario="reminder"' : '';
  const actions = notice.actions.length
    ? `<actions>${notice.actions.map((a) => `<action content="${xmlEscape(a.label)}" arguments="${xmlEscape(a.id)}" activationType="background"/>`).join('')}</actions>`
    : '';
  const xml = `<toast${scenario}><visual><binding template="ToastGeneric"><text>${xmlEscape(notice.title)}</text><text>${xmlEscape(notice.body)}</text></binding></visual>${actions}</toast>`;
  return [
    "$ErrorActionPreference = 'Stop'",
    '[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] | Out-Null',
    '[Windows.Data.Xml.Dom.XmlDocument, Windows.Data.Xml.Dom.XmlDocument, ContentType = WindowsRuntime] | Out-Null',
    '$xml = New-Object Windows.Data.Xml.Dom.XmlDocument',
    "$xml.LoadXml(@'",
    xml,
    "'@)",
    '$toast = New-Object Windows.UI.Notifications.ToastNotification $xml',
    `[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('${TOAST_APP_ID}').Show($toast)`,
    '',
  ].join('\r\n');
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** schtasks argument lists: register a one-off interactive task for `user`, run it, delete it. */
export function schtasksCommands(user: string, scriptPath: string, taskName: string): { create: string[]; run: string[]; remove: string[] } {
  const tr = `powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -WindowStyle Hidden -File "${scriptPath}"`;
  if (tr.length > SCHTASKS_TR_MAX) throw new Error(`schtasks /TR would be ${tr.length} characters (max ${SCHTASKS_TR_MAX}); use a shorter script folder`);
  if (/["\r\n]/.test(user) || /["\r\n]/.test(taskName)) throw new Error('user and task name must not contain quotes or line breaks');
  return {
    // /SC ONCE needs a start time; the task is started explicitly by /Run, so any time will do.
    create: ['/Create', '/TN', taskName, '/TR', tr, '/SC', 'ONCE', '/ST', '00:00', '/RU', user, '/IT', '/F'],
    run: ['/Run', '/TN', taskName],
    remove: ['/Delete', '/TN', taskName, '/F'],
  };
}

/**
 * `query user` output → active sessions. Columns: USERNAME SESSIONNAME ID STATE IDLE LOGON; the
 * current session's line starts with '>', a disconnected session has no SESSIONNAME.
 */
export function parseQueryUser(text: string): NoticeTarget[] {
  const out: NoticeTarget[] = [];
  for (const raw of text.split(/\r?\n/).slice(1)) {
    const cols = raw.replace(/^>/, ' ').trim().split(/\s+/);
    if (cols.length < 4) continue;
    const user = cols[0]!;
    const state = /^\d+$/.test(cols[1]!) ? cols[2] : cols[3]; // SESSIONNAME may be empty
    if (state !== 'Active') continue;
    out.push({ user, home: `C:\\Users\\${user}` });
  }
  return out;
}
