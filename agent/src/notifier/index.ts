// Picks the notifier for this OS once; the agent imports `pickNotifier()` and never branches on
// the platform itself. An OS without an implementation gets one that reports "not delivered".
import { darwinNotifier } from './darwin.js';
import { linuxNotifier, type LinuxNotifierOptions } from './linux.js';
import type { Notifier } from './types.js';
import { win32Notifier, type Win32NotifierOptions } from './win32.js';

export type { DeliveryResult, NoticeTarget, NotificationContent, Notifier } from './types.js';

export interface NotifierOptions {
  linux?: LinuxNotifierOptions;
  win32?: Win32NotifierOptions;
}

export function pickNotifier(platform: NodeJS.Platform = process.platform, opts: NotifierOptions = {}): Notifier {
  switch (platform) {
    case 'linux':
      return linuxNotifier(opts.linux);
    case 'darwin':
      return darwinNotifier();
    case 'win32':
      return win32Notifier(opts.win32);
    default:
      return {
        channel: 'none',
        deliver: async () => ({ delivered: false, channel: 'none', detail: `no notification channel on ${platform}` }),
        loggedInUsers: async () => [],
      };
  }
}
