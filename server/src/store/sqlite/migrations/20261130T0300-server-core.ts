// Server core: the current picture of findings kept as rows (so compliance never scans a device's
// history), state changes that a late event re-derived kept but marked superseded, a durable queue
// of bulk recomputes, the indexes replays need, and an audit chain no two writers can fork.
export const id = '20261130T0300-server-core';
export const sql = `
-- One row per finding (device x detection key): the state of its newest event by observed_at.
CREATE TABLE findings (
  device_id      TEXT NOT NULL REFERENCES devices(id),
  detection_key  TEXT NOT NULL,
  tool_id        TEXT NOT NULL,
  kind           TEXT NOT NULL,
  os_user        TEXT NOT NULL,
  state          TEXT NOT NULL CHECK (state IN ('present', 'absent')),
  observed_at    TEXT NOT NULL,
  event_id       TEXT NOT NULL,
  PRIMARY KEY (device_id, detection_key)
);
CREATE INDEX findings_present ON findings(tool_id, state, device_id);
CREATE INDEX findings_device_tool ON findings(device_id, tool_id, state);

-- Backfill from the events already stored: the newest event of each finding.
INSERT INTO findings(device_id, detection_key, tool_id, kind, os_user, state, observed_at, event_id)
SELECT e.device_id, e.detection_key, e.tool_id, e.kind, e.os_user, e.state, e.observed_at, e.event_id
FROM detection_events e
WHERE e.event_id = (
  SELECT l.event_id FROM detection_events l WHERE l.device_id = e.device_id AND l.detection_key = e.detection_key
  ORDER BY l.observed_at DESC, l.received_at DESC, l.rowid DESC LIMIT 1);

CREATE INDEX detection_events_device_tool ON detection_events(device_id, tool_id, observed_at);

ALTER TABLE timeline ADD COLUMN superseded_at TEXT;
CREATE INDEX timeline_state ON timeline(device_id, tool_id, kind, at);

CREATE TABLE compliance_jobs (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          TEXT NOT NULL,
  cause       TEXT NOT NULL,
  tools       TEXT,
  created_at  TEXT NOT NULL
);

-- Each entry chains to exactly one predecessor: a second writer chaining to the same one fails.
CREATE UNIQUE INDEX audit_log_chain ON audit_log(prev_hash);
`;
