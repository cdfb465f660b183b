// Picks the platform implementation once; the rest of the agent imports `currentPlatform()`.
import { darwinPlatform } from './darwin.js';
import { linuxPlatform } from './linux.js';
import type { Platform } from './types.js';
import { win32Platform } from './win32.js';

export type { PackageSources, Platform, ProcessSnapshot, ProcessSource, UserHome } from './types.js';

let cached: Platform | undefined;

export function currentPlatform(): Platform {
  if (cached) return cached;
  switch (process.platform) {
    case 'linux':
      return (cached = linuxPlatform());
    case 'darwin':
      return (cached = darwinPlatform());
    case 'win32':
      return (cached = win32Platform());
    default:
      return (cached = { ...linuxPlatform(), name: 'other' });
  }
}
