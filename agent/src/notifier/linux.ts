// Linux notices: the freedesktop Notifications interface (org.freedesktop.Notifications.Notify)
// on each logged-in user's session bus, sent AS that user. The agent runs as root; it runs
// `gdbus` with the user's uid/gid (so the bus's EXTERNAL auth sees the user, and the user can
// reach nothing through a crafted bus address that they could not reach anyway) and an environment
// holding only DBUS_SESSION_BUS_ADDRESS. The bus is /run/user/<uid>/bus, or the address found in
// one of the user's processes. gdbus comes with GLib (Debian: libglib2.0-bin).
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { passwdIndex, readPasswd } from '../platform/posix-users.js';
import type { UserHome } from '../platform/types.js';
import { sessionEnvOfUid } from './session-env.js';
import { failureDetail, runCommand } from './run.js';
import type { DeliveryResult, NoticeTarget, NotificationContent, Notifier } from './types.js';

export const LINUX_CHANNEL = 'freedesktop-dbus';
/** A notification server answers in milliseconds; a hung session must not hold the agent up. */
const GDBUS_TIMEOUT_MS = 10_000;
/** freedesktop urgency hint values (Desktop Notifications Specification, "Urgency Levels"). */
const URGENCY = { normal: 1, critical: 2 } as const;
/** logind keeps one file per session here. */
const LOGIND_SESSIONS_DIR = '/run/systemd/sessions';
/** The cached list of logged-in users is refreshed at least this often, changes or not. */
const SESSIONS_MAX_AGE_MS = 5 * 60_000;
/** A cached answer is kept only when every mtime it depends on is older than this (see loggedInUsers). */
const SESSIONS_RACY_MS = 2000;
const NOTIFY_DEST = ['--dest', 'org.freedesktop.Notifications', '--object-path', '/org/freedesktop/Notifications'];

export interface LinuxNotifierOptions {
  /** Where per-user runtime dirs live (systemd-logind: /run/user). */
  runtimeRoot?: string;
  procRoot?: string;
  passwdFile?: string;
  gdbus?: string;
  /** Application name shown by the notification server. */
  appName?: string;
  /**
   * Send the notice's actions as buttons. Off by default: a button needs someone listening for the
   * ActionInvoked signal on the user's bus, and the body already says how to acknowledge.
   */
  sendActions?: boolean;
  /** Ask loginctl for sessions (in addition to runtime dirs with a bus). */
  useLoginctl?: boolean;
  /** logind's per-session files (their folder's mtime moves when a session starts or ends). */
  sessionsDir?: string;
  timeoutMs?: number;
}

type PasswdEntry = Required<Pick<UserHome, 'user' | 'uid' | 'gid' | 'home'>>;

export function linuxNotifier(opts: LinuxNotifierOptions = {}): Notifier {
  let known: { signature: string; at: number; users: NoticeTarget[] } | undefined;
  return {
    channel: LINUX_CHANNEL,
    deliver: (target, notice) => deliverLinux(target, notice, opts),
    // Asked on every pass while a notice waits for its user to log in: answer from the last look
    // unless a session started or ended since (a few stats instead of running loginctl each time).
    async loggedInUsers() {
      const { signature, newestMs } = sessionsState(opts);
      const now = performance.now();
      if (known && known.signature === signature && now - known.at < SESSIONS_MAX_AGE_MS) return known.users;
      const users = await loggedInUsers(opts);
      // A change within the mtime clock's coarse tick could leave an mtime as it was: trust an
      // answer only once everything it was computed from is a little older (git's "racy" rule).
      known = Date.now() - newestMs > SESSIONS_RACY_MS ? { signature, at: now, users } : undefined;
      return users;
    },
  };
}

/**
 * Changes whenever a session may have started or ended: logind's session folder, the runtime-dir
 * root and each user's runtime dir (the bus socket appears in it) all get a new mtime then, and
 * the passwd entries that turn uids into users.
 */
export function sessionsSignature(opts: SessionsOptions = {}): string {
  return sessionsState(opts).signature;
}

