// The one interface for showing a notice through the operating system's own notification channel,
// in a logged-in user's session, while the agent runs as a service. One implementation per OS
// (linux.ts, darwin.ts, win32.ts), picked in index.ts; nothing else branches on the platform.

export interface NoticeTarget {
  user: string;
  uid?: number;
  gid?: number;
  home: string;
}

export interface NotificationContent {
  title: string;
  body: string;
  /** Buttons, where the channel supports them (see each implementation). */
  actions: { id: string; label: string }[];
  urgency?: 'normal' | 'critical';
}

export interface DeliveryResult {
  delivered: boolean;
  /** e.g. `freedesktop-dbus`, `macos-osascript`, `windows-toast`, `none`. */
  channel: string;
  /** Notification id when delivered; why not, otherwise. */
  detail?: string;
}

export interface Notifier {
  readonly channel: string;
  deliver(target: NoticeTarget, notice: NotificationContent): Promise<DeliveryResult>;
  /** Users with a graphical session now (the ones a notice can reach). */
  loggedInUsers(): Promise<NoticeTarget[]>;
}
