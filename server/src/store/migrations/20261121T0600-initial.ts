// Initial schema. Migrations are append-only: never edit one that has landed; add a new file.
export const id = '20261121T0600-initial';
export const sql = `
CREATE TABLE api_tokens (
  id          TEXT PRIMARY KEY,
  role        TEXT NOT NULL CHECK (role IN ('admin', 'auditor', 'helpdesk')),
  token_hash  TEXT NOT NULL UNIQUE,
  label       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  revoked_at  TEXT
);

CREATE TABLE enrollment_tokens (
  id          TEXT PRIMARY KEY,
  token_hash  TEXT NOT NULL UNIQUE,
  label       TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  max_uses    INTEGER NOT NULL,
  uses        INTEGER NOT NULL DEFAULT 0,
  revoked_at  TEXT
);

CREATE TABLE devices (
  id                   TEXT PRIMARY KEY,
  hostname             TEXT NOT NULL,
  credential_hash      TEXT NOT NULL UNIQUE,
  enrollment_token_id  TEXT NOT NULL REFERENCES enrollment_tokens(id),
  enrolled_at          TEXT NOT NULL,
  platform             TEXT,
  os_release           TEXT,
  arch                 TEXT,
  agent_version        TEXT,
  policy_version       INTEGER,
  last_seen_at         TEXT,
  last_health          TEXT,
  revoked_at           TEXT
);

CREATE TABLE tools (
  id          TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('builtin', 'custom')),
  updated_at  TEXT NOT NULL
);

CREATE TABLE policies (
  id                 TEXT PRIMARY KEY,
  name               TEXT NOT NULL,
  body               TEXT NOT NULL,
  effective_instant  TEXT NOT NULL,
  created_at         TEXT NOT NULL,
  created_by         TEXT NOT NULL
);

CREATE TABLE detection_events (
  event_id      TEXT PRIMARY KEY,
  device_id     TEXT NOT NULL REFERENCES devices(id),
  batch_id      TEXT NOT NULL,
  tool_id       TEXT NOT NULL,
  detection_key TEXT NOT NULL,
  kind          TEXT NOT NULL,
  os_user       TEXT NOT NULL,
  state         TEXT NOT NULL,
  evidence      TEXT NOT NULL,
  confidence    REAL NOT NULL,
  observed_at   TEXT NOT NULL,
  received_at   TEXT NOT NULL,
  agent_stage   TEXT NOT NULL,
  stage         TEXT NOT NULL,
  policy_id     TEXT
);
CREATE INDEX detection_events_device ON detection_events(device_id, observed_at);
CREATE INDEX detection_events_tool_stage ON detection_events(tool_id, stage);
CREATE INDEX detection_events_key ON detection_events(device_id, detection_key, observed_at);

CREATE TABLE meta (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
INSERT INTO meta(key, value) VALUES ('bundle_version', '1');

CREATE TABLE audit_log (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  at         TEXT NOT NULL,
  actor      TEXT NOT NULL,
  action     TEXT NOT NULL,
  subject    TEXT NOT NULL,
  detail     TEXT NOT NULL,
  prev_hash  TEXT NOT NULL,
  hash       TEXT NOT NULL
);
`;
