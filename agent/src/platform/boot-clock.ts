// Time since boot (including suspend) and the boot's identity. The agent anchors server time to
// this clock, which no user can move: changing the wall clock does not change uptime, so a moved
// clock cannot move a ban date. Linux reads /proc/uptime (CLOCK_BOOTTIME) and the kernel boot id;
// elsewhere os.uptime() and no boot id (the agent then falls back to wall clock + offset).
import { readFileSync } from 'node:fs';
import os from 'node:os';

export interface BootClock {
  /** Identifies this boot; undefined where the OS does not expose one. */
  bootId: string | undefined;
  uptimeMs(): number;
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined; // not Linux, or /proc not mounted: the caller falls back
  }
}

export function bootClock(): BootClock {
  const bootId = readOrUndefined('/proc/sys/kernel/random/boot_id');
  if (bootId && readOrUndefined('/proc/uptime')) {
    return { bootId, uptimeMs: () => Math.round(Number(readOrUndefined('/proc/uptime')!.split(' ')[0]) * 1000) };
  }
  return { bootId: undefined, uptimeMs: () => Math.round(os.uptime() * 1000) };
}
