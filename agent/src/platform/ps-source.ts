// Portable process source for macOS and Windows: one ps-list snapshot per poll. No per-pid reads
// exist there, so every poll sees the whole list; the collector still only matches pids it has not
// seen. Executable paths come from the platform when it can resolve them, else from ps-list, which
// is loaded on first use (never on Linux, which reads /proc instead).
import type { ProcessSnapshot, ProcessSource } from './types.js';

export function psListSource(processExe: (pid: number) => string | undefined): ProcessSource {
  let last = new Map<number, ProcessSnapshot>();
  return {
    async pids() {
      const { default: psList } = await import('ps-list');
      const rows = await psList({ all: true });
      last = new Map(
        rows.map((r) => {
          const exe = processExe(r.pid) ?? (r as { path?: string }).path;
          const snap: ProcessSnapshot = {
            pid: r.pid,
            ppid: r.ppid,
            name: r.name,
            ...(r.cmd ? { cmd: r.cmd } : {}),
            ...(r.uid !== undefined ? { uid: r.uid } : {}),
            ...(exe ? { exe } : {}),
            fp: `${exe ?? ''}|${r.cmd ?? r.name}`,
          };
          return [r.pid, snap];
        }),
      );
      return [...last.keys()];
    },
    read: (pid) => last.get(pid),
    fingerprint: (pid) => last.get(pid)?.fp,
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