type SessionsOptions = Pick<LinuxNotifierOptions, 'runtimeRoot' | 'sessionsDir' | 'passwdFile'>;

function sessionsState(opts: SessionsOptions): { signature: string; newestMs: number } {
  let newestMs = 0;
  const mtime = (p: string) => {
    const ns = statSync(p, { throwIfNoEntry: false, bigint: true })?.mtimeNs;
    if (ns === undefined) return 'none';
    newestMs = Math.max(newestMs, Number(ns / 1_000_000n));
    return String(ns);
  };
  const root = opts.runtimeRoot ?? '/run/user';
  const parts = [mtime(opts.sessionsDir ?? LOGIND_SESSIONS_DIR), mtime(root)];
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    // no runtime-dir root (no logind): nothing more to watch there
  }
  for (const name of entries) if (/^\d+$/.test(name)) parts.push(`${name}=${mtime(path.join(root, name))}`);
  parts.push(passwdVersion(opts.passwdFile));
  return { signature: parts.join(' '), newestMs };
}

const passwdVersions = new WeakMap<object, number>();
let passwdVersionSeq = 0;
/** A number that changes when the passwd file's parsed contents do (passwdIndex returns a new object then). */
function passwdVersion(file?: string): string {
  const index = passwdIndex(file);
  let v = passwdVersions.get(index);
  if (v === undefined) passwdVersions.set(index, (v = ++passwdVersionSeq));
  return `passwd#${v}`;
}

export async function deliverLinux(target: NoticeTarget, notice: NotificationContent, opts: LinuxNotifierOptions = {}): Promise<DeliveryResult> {
  const fail = (detail: string): DeliveryResult => ({ delivered: false, channel: LINUX_CHANNEL, detail });
  const pw = passwdEntries(opts.passwdFile);
  const entry = target.uid !== undefined ? pw.find((p) => p.uid === target.uid) : pw.find((p) => p.user === target.user);
  const uid = target.uid ?? entry?.uid;
  const gid = target.gid ?? entry?.gid;
  if (uid === undefined || gid === undefined) return fail(`unknown user ${target.user}`);

  const me = process.getuid?.();
  if (me !== 0 && me !== uid) return fail(`the agent (uid ${me}) cannot act as uid ${uid}; it must run as root`);
  const address = findSessionBus(uid, opts);
  if (!address) return fail(`no session bus for ${target.user} (not logged in to a desktop)`);

  const gdbus = opts.gdbus ?? findGdbus();
  const run = (args: string[]) =>
    runCommand(gdbus, args, {
      ...(me === 0 && uid !== 0 ? { uid, gid } : {}),
      env: { DBUS_SESSION_BUS_ADDRESS: address },
      timeoutMs: opts.timeoutMs ?? GDBUS_TIMEOUT_MS,
    });

  // Servers that render markup would swallow "<" and "&" in a reason or URL: escape for those only.
  const caps = await run(['call', '--session', ...NOTIFY_DEST, '--method', 'org.freedesktop.Notifications.GetCapabilities']);
  if (caps.code !== 0) return fail(failureDetail('no notification server on the session bus', caps));
  const markup = parseCapabilities(caps.stdout).includes('body-markup');

  const r = await run(notifyArgs(notice, { appName: opts.appName ?? 'Edict', markup, sendActions: opts.sendActions ?? false }));
  if (r.code !== 0) return fail(failureDetail('Notify failed', r));
  const id = /uint32 (\d+)/.exec(r.stdout)?.[1];
  return { delivered: true, channel: LINUX_CHANNEL, detail: id ? `id=${id}` : r.stdout.trim() };
}

