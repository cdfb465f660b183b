// The dashboard: sessions (an API token traded for an expiring cookie; only a hash of the cookie
// is stored, with the CSRF token the page must echo on writes), the daily rollup behind the
// burn-down chart (devices in a ban's scope by compliance state, one row per ban and calendar day
// in the ban's zone), and the indexes the device and audit filters need.
export const id = '20261201T0900-dashboard';
export const sql = `
CREATE TABLE dashboard_sessions (
  id_hash     TEXT PRIMARY KEY,
  token_id    TEXT NOT NULL REFERENCES api_tokens(id),
  csrf        TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  ended_at    TEXT
);
CREATE INDEX dashboard_sessions_token ON dashboard_sessions(token_id);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions(expires_at);

-- final = 1 once the row was computed after its day ended (until then it is redone).
CREATE TABLE compliance_daily (
  policy_id     TEXT NOT NULL,
  day           TEXT NOT NULL,
  in_scope      INTEGER NOT NULL,
  clear         INTEGER NOT NULL,
  noticed       INTEGER NOT NULL,
  acknowledged  INTEGER NOT NULL,
  violating     INTEGER NOT NULL,
  remediated    INTEGER NOT NULL,
  exempt        INTEGER NOT NULL,
  computed_at   TEXT NOT NULL,
  final         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (policy_id, day)
);

CREATE INDEX devices_platform ON devices(platform, hostname, id);
CREATE INDEX devices_last_seen ON devices(last_seen_at);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE INDEX audit_log_actor ON audit_log(actor, seq);
CREATE INDEX audit_log_subject ON audit_log(subject, seq);
CREATE INDEX audit_log_at ON audit_log(at);
`;
