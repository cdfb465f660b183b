// The agent protocol version: one integer, bumped on any change an older peer cannot read.
// History (newest first):
//   1 — 2026-11-21: hello/welcome handshake, policy delivery, detection reports with ack, error, heartbeat.
export const PROTOCOL_VERSION = 1;
