// The physical floor the agent is compared with in `npm run bench`: the least any process watcher
// on Linux must do at a given cadence — list /proc, and read stat, cmdline and the exe link of the
// pids it has not seen before. Nothing else (no matching, no state, no network). It prints one line
// `seen <pid> <epoch ms>` when a new pid's executable is the bench's probe, so its detection delay is
// measured the same way as the agent's.
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const intervalMs = Number(process.argv[2]);
const probeExe = process.argv[3];
if (!(intervalMs > 0) || !probeExe) {
  process.stderr.write('usage: floor.js <interval ms> <probe executable path>\n');
  process.exit(2);
}

let seen = new Set<number>();

function poll(): void {
  const now = new Set<number>();
  for (const e of readdirSync('/proc')) {
    const c = e.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(e);
    now.add(pid);
    if (seen.has(pid)) continue;
    try {
      readFileSync(`/proc/${pid}/stat`, 'latin1');
      readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      if (readlinkSync(`/proc/${pid}/exe`) === probeExe) process.stdout.write(`seen ${pid} ${Date.now()}\n`);
    } catch {
      // ended between listing and reading, or a kernel thread without an exe link
    }
  }
  seen = now;
}

poll();
setInterval(poll, intervalMs);
process.on('SIGTERM', () => process.exit(0));
