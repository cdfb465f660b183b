// The agent protocol version: one integer, bumped on any change an older peer cannot read.
// History (newest first):
//   1 — 2026-11-21: hello/welcome handshake, signed policy bundles, reports (detection, notice,
//       acknowledgement, exception-request, enforcement events) with ack, exception-decision,
//       error, heartbeat.
export const PROTOCOL_VERSION = 1;
