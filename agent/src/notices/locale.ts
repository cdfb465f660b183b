// Chooses the notice language for one user: their own session locale if it is a language we have
// (English or Simplified Chinese), else the policy's default, else English. The decision is a pure
// function; the small readers below find the user's LC_ALL / LC_MESSAGES / LANG from their running
// session (as root), their ~/.config/locale.conf, or the system locale files.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import type { Locale } from './catalog.js';
import { environOf, isExpectedFsError, pidsOfUid } from '../notifier/session-env.js';

export type { Locale } from './catalog.js';

/** The POSIX variables that decide the language of messages, in order of precedence. */
export const LOCALE_VARS = ['LC_ALL', 'LC_MESSAGES', 'LANG'] as const;
export type LocaleEnv = Partial<Record<(typeof LOCALE_VARS)[number], string>>;

/**
 * Language of one locale tag, or undefined if it names none we have.
 * zh_CN.UTF-8, zh_SG, zh-Hans, zh-Hans-CN, zh_CN.GB18030, plain zh → zh-CN; en_US.UTF-8, en-GB → en.
 * zh_TW / zh_HK / zh-Hant (traditional script), C, POSIX and other languages → undefined.
 */
export function localeOfTag(tag: string | undefined): Locale | undefined {
  if (!tag) return undefined;
  const base = tag.split(/[.@]/)[0]!.replace(/_/g, '-').toLowerCase();
  const parts = base.split('-');
  if (parts[0] === 'en') return 'en';
  if (parts[0] !== 'zh') return undefined;
  if (parts.includes('hant') || parts.includes('tw') || parts.includes('hk') || parts.includes('mo')) return undefined;
  return 'zh-CN';
}

/** The effective messages locale of an environment: the first of LC_ALL, LC_MESSAGES, LANG that is set. */
export function effectiveTag(env: LocaleEnv): string | undefined {
  for (const k of LOCALE_VARS) {
    const v = env[k];
    if (v) return v;
  }
  return undefined;
}

/**
 * The decision. The user's own language wins when it is one we have (an employee who set English
 * reads English even where the company default is Chinese); otherwise the policy default; otherwise English.
 */
export function chooseLocale(policyDefault: string | undefined, user: LocaleEnv | undefined): Locale {
  return localeOfTag(user ? effectiveTag(user) : undefined) ?? localeOfTag(policyDefault) ?? 'en';
}

/** KEY=value lines of a locale.conf / /etc/default/locale (quotes removed, comments skipped). */
export function parseLocaleConf(text: string): LocaleEnv {
  const out: LocaleEnv = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?(\w+)=(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as keyof LocaleEnv;
    if (!(LOCALE_VARS as readonly string[]).includes(key)) continue;
    out[key] = m[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** Largest locale file read; a real one is a few lines. */
const MAX_LOCALE_FILE_BYTES = 4096;

/**
 * Reads a locale file safely even when a user controls it (~/.config/locale.conf, read as root):
 * no following symlinks, no blocking on a FIFO, regular files only, size capped. Anything else is
 * "no locale here", never an error that could stop the agent.
 */
export function readLocaleConf(file: string): LocaleEnv | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.alloc(Math.min(st.size, MAX_LOCALE_FILE_BYTES));
    const n = readSync(fd, buf, 0, buf.length, 0);
    const env = parseLocaleConf(buf.subarray(0, n).toString('utf8'));
    return effectiveTag(env) ? env : undefined;
  } catch (err) {
    // Missing, unreadable, a symlink (ELOOP) or a directory: try the next source.
    if (isExpectedFsError(err) || ['ELOOP', 'EISDIR', 'ENXIO', 'EINVAL'].includes((err as NodeJS.ErrnoException).code ?? '')) return undefined;
    throw err;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Locale variables of the first process of `uid` that has any of them set. */
export function sessionLocaleEnv(uid: number, procRoot = '/proc'): LocaleEnv | undefined {
  for (const pid of pidsOfUid(uid, procRoot)) {
    const env = environOf(pid, LOCALE_VARS, procRoot) as LocaleEnv | undefined;
    if (env && effectiveTag(env)) return env;
  }
  return undefined;
}

export interface LocaleSources {
  procRoot?: string;
  /** System-wide files, first found wins (Debian/Ubuntu, then systemd distributions). */
  systemFiles?: string[];
}

/** The user's locale variables: running session, then ~/.config/locale.conf, then the system's. */
export function userLocaleEnv(user: { uid?: number; home: string }, sources: LocaleSources = {}): LocaleEnv | undefined {
  const fromSession = user.uid !== undefined ? sessionLocaleEnv(user.uid, sources.procRoot) : undefined;
  if (fromSession) return fromSession;
  const fromHome = readLocaleConf(path.join(user.home, '.config', 'locale.conf'));
  if (fromHome) return fromHome;
  for (const f of sources.systemFiles ?? ['/etc/default/locale', '/etc/locale.conf']) {
    const env = readLocaleConf(f);
    if (env) return env;
  }
  return undefined;
}
