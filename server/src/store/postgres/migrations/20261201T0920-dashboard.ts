// The dashboard (as SQLite's 20261201T0900-dashboard): sessions (an API token traded for an
// expiring cookie; only a hash of the cookie is stored, with the CSRF token the page echoes on
// writes), the daily rollup behind the burn-down chart (devices in a ban's scope by compliance
// state, one row per ban and calendar day in the ban's zone: `day` is that date as text, not an
// instant), and the indexes the device and audit filters need. Counts and `final` are integers as in SQLite.
export const id = '20261201T0920-dashboard';
export const sql = `
CREATE TABLE dashboard_sessions (
  id_hash     text COLLATE "C" PRIMARY KEY,
  token_id    text COLLATE "C" NOT NULL REFERENCES api_tokens(id),
  csrf        text NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  ended_at    timestamptz
);
CREATE INDEX dashboard_sessions_token ON dashboard_sessions(token_id);
CREATE INDEX dashboard_sessions_expiry ON dashboard_sessions(expires_at);

-- final = 1 once the row was computed after its day ended (until then it is redone).
CREATE TABLE compliance_daily (
  policy_id     text COLLATE "C" NOT NULL,
  day           text COLLATE "C" NOT NULL,
  in_scope      integer NOT NULL,
  clear         integer NOT NULL,
  noticed       integer NOT NULL,
  acknowledged  integer NOT NULL,
  violating     integer NOT NULL,
  remediated    integer NOT NULL,
  exempt        integer NOT NULL,
  computed_at   timestamptz NOT NULL,
  final         integer NOT NULL DEFAULT 0,
  PRIMARY KEY (policy_id, day)
);

CREATE INDEX devices_platform ON devices(platform, hostname, id);
CREATE INDEX devices_last_seen ON devices(last_seen_at);
CREATE INDEX audit_log_action ON audit_log(action, seq);
CREATE INDEX audit_log_actor ON audit_log(actor, seq);
CREATE INDEX audit_log_subject ON audit_log(subject, seq);
CREATE INDEX audit_log_at ON audit_log(at);
`;
