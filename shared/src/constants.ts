// Every limit and timeout shared by agent and server, each with the reason for its value.
// Server- or agent-only values live in their own constants modules; these are the ones both
// ends must agree on (the wire contract), so they sit next to the protocol.

/** Largest WebSocket frame either end accepts. A report of 500 detections with long paths fits in ~600 KiB. */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Most events in one report; keeps one SQLite transaction short and one frame under MAX_FRAME_BYTES. */
export const MAX_EVENTS_PER_REPORT = 500;
/** How often the agent sends a heartbeat; the server pings on the same cadence. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
/** Longest path the protocol carries; Linux PATH_MAX is 4096. */
export const MAX_PATH_CHARS = 4096;
/** Longest free-text field (reasons, notes, messages); a notice must stay readable in ten seconds. */
export const MAX_TEXT_CHARS = 2000;
/** WebSocket path agents connect to; the version in the path changes only with a breaking transport change. */
export const AGENT_WS_PATH = '/agent/v1';
/** REST API prefix. */
export const API_PREFIX = '/api/v1';
