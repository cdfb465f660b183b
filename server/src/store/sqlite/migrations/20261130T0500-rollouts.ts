// Rollouts at scale: the policy travels as three parts with their own versions (catalog and
// policies kept in meta; the device part per device), the part versions each device confirmed it
// enforces (rollout progress), the policies-part version each publish made, and the indexes the
// paged lists need (every list is ordered by an indexed key and paged by cursor).
export const id = '20261130T0500-rollouts';
export const sql = `
INSERT OR IGNORE INTO meta(key, value) SELECT 'catalog_version', value FROM meta WHERE key = 'bundle_version';
INSERT OR IGNORE INTO meta(key, value) SELECT 'policies_version', value FROM meta WHERE key = 'bundle_version';

ALTER TABLE devices ADD COLUMN part_version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE devices ADD COLUMN applied_catalog INTEGER;
ALTER TABLE devices ADD COLUMN applied_policies INTEGER;
ALTER TABLE devices ADD COLUMN applied_device INTEGER;
ALTER TABLE devices ADD COLUMN applied_at TEXT;

ALTER TABLE policy_versions ADD COLUMN policies_part INTEGER;

CREATE INDEX devices_hostname ON devices(hostname, id);
CREATE INDEX devices_applied ON devices(applied_policies);
DROP INDEX detection_events_device;
CREATE INDEX detection_events_order ON detection_events(observed_at, event_id);
CREATE INDEX detection_events_device_order ON detection_events(device_id, observed_at, event_id);
CREATE INDEX detection_events_tool_order ON detection_events(tool_id, observed_at, event_id);
CREATE INDEX compliance_tool_state ON compliance(tool_id, state, device_id);
CREATE INDEX compliance_state ON compliance(state, device_id, tool_id);
CREATE INDEX exceptions_order ON exceptions(requested_at, id);
CREATE INDEX exceptions_status ON exceptions(status, requested_at, id);
`;
