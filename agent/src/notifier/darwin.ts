// macOS notices: `osascript -e 'display notification …'` run in the user's GUI session. The agent
// runs as root under launchd; `launchctl asuser <uid>` enters the user's bootstrap namespace
// (where Notification Center lives) and `sudo -u <user>` drops to the user, the usual pattern for
// a daemon notifying the console user. Command lines are pure functions, unit-tested on Linux;
// the OS part only runs on a Mac. osascript notifications have no buttons: the body says how to act.
import { failureDetail, runCommand } from './run.js';
import type { DeliveryResult, NoticeTarget, NotificationContent, Notifier } from './types.js';

export const DARWIN_CHANNEL = 'macos-notification';
const OSASCRIPT_TIMEOUT_MS = 10_000;

export function darwinNotifier(): Notifier {
  return {
    channel: DARWIN_CHANNEL,
    async deliver(target, notice): Promise<DeliveryResult> {
      if (target.uid === undefined) return { delivered: false, channel: DARWIN_CHANNEL, detail: `no uid for ${target.user}` };
      const cmd = osascriptCommand(target as NoticeTarget & { uid: number }, notice);
      const r = await runCommand(cmd.file, cmd.args, { env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' }, timeoutMs: OSASCRIPT_TIMEOUT_MS });
      return r.code === 0 ? { delivered: true, channel: DARWIN_CHANNEL } : { delivered: false, channel: DARWIN_CHANNEL, detail: failureDetail('osascript failed', r) };
    },
    async loggedInUsers() {
      // The console user owns /dev/console; root means the login window (nobody logged in).
      const r = await runCommand('/usr/bin/stat', ['-f', '%Su %u', '/dev/console'], { env: {}, timeoutMs: 5000 });
      const c = r.code === 0 ? parseConsoleOwner(r.stdout) : undefined;
      return c ? [c] : [];
    },
  };
}

/** `stat -f '%Su %u' /dev/console` output → the console user, unless it is root (login window). */
export function parseConsoleOwner(text: string): NoticeTarget | undefined {
  const m = /^(\S+) (\d+)\s*$/.exec(text.trim());
  if (!m || m[2] === '0') return undefined;
  return { user: m[1]!, uid: Number(m[2]), home: `/Users/${m[1]}` };
}

export function osascriptCommand(target: NoticeTarget & { uid: number }, notice: NotificationContent): { file: string; args: string[] } {
  const sound = notice.urgency === 'critical' ? ' sound name "Sosumi"' : '';
  const script = `display notification ${appleScriptString(notice.body)} with title ${appleScriptString(notice.title)}${sound}`;
  return {
    file: '/bin/launchctl',
    args: ['asuser', String(target.uid), '/usr/bin/sudo', '-u', target.user, '/usr/bin/osascript', '-e', script],
  };
}

/** An AppleScript string literal: backslash and double quote are the only escapes it needs. */
export function appleScriptString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