/** gdbus arguments for one Notify call (pure; every string is a GVariant text literal). */
export function notifyArgs(notice: NotificationContent, o: { appName: string; markup: boolean; sendActions: boolean }): string[] {
  const urgency = notice.urgency ?? 'normal';
  const body = o.markup ? escapeMarkup(notice.body) : notice.body;
  const actions = o.sendActions ? notice.actions.flatMap((a) => [a.id, a.label]) : [];
  return [
    'call', '--session', ...NOTIFY_DEST, '--method', 'org.freedesktop.Notifications.Notify',
    '--', // the arguments below are values, never options (the timeout is negative)
    gvariantString(o.appName),
    '0', // replaces_id: a new notification
    gvariantString(urgency === 'critical' ? 'dialog-warning' : 'dialog-information'),
    gvariantString(notice.title),
    gvariantString(body),
    `@as [${actions.map(gvariantString).join(', ')}]`,
    `{"urgency": <byte ${URGENCY[urgency]}>}`,
    // expire_timeout: server default for normal notices; critical ones stay until dismissed.
    urgency === 'critical' ? '0' : '-1',
  ];
}

/** A GVariant text-format string literal (what gdbus parses each argument as). */
export function gvariantString(s: string): string {
  const escaped = s
    .replace(/\0/g, '') // D-Bus strings cannot hold NUL
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/[\x01-\x1f\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `"${escaped}"`;
}

/** The body-markup subset of the spec is XML-like: escape the three characters it gives meaning to. */
export function escapeMarkup(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `(['body', 'body-markup', 'actions'],)` → names. */
export function parseCapabilities(gdbusOutput: string): string[] {
  return [...gdbusOutput.matchAll(/'([^']*)'/g)].map((m) => m[1]!);
}

/** The user's session bus address: their runtime dir's `bus` socket, else one of their processes' environment. */
export function findSessionBus(uid: number, opts: Pick<LinuxNotifierOptions, 'runtimeRoot' | 'procRoot'> = {}): string | undefined {
  const runtimeDir = path.join(opts.runtimeRoot ?? '/run/user', String(uid));
  const socket = path.join(runtimeDir, 'bus');
  try {
    // The runtime dir must be the user's own (logind makes it so); a socket elsewhere could be planted.
    if (statSync(runtimeDir).uid === uid && statSync(socket).isSocket()) return `unix:path=${socket}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // no runtime dir: not logged in via logind
  }
  return sessionEnvOfUid(uid, 'DBUS_SESSION_BUS_ADDRESS', [], opts.procRoot)?.DBUS_SESSION_BUS_ADDRESS;
}

/** Users with a session bus now: loginctl's sessions plus every runtime dir holding a `bus` socket. */
export async function loggedInUsers(opts: LinuxNotifierOptions = {}): Promise<NoticeTarget[]> {
  const uids = new Set<number>();
  if (opts.useLoginctl ?? true) {
    const r = await runCommand('loginctl', ['list-sessions', '--no-legend'], { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 5000 });
    // No systemd-logind (containers, other inits) is normal: the runtime dirs below still answer.
    if (r.code === 0) for (const uid of parseLoginctlSessions(r.stdout)) uids.add(uid);
  }
  const root = opts.runtimeRoot ?? '/run/user';
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      if (!/^\d+$/.test(name)) continue;
      try {
        if (statSync(path.join(root, name, 'bus')).isSocket()) uids.add(Number(name));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      }
    }
  }
  const pw = passwdEntries(opts.passwdFile);
  const out: NoticeTarget[] = [];
  for (const uid of [...uids].sort((a, b) => a - b)) {
    const e = pw.find((p) => p.uid === uid);
    if (e) out.push({ user: e.user, uid: e.uid, gid: e.gid, home: e.home });
  }
  return out;
}

/** `loginctl list-sessions --no-legend` lines: "SESSION UID USER [SEAT] [TTY] …" → uids. */
export function parseLoginctlSessions(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length >= 3 && /^\d+$/.test(cols[1]!)) out.push(Number(cols[1]));
  }
  return out;
}

/** Accounts with uid, gid and home (the shared /etc/passwd reader). */
function passwdEntries(file?: string): PasswdEntry[] {
  return readPasswd(file).filter((u): u is PasswdEntry => u.uid !== undefined && u.gid !== undefined);
}

function findGdbus(): string {
  for (const p of ['/usr/bin/gdbus', '/bin/gdbus', '/usr/local/bin/gdbus']) if (existsSync(p)) return p;
  return 'gdbus'; // left to PATH; a missing gdbus shows up as "spawn gdbus ENOENT" in the detail
}
