// Portable process source for macOS and Windows: one ps-list snapshot per poll. No per-pid reads
// exist there, so every poll sees the whole list; the collector still only matches pids it has not
// seen. Executable paths come from the platform when it can resolve them, else from ps-list.
import psList from 'ps-list';
import type { ProcessSnapshot, ProcessSource } from './types.js';

export function psListSource(processExe: (pid: number) => string | undefined): ProcessSource {
  let last = new Map<number, ProcessSnapshot>();
  return {
    async pids() {
      const rows = await psList({ all: true });
      last = new Map(
        rows.map((r) => {
          const exe = processExe(r.pid) ?? (r as { path?: string }).path;
          const snap: ProcessSnapshot = { pid: r.pid, ppid: r.ppid, name: r.name, ...(r.cmd ? { cmd: r.cmd } : {}), ...(r.uid !== undefined ? { uid: r.uid } : {}), ...(exe ? { exe } : {}) };
          return [r.pid, snap];
        }),
      );
      return [...last.keys()];
    },
    read: (pid) => last.get(pid),
    fingerprint: (pid) => {
      const p = last.get(pid);
      return p ? `${p.exe ?? ''}|${p.cmd ?? p.name}` : undefined;
    },
    alive(pid) {
      try {
        process.kill(pid, 0);
        return true;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
      }
    },
  };
}
