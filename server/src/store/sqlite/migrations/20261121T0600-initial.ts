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
  tags                 TEXT NOT NULL DEFAULT '[]',
  revoked_at           TEXT
);

CREATE TABLE tools (
  id          TEXT PRIMARY KEY,
  body        TEXT NOT NULL,
  source      TEXT NOT NULL CHECK (source IN ('builtin', 'custom')),
  updated_at  TEXT NOT NULL
);

-- Drafts are edited in place; publishing freezes a numbered row in policy_versions.
CREATE TABLE policies (
  id               TEXT PRIMARY KEY,
  name             TEXT NOT NULL,
  draft            TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('draft', 'published', 'retired')),
  created_at       TEXT NOT NULL,
  created_by       TEXT NOT NULL,
  updated_at       TEXT NOT NULL,
  latest_version   INTEGER,
  retired_at       TEXT
);

CREATE TABLE policy_versions (
  policy_id     TEXT NOT NULL REFERENCES policies(id),
  version       INTEGER NOT NULL,
  body          TEXT NOT NULL,
  published_at  TEXT NOT NULL,
  published_by  TEXT NOT NULL,
  PRIMARY KEY (policy_id, version)
);

CREATE TABLE exceptions (
  id              TEXT PRIMARY KEY,
  tool_id         TEXT NOT NULL,
  device_id       TEXT NOT NULL REFERENCES devices(id),
  os_user         TEXT,
  reason          TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('requested', 'granted', 'denied', 'revoked', 'expired')),
  requested_by    TEXT NOT NULL,
  requested_at    TEXT NOT NULL,
  request_event   TEXT UNIQUE,
  decided_by      TEXT,
  decided_at      TEXT,
  decision_note   TEXT,
  expires_at      TEXT,
  ended_at        TEXT,
  ended_by        TEXT,
  decision_sent   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX exceptions_device ON exceptions(device_id, tool_id);

-- Current compliance state per device x tool; every change is also a row in timeline.
CREATE TABLE compliance (
  device_id  TEXT NOT NULL REFERENCES devices(id),
  tool_id    TEXT NOT NULL,
  state      TEXT NOT NULL,
  since      TEXT NOT NULL,
  PRIMARY KEY (device_id, tool_id)
);

-- The device timeline: state changes (kind 'state', with from/to and cause) and the facts that
-- cause them (notices shown, acknowledgements, exception requests/decisions, enforcement steps).
CREATE TABLE timeline (
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  device_id    TEXT NOT NULL REFERENCES devices(id),
  tool_id      TEXT NOT NULL,
  at           TEXT NOT NULL,
  kind         TEXT NOT NULL,
  from_state   TEXT,
  to_state     TEXT,
  cause        TEXT NOT NULL,
  detail       TEXT NOT NULL DEFAULT '{}',
  event_id     TEXT UNIQUE,
  recorded_at  TEXT NOT NULL
);
CREATE INDEX timeline_device ON timeline(device_id, tool_id, at);

CREATE TABLE acknowledgements (
  event_id   TEXT PRIMARY KEY,
  device_id  TEXT NOT NULL REFERENCES devices(id),
  tool_id    TEXT NOT NULL,
  os_user    TEXT NOT NULL,
  stage      TEXT NOT NULL,
  at         TEXT NOT NULL
);
CREATE INDEX acknowledgements_device ON acknowledgements(device_id, tool_id, at);

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
