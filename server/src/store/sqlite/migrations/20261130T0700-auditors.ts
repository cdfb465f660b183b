// Auditors and roles: API tokens get a name shown in the audit log, an optional expiry, who made
// them and when they were last used; devices keep the history of their tags (policy scope "as of"
// a date), starting with a baseline of today's tags; enrollment tokens carry tags their devices
// inherit; signed checkpoints of the audit chain head make a truncated log detectable.
export const id = '20261130T0700-auditors';
export const sql = `
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
ALTER TABLE api_tokens ADD COLUMN created_by TEXT NOT NULL DEFAULT 'system';

ALTER TABLE enrollment_tokens ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';

CREATE TABLE device_tags (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id    TEXT NOT NULL REFERENCES devices(id),
  at           TEXT NOT NULL,
  tags         TEXT NOT NULL,
  -- 'baseline': the tags a device had when history began (earlier changes are unknown)
  cause        TEXT NOT NULL,
  recorded_at  TEXT NOT NULL
);
CREATE INDEX device_tags_device ON device_tags(device_id, at, seq);
INSERT INTO device_tags(device_id, at, tags, cause, recorded_at)
  SELECT id, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), tags, 'baseline', strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM devices;

CREATE TABLE audit_checkpoints (
  seq        INTEGER PRIMARY KEY,
  hash       TEXT NOT NULL,
  at         TEXT NOT NULL,
  key_id     TEXT NOT NULL,
  signature  TEXT NOT NULL
);

CREATE INDEX devices_enrolled ON devices(enrolled_at, id);
CREATE INDEX timeline_recorded ON timeline(recorded_at);
`;
