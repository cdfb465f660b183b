// The agent protocol version: one integer, bumped on any change an older peer cannot read.
// History (newest first):
//   2 — 2026-11-30: policy travels as three signed parts (catalog, policies, device) with their own
//       versions, each sent only when it changed; hello says which part versions the agent holds
//       (`held`, replacing `policyVersion`); new agent message policy-applied confirms the versions
//       it now enforces (rollout progress). Also in 2: heartbeat health lists collectorErrors (a
//       collector that could not complete its look); report events gain `gap` (events the agent's
//       bounded outbox had to drop while the server was unreachable: how many, which period, which
//       tools); a server that cannot store a report (its database is unreachable, or it is draining
//       before a stop) refuses it with EDICT_ERR_UNAVAILABLE and closes with 1013, and agents fail
//       over between several server URLs (several nodes).
//   1 — 2026-11-21: hello/welcome handshake, signed policy bundles, reports (detection, notice,
//       acknowledgement, exception-request, enforcement events) with ack, exception-decision,
//       error, heartbeat.
export const PROTOCOL_VERSION = 2;
