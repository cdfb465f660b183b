// Parses the instants people type for reports and queries ("as of", "known at"): an ISO 8601
// instant with its offset (2026-07-10T00:00:00+08:00, …Z), or a local date-time followed by an
// IANA zone (2026-07-10T00:00 Asia/Shanghai), resolved by the same rule as ban dates. A bare date
// or a local time without a zone is refused: "2026-07-10" means a different instant in every
// office, and a compliance report must not guess which one.
import { IANAZone } from 'luxon';
import { EdictError } from '../errors.js';
import { zonedToInstant } from './zoned-time.js';

export const INSTANT_FORMS = 'an ISO instant with its offset (2026-07-10T00:00:00+08:00 or 2026-07-09T16:00:00Z) or a local date-time with its zone (2026-07-10T00:00 Asia/Shanghai)';

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const ZONED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2})?)\s+([A-Za-z_]+(?:\/[A-Za-z0-9_+-]+)*)$/;

/** The instant `text` names, or an EDICT_ERR_VALIDATION that names `field` and the accepted forms. */
export function parseInstant(text: string, field = 'date'): Date {
  const t = text.trim();
  if (ISO_INSTANT.test(t)) {
    const ms = Date.parse(t);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  const z = ZONED.exec(t);
  if (z) {
    if (!IANAZone.isValidZone(z[2])) throw new EdictError('EDICT_ERR_VALIDATION', `${field}: unknown time zone ${z[2]}; give ${INSTANT_FORMS}`);
    try {
      return zonedToInstant({ at: z[1], timeZone: z[2] });
    } catch {
      throw new EdictError('EDICT_ERR_VALIDATION', `${field}: ${z[1]} is not a valid date-time; give ${INSTANT_FORMS}`);
    }
  }
  const why = /^\d{4}-\d{2}-\d{2}$/.test(t) ? 'a bare date is a different instant in every time zone' : /^\d{4}-\d{2}-\d{2}T[\d:.]+$/.test(t) ? 'a local time needs its zone' : 'not a date';
  throw new EdictError('EDICT_ERR_VALIDATION', `${field}: "${text.slice(0, 60)}": ${why}; give ${INSTANT_FORMS}`);
}
