// Linux process source: reads /proc directly. Listing is one readdir; a pid's details (stat,
// cmdline, exe link) are read only when the collector asks, which it does for pids it has not seen
// before. The environment is searched for the catalog's marker names in place and never returned.
import { existsSync, readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';
import { containerFromCgroup } from './cgroup.js';
import type { ProcessSnapshot, ProcessSource } from './types.js';

/** Kernel clock ticks per second for /proc/<pid>/stat starttime; 100 on every mainstream Linux build (CONFIG_HZ does not change USER_HZ). */
const USER_HZ = 100;

export function procfsSource(procRoot = '/proc'): ProcessSource {
  const selfMnt = linkOrUndefined(`${procRoot}/self/ns/mnt`);
  const selfContainer = readOrUndefined(`${procRoot}/self/cgroup`);
  const ownContainer = selfContainer ? containerFromCgroup(selfContainer) : undefined;
  let bootMs: number | undefined;

  const source: ProcessSource = {
    async pids() {
      const out: number[] = [];
      for (const e of readdirSync(procRoot)) {
        const c = e.charCodeAt(0);
        if (c >= 48 && c <= 57) out.push(Number(e));
      }
      return out;
    },
    read(pid): ProcessSnapshot | undefined {
      const stat = readOrUndefined(`${procRoot}/${pid}/stat`);
      if (!stat) return undefined; // ended between listing and reading
      // comm may contain spaces and parentheses: it is everything between the first '(' and the last ')'.
      const open = stat.indexOf('(');
      const close = stat.lastIndexOf(')');
      const name = stat.slice(open + 1, close);
      const fields = stat.slice(close + 2).split(' ');
      const cmdRaw = readOrUndefined(`${procRoot}/${pid}/cmdline`);
      const cmd = cmdRaw ? cmdRaw.replace(/\0+$/, '').split('\0').join(' ').trimEnd() : undefined;
      let uid: number | undefined;
      try {
        uid = statSync(`${procRoot}/${pid}`).uid;
      } catch (err) {
        uid = gone(err); // ended meanwhile: the caller drops it when exe/stat are gone too
      }
      const exe = linkOrUndefined(`${procRoot}/${pid}/exe`)?.replace(/ \(deleted\)$/, '');
      return {
        pid,
        ppid: Number(fields[1]),
        name,
        ...(cmd ? { cmd } : {}),
        ...(uid !== undefined ? { uid } : {}),
        ...(exe ? { exe } : {}),
        startTicks: Number(fields[19]),
      };
    },
    fingerprint(pid) {
      // exec() replaces the exe link; pid reuse by another program does too. One readlink per pid.
      return linkOrUndefined(`${procRoot}/${pid}/exe`);
    },
    environMarkers(pid, markers) {
      const hits = new Set<number>();
      let env: Buffer;
      try {
        env = readFileSync(`${procRoot}/${pid}/environ`);
      } catch (err) {
        gone(err); // another user's process without privileges, or it ended: no markers
        return hits;
      }
      markers.forEach((m, i) => {
        const needle = Buffer.from(`${m.name}=`);
        for (let at = env.indexOf(needle); at >= 0; at = env.indexOf(needle, at + 1)) {
          if (at > 0 && env[at - 1] !== 0) continue; // inside another variable (FOO_CLAUDECODE=)
          if (m.value === undefined) return void hits.add(i);
          const end = env.indexOf(0, at);
          if (env.toString('utf8', at + needle.length, end < 0 ? env.length : end) === m.value) return void hits.add(i);
        }
      });
      return hits;
    },
    container(pid) {
      const text = readOrUndefined(`${procRoot}/${pid}/cgroup`);
      const c = text ? containerFromCgroup(text) : undefined;
      return c && c !== ownContainer ? c : undefined;
    },
    exeHandle: (pid) => `${procRoot}/${pid}/exe`,
    rootOf(pid) {
      const mnt = linkOrUndefined(`${procRoot}/${pid}/ns/mnt`);
      return mnt && selfMnt && mnt !== selfMnt ? `${procRoot}/${pid}/root` : '';
    },
    cwd: (pid) => linkOrUndefined(`${procRoot}/${pid}/cwd`),
    alive: (pid) => existsSync(`${procRoot}/${pid}`),
    startedAtMs(pid) {
      const p = source.read(pid);
      if (p?.startTicks === undefined) return undefined;
      bootMs ??= bootTimeMs(procRoot);
      return bootMs === undefined ? undefined : bootMs + (p.startTicks * 1000) / USER_HZ;
    },
  };
  return source;
}

function bootTimeMs(procRoot: string): number | undefined {
  const m = /^btime (\d+)$/m.exec(readOrUndefined(`${procRoot}/stat`) ?? '');
  return m ? Number(m[1]) * 1000 : undefined;
}

function readOrUndefined(p: string): string | undefined {
  try {
    return readFileSync(p, 'utf8');
  } catch (err) {
    return gone(err); // the process ended or is not readable by this user
  }
}

function linkOrUndefined(p: string): string | undefined {
  try {
    return readlinkSync(p);
  } catch (err) {
    return gone(err); // kernel thread (no exe), another user's process, or it ended
  }
}

/**
 * A process that ended (ENOENT, ESRCH), a kernel thread without an exe (ENOENT) or another user's
 * process (EACCES, EPERM) is simply not visible: undefined. Anything else (too many open files, an
 * I/O error) is thrown, so the poll fails and nothing it knew is declared ended.
 */
function gone(err: unknown): undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM' || code === 'EINVAL') return undefined;
  throw err;
}
