// Agent-only limits and defaults, each with the reason for its value.

/** Files holding the device credential or user names are readable by the agent's user only. */
export const PRIVATE_FILE_MODE = 0o600;
/** State folder: others may traverse (o+x) to reach the request spool and the readable files, never list it. */
export const STATE_DIR_MODE = 0o711;
/** Private sub-folders (the outbox): the agent's user only. */
export const PRIVATE_DIR_MODE = 0o700;
/** Files the employee may read to see what the agent knows and sent (no secrets in them). */
export const READABLE_FILE_MODE = 0o644;
/** How often the agent looks at employee requests and due notices, besides right after each scan. */
export const EMPLOYEE_TICK_MS = 5_000;
/** Sent-message log rotates past this size, keeping one previous file: enough for weeks of reports. */
export const SENT_LOG_MAX_BYTES = 2 * 1024 * 1024;
/** How many sent messages `status` shows by default. */
export const STATUS_LAST_SENT = 10;
/** Reconnect backoff: first retry after ~1 s, never waiting more than 5 min (a fleet restart must not stampede). */
export const BACKOFF_BASE_MS = 1000;
export const BACKOFF_CAP_MS = 5 * 60_000;
/** Wait this long for an ack before treating the connection as dead and resending after reconnect. */
export const ACK_TIMEOUT_MS = 30_000;
/**
 * Default wait between two process polls. On Linux a poll with no new process costs one 2 µs read
 * and one with new processes reads only those, so polling often is what keeps the delay from a
 * tool's start to its event under a second. Elsewhere each poll runs `ps` (ps-list): slower there.
 */
export const DEFAULT_PROCESS_INTERVAL_MS = process.platform === 'linux' ? 500 : 5000;
/** Default wait between two inventory scans (installs change rarely; one also runs at start): 30 minutes. */
export const DEFAULT_INVENTORY_INTERVAL_MS = 30 * 60_000;
/** Longest interval a config may ask for: one day (setTimeout itself holds at most ~24.8 days). */
export const MAX_TIMER_MS = 86_400_000;
/** Most node_modules folders of one kind (nvm versions, pnpm stores...) looked into per user. */
export const MAX_GLOB_MATCHES = 200;
/** detections.json is rewritten when findings change, and otherwise at most this often (lastSeen only). */
export const KNOWN_SAVE_INTERVAL_MS = 60_000;
/** The fingerprint cache (fingerprints.json) is saved after each inventory scan and otherwise at most this often. */
export const FINGERPRINT_SAVE_INTERVAL_MS = 60_000;
/** status.json is rewritten on every connection change, and otherwise at most this often (lastScanAt only). */
export const STATUS_WRITE_INTERVAL_MS = 10_000;
/**
 * Longest single wait of the stage-boundary timer. Node's setTimeout holds at most 2^31-1 ms
 * (~24.8 days; longer delays fire at once with a TimeoutOverflowWarning), and its clock stops while
 * a laptop sleeps, so a boundary far ahead is reached in steps: one cheap wake-up a minute bounds
 * how late a stage flips after the machine resumes.
 */
export const MAX_BOUNDARY_STEP_MS = 60_000;
/** Fire a boundary timer this long after the instant, so the stage computed then is already the new one. */
export const BOUNDARY_MARGIN_MS = 5;
/**
 * Default bound of the outbox (bytes of queued batch files; agent.json `outbox.maxBytes`). At about
 * 300 bytes per event that is some 50,000 events: weeks of a busy workstation offline. Over it,
 * events are collapsed, then the oldest dropped and reported as a gap (see state/outbox-bound.ts).
 */
export const DEFAULT_OUTBOX_MAX_BYTES = 16 * 1024 * 1024;
/** Enforcing the bound brings the outbox down to this share of it, so it is not enforced again at once. */
export const OUTBOX_LOW_WATER = 0.9;
/** Without an enrollment the agent looks for one this often (it starts as soon as `enroll` wrote it). */
export const ENROLLMENT_POLL_MS = 2_000;
/** ...and repeats "needs re-enrollment" in its log this often. */
export const ENROLLMENT_REMINDER_MS = 60 * 60_000;
