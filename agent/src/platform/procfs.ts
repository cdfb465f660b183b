// Linux process source: reads /proc directly. Listing is one readdir; a pid's details (stat,
// cmdline, exe link) are read only when the collector asks, which it does for pids it has not seen
// before. Whether any process was created at all since the last look costs one 2 µs read: the
// last pid the kernel handed out (/proc/loadavg, read through a descriptor kept open), and the new
// pids are the ones after the previous value. The environment is searched for the catalog's marker
// names in place and never returned. /proc files report size 0, so they are read in one pass into
// a reused buffer rather than with readFileSync (which stats and grows a buffer on every call).
import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, readlinkSync } from 'node:fs';
import { containerFromCgroup } from './cgroup.js';
import type { ProcessSnapshot, ProcessSource } from './types.js';

/** Kernel clock ticks per second for /proc/<pid>/stat starttime; 100 on every mainstream Linux build (CONFIG_HZ does not change USER_HZ). */
const USER_HZ = 100;
/** Largest /proc text file read whole (stat, status, cmdline are far smaller; a longer cmdline is cut). */
const READ_BUFFER_BYTES = 64 * 1024;
const buffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);

export function procfsSource(procRoot = '/proc'): ProcessSource {
  const selfMnt = linkOrUndefined(`${procRoot}/self/ns/mnt`);
  const selfContainer = readOrUndefined(`${procRoot}/self/cgroup`);
  const ownContainer = selfContainer ? containerFromCgroup(selfContainer) : undefined;
  // /proc/loadavg's last pid belongs to the reader's pid namespace: usable only when this /proc is ours.
  const sameNamespace = linkOrUndefined(`${procRoot}/self`) === String(process.pid);
  let loadavgFd: number | undefined;
  let bootMs: number | undefined;
  let lastStatus: { pid: number; text: string } | undefined;
  const exeOf = (pid: number) => linkOrUndefined(`${procRoot}/${pid}/exe`)?.replace(/ \(deleted\)$/, '');

  const source: ProcessSource = {
    async pids() {
      return listPids(procRoot);
    },
    lastPid() {
      if (!sameNamespace) return undefined;
      try {
        loadavgFd ??= openSync(`${procRoot}/loadavg`, 'r');
        // "0.52 0.58 0.59 2/431 12345\n": the last field is the most recently allocated pid.
        const n = readSync(loadavgFd, buffer, 0, 256, 0);
        const text = buffer.toString('latin1', 0, n);
        const v = Number(text.slice(text.lastIndexOf(' ') + 1));
        return Number.isInteger(v) && v > 0 ? v : undefined;
      } catch {
        return undefined; // no loadavg (unusual /proc): the caller lists /proc instead
      }
    },
    isProcess(pid) {
      // Most pids after the last poll's are threads or already gone: ask cheaply first (no exception).
      if (!existsSync(`${procRoot}/${pid}`)) return false;
      // /proc/<tid> of a thread opens too (it is only left out of the listing): Tgid tells them apart.
      const status = readOrUndefined(`${procRoot}/${pid}/status`);
      if (!status || statusField(status, 'Tgid') !== pid) return false;
      lastStatus = { pid, text: status }; // read() is usually next for this pid: it reuses the text
      return true;
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
      // The effective uid, from status (a stat of /proc/<pid> would say the same, at a higher price).
      const status = lastStatus?.pid === pid ? lastStatus.text : readOrUndefined(`${procRoot}/${pid}/status`);
      lastStatus = undefined;
      const uid = status ? statusField(status, 'Uid', 1) : undefined;
      const exe = exeOf(pid);
      return {
        pid,
        ppid: Number(fields[1]),
        name,
        ...(cmd ? { cmd } : {}),
        ...(uid !== undefined ? { uid } : {}),
        ...(exe ? { exe, fp: exe } : {}),
        startTicks: Number(fields[19]),
      };
    },
    fingerprint(pid) {
      // exec() replaces the exe link; pid reuse by another program does too. One readlink per pid.
      return exeOf(pid);
    },
    startTicks(pid) {
      const stat = readOrUndefined(`${procRoot}/${pid}/stat`);
      if (!stat) return undefined;
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ', 20)[19]);
    },
    environMarkers(pid, markers) {
      const hits = new Set<number>();
      const env = readEnviron(`${procRoot}/${pid}/environ`);
      if (!env) return hits; // another user's process without privileges, or it ended
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

/** A numeric field of /proc/<pid>/status ("Tgid:\t123", "Uid:\t0\t0\t0\t0": `index` picks a column). */
function statusField(status: string, name: string, index = 0): number | undefined {
  const at = status.indexOf(`\n${name}:`);
  if (at < 0) return undefined;
  const end = status.indexOf('\n', at + 1);
  const v = Number(status.slice(at + name.length + 2, end < 0 ? undefined : end).trim().split(/\s+/)[index]);
  return Number.isInteger(v) ? v : undefined;
}

/** Environments are read through a buffer kept for it (most are a few KB); a bigger one is read whole. */
const ENVIRON_BUFFER_BYTES = 128 * 1024;
let environBuffer: Buffer | undefined;

function readEnviron(p: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(p, 'r');
  } catch (err) {
    return gone(err); // another user's process without privileges, or it ended
  }
  try {
    environBuffer ??= Buffer.allocUnsafe(ENVIRON_BUFFER_BYTES);
    let n = 0;
    for (let r = 1; r > 0 && n < environBuffer.length; n += r) r = readSync(fd, environBuffer, n, environBuffer.length - n, null);
    return n < environBuffer.length ? environBuffer.subarray(0, n) : readFileSync(p);
  } catch (err) {
    return gone(err); // ended while being read
  } finally {
    closeSync(fd);
  }
}

/** Every pid in /proc (one readdir; thread ids are not listed). */
export function listPids(procRoot = '/proc'): number[] {
  const out: number[] = [];
  for (const e of readdirSync(procRoot)) {
    const c = e.charCodeAt(0);
    if (c >= 48 && c <= 57) out.push(Number(e));
  }
  return out;
}

/** A small /proc file as text (UTF-8), or undefined when the process ended or is not readable. */
export function readOrUndefined(p: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(p, 'r');
  } catch (err) {
    return gone(err); // the process ended or is not readable by this user
  }
  try {
    let n = 0;
    for (let r = 1; r > 0 && n < buffer.length; n += r) r = readSync(fd, buffer, n, buffer.length - n, null);
    return buffer.toString('utf8', 0, n);
  } catch (err) {
    return gone(err); // ended while being read
  } finally {
    closeSync(fd);
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
