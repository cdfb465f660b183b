// detection_events and findings are written at fleet rate, hundreds of rows per statement. Their
// foreign keys to devices checked each row on its own (a lookup and a row lock on devices per row:
// about a sixth of the database's CPU per ingested event, measured with three nodes on one
// database). These statement triggers check all the rows a statement inserted with one anti-join
// and fail the same way (SQLSTATE 23503). Devices are never deleted (a device is revoked; a trigger
// refuses a delete) and no code changes a device id or an event's device, which is what keeps the
// rows pointing at a device afterwards (the checks run on insert only). Other tables keep their keys.
// The functions carry the search_path of the migration, so a session with another one (pg_dump's
// output sets it empty) still finds `devices`. A data-only restore needs --disable-triggers, as with keys.
export const id = '20261201T0930-event-device-check';
export const sql = `
CREATE FUNCTION edict_rows_have_devices() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
DECLARE
  missing text;
BEGIN
  SELECT n.device_id INTO missing FROM new_rows n WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = n.device_id) LIMIT 1;
  IF missing IS NOT NULL THEN
    RAISE EXCEPTION 'insert on table "%" names device "%", which is not enrolled', TG_TABLE_NAME, missing USING ERRCODE = 'foreign_key_violation';
  END IF;
  RETURN NULL;
END
$fn$;

CREATE FUNCTION edict_devices_are_kept() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
BEGIN
  RAISE EXCEPTION 'device "%" cannot be deleted: devices are kept with their history (revoke it instead)', OLD.id USING ERRCODE = 'restrict_violation';
END
$fn$;

ALTER TABLE detection_events DROP CONSTRAINT detection_events_device_id_fkey;
ALTER TABLE findings DROP CONSTRAINT findings_device_id_fkey;
CREATE TRIGGER detection_events_device AFTER INSERT ON detection_events REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION edict_rows_have_devices();
CREATE TRIGGER findings_device AFTER INSERT ON findings REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION edict_rows_have_devices();
CREATE TRIGGER devices_kept BEFORE DELETE ON devices FOR EACH ROW EXECUTE FUNCTION edict_devices_are_kept();
`;
