// Server-only limits and defaults, each with the reason for its value. Wire limits shared with
// the agent live in shared/src/constants.ts.

/** Default REST + WebSocket port; unprivileged and unlikely to clash with common dev servers. */
export const DEFAULT_PORT = 8420;
/** Token bucket per agent connection: a burst of reports after reconnect fits, a flood does not. */
export const AGENT_MSG_BURST = 100;
/** Sustained messages per second per agent connection; an honest agent sends well under 1/s. */
export const AGENT_MSG_PER_SEC = 20;
/** Bad messages tolerated per connection before it is closed as a flood (a buggy agent should not spin). */
export const AGENT_MAX_BAD_MESSAGES = 20;
/** Time an agent has to send hello after the upgrade before it is dropped. */
export const HELLO_TIMEOUT_MS = 10_000;
/** An observedAt further than this in the future is replaced by the receipt time (moved clocks). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;
/** Default enrollment token lifetime: long enough for a staged rollout wave. */
export const ENROLLMENT_TOKEN_DEFAULT_TTL_HOURS = 24 * 7;
/** Default enrollment token use count: one token per rollout wave of machines. */
export const ENROLLMENT_TOKEN_DEFAULT_MAX_USES = 10_000;
/** Largest REST request body; a policy with many replacements is a few KiB. */
export const REST_BODY_LIMIT_BYTES = 256 * 1024;
/** Mode of files holding secrets (admin token); readable by the server's user only. */
export const SECRET_FILE_MODE = 0o600;
/** Most rows one list call returns; clients page with `cursor`. */
export const LIST_MAX_LIMIT = 1000;
/** Rows a list call returns when no limit is given. */
export const LIST_DEFAULT_LIMIT = 100;
/** Exit code for a bad configuration (sysexits EX_CONFIG), so service managers do not restart-loop on it. */
export const EXIT_CONFIG = 78;
/**
 * Longest stretch of synchronous store work in one go (an ingest transaction, a slice of a bulk
 * recompute) before the event loop is given back: with the commit's fsync on top, no agent or API
 * request waits more than ~20 ms behind it.
 */
export const INGEST_SLICE_MS = 8;
/** At most this many events per ingest transaction (one batched insert of the detections among them). */
export const INGEST_MAX_EVENTS = 500;
export const JOB_SLICE_MS = 8;
/** Events validated between two yields to the event loop when a large report arrives. */
export const VALIDATE_SLICE_EVENTS = 50;
/** How often the WAL is copied back into the database file (from a worker thread) after writes. */
export const CHECKPOINT_EVERY_MS = 500;
/** The WAL file is cut back to this size after a checkpoint lets it restart (bursts do not leave a huge file). */
export const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;
/** Presence (last seen, hello facts, health, confirmed versions) is written in one batch this often. */
export const PRESENCE_FLUSH_MS = 5_000;
/** Presence rows written per transaction (~5 ms of work), so a fleet-wide flush never stalls the loop. */
export const PRESENCE_FLUSH_SLICE = 500;
/** Longest stretch of policy fan-out sends before the event loop is given back. */
export const FANOUT_SLICE_MS = 10;
/** The keep-alive ping of every agent connection runs in slices this long, the event loop free in between. */
export const PING_SLICE_MS = 10;
/** A socket with more than this waiting in its send buffer is skipped for now (a slow reader). */
export const FANOUT_HIGH_WATER_BYTES = 512 * 1024;
/** When skipped sockets are tried again. */
export const FANOUT_RETRY_MS = 250;
/**
 * Connections that have not sent a complete request (or finished an agent upgrade), at most. The
 * process may hold 20,000 descriptors here: caps far below that keep the rest for agents and the API.
 */
export const PENDING_TOTAL = 2_000;
/** …and from one source address (a NAT gateway of a few hundred laptops reconnecting fits). */
export const PENDING_PER_SOURCE = 500;
/** Agent connections upgraded but not yet past hello, at most (hello comes within a second normally). */
export const UNHELLOED_TOTAL = 2_000;
export const UNHELLOED_PER_SOURCE = 500;
/** A connection that sends no complete request headers within this is closed (idle or slow headers). */
export const PENDING_TIMEOUT_MS = 10_000;
/** A cap hit is logged at most once per cap and source in this period (with a count of the rest). */
export const CAP_LOG_EVERY_MS = 10_000;
/** HTTP: a whole request must arrive within this; idle keep-alive connections close after KEEP_ALIVE_MS. */
export const REQUEST_TIMEOUT_MS = 30_000;
export const KEEP_ALIVE_MS = 5_000;
/** While the audit log grows, the server signs a checkpoint of its head this often. */
export const AUDIT_CHECKPOINT_EVERY_MS = 10 * 60_000;
/** A dashboard session lasts a working day at most (and never beyond its API token's expiry). */
export const DASHBOARD_SESSION_TTL_MS = 12 * 3600_000;
/** The live overview checks this often whether anything it shows changed (a cheap watermark read). */
export const LIVE_CHECK_MS = 1_000;
/** …and recomputes at least this often anyway (presence, rollout and "not seen for N days" move without a watermark change). */
export const LIVE_REFRESH_MS = 30_000;
/** Devices counted per store call by the overview (~15 ms each at 50,000 devices): few calls, so an overview is not stuck behind background work. */
export const COUNT_SLICE_DEVICES = 5_000;
/** Devices counted per store call by the daily rollup's as-of reads (dearer per device than the overview's). */
export const ROLLUP_SLICE_DEVICES = 2_000;
/** The rollup is background work: it pauses this long between slices, so interactive requests get the store first. */
export const ROLLUP_PAUSE_MS = 10;
/** How often the daily rollup behind the burn-down chart is brought up to date. */
export const ROLLUP_EVERY_MS = 5 * 60_000;
/**
 * How far before its last watermark the rollup looks again for state changes. A change's
 * recorded_at is stamped by the node that made it, before its commit: a node whose clock is behind,
 * or a transaction that commits after the rollup read, stamps a change just below the watermark.
 */
export const ROLLUP_RECORDED_LOOKBACK_MS = 10 * 60_000;
/** Finished report exports are kept this long for download, then deleted. */
export const EXPORT_KEEP_MS = 60 * 60_000;
/** Report exports running at once (each reads the fleet in slices; more would only queue in the store). */
export const EXPORTS_RUNNING_MAX = 2;

/** On SIGTERM, how long a node lets agents finish in-flight reports and move to another node. */
export const DRAIN_TIMEOUT_MS = 10_000;
/** How often a node checks its database answers (GET /api/v1/ready). */
export const READY_PROBE_MS = 1000;
/** How often a node of a cluster re-checks part versions and revocations for its agents (missed nudges). */
export const CLUSTER_RESYNC_MS = 30_000;
