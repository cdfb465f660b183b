// The agent protocol version: one integer, bumped on any change an older peer cannot read.
// History (newest first):
//   2 — 2026-11-30: policy travels as three signed parts (catalog, policies, device) with their own
//       versions, each sent only when it changed; hello says which part versions the agent holds
//       (`held`, replacing `policyVersion`); new agent message policy-applied confirms the versions
//       it now enforces (rollout progress); heartbeat health may carry `collectorErrors` (the
//       collectors that failed in their latest scan, for the dashboard's device page).
//   1 — 2026-11-21: hello/welcome handshake, signed policy bundles, reports (detection, notice,
//       acknowledgement, exception-request, enforcement events) with ack, exception-decision,
//       error, heartbeat.
export const PROTOCOL_VERSION = 2;
