// The ban policy model. A policy names tools, a scope, a reason (en + zh-CN), replacements and
// dated stages: monitor from publish, then notice, enforce and an optional hard stage, each from a
// wall-clock time in an IANA zone, each with an action. Admins edit drafts; publishing freezes a
// numbered version. The bundle an agent receives (policies in force, catalog, its exceptions) is
// signed by the server, so the agent can decide offline and trust what it decides on.
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { MAX_TEXT_CHARS } from '../constants.js';
import { ShortText, Stage, Timestamp, ToolId } from '../protocol/common.js';
import { Tool } from '../catalog/schema.js';
import { zonedToInstant } from './zoned-time.js';

export const LocalizedText = z.strictObject({
  en: z.string().min(1).max(MAX_TEXT_CHARS),
  'zh-CN': z.string().min(1).max(MAX_TEXT_CHARS).optional(),
});
export type LocalizedText = z.infer<typeof LocalizedText>;

export const Locale = z.enum(['en', 'zh-CN']);
export type Locale = z.infer<typeof Locale>;

export const Replacement = z.strictObject({
  toolId: ToolId,
  installUrl: z.url().optional(),
  note: LocalizedText.optional(),
});
export type Replacement = z.infer<typeof Replacement>;

export const TimeZone = z.string().refine((tz) => IANAZone.isValidZone(tz), 'not an IANA time zone');
/**
 * A zone name in a part whose signature was verified: the server checked it when the policy was
 * published, and agents decide on the resolved instants, so they do not check it again (that would
 * load the time-zone database, ~8 MB of resident memory, into every agent).
 */
const SignedZoneName = z.string().min(1).max(64);

/** Wall-clock time in `timeZone`, e.g. { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' }. */
const zonedTime = (zone: z.ZodType<string>) =>
  z.strictObject({
    at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'local date-time YYYY-MM-DDTHH:mm'),
    timeZone: zone,
  });
export const ZonedTime = zonedTime(TimeZone);
export type ZonedTime = z.infer<typeof ZonedTime>;

/** report: record only · notify: tell the employee · warn: tell and ask for acknowledgement · stop: end running copies after a countdown. */
export const Action = z.enum(['report', 'notify', 'warn', 'stop']);
export type Action = z.infer<typeof Action>;

/** Stages in order. `none`: no policy names the tool (or none applies to this device/user). */
export const StageName = Stage;
export type StageName = Stage;

const StageSpec = (defaultAction: Action, zone: z.ZodType<string>) => zonedTime(zone).extend({ action: Action.default(defaultAction) });

/** Who a ban applies to. Every list empty (the default) means every device and user. */
export const Scope = z
  .strictObject({
    /** Device ids. */
    devices: z.array(z.string().min(1).max(64)).max(10_000).default([]),
    /** Device tags (groups); a device matches when it has any of them. */
    tags: z.array(z.string().min(1).max(64)).max(100).default([]),
    /** OS user names; a detection matches when its user is one of them. */
    users: z.array(z.string().min(1).max(256)).max(10_000).default([]),
  })
  .default({ devices: [], tags: [], users: [] });
export type Scope = z.infer<typeof Scope>;

/** What an admin writes: a draft (PolicySpec adds the checks of zone names and date order). */
const policySpec = (zone: z.ZodType<string>) =>
  z.strictObject({
    name: ShortText,
    tools: z.array(ToolId).min(1).max(50),
    reason: LocalizedText,
    defaultLocale: Locale.default('en'),
    scope: Scope,
    replacements: z.array(Replacement).max(20).default([]),
    stages: z.strictObject({
      /** Optional: without it the notice stage starts at publish. */
      notice: StageSpec('notify', zone).optional(),
      enforce: StageSpec('warn', zone),
      hard: StageSpec('stop', zone).optional(),
    }),
    /** Reminder cadence for notices (hours), and the tighter one in the last three days before enforcement. */
    reminders: z
      .strictObject({ everyHours: z.number().min(1).max(24 * 30).default(24), lastDaysEveryHours: z.number().min(1).max(24).default(4) })
      .default({ everyHours: 24, lastDaysEveryHours: 4 }),
    /** Seconds between the warning and stopping a running copy, for the `stop` action. */
    stopCountdownSec: z.number().int().min(10).max(3600).default(300),
  });

export const PolicySpec = policySpec(TimeZone).superRefine((p, ctx) => {
    // Dates must be in order; compared as instants so different zones are handled.
    const order = (['notice', 'enforce', 'hard'] as const).filter((s) => p.stages[s]);
    let prev: { s: string; t: number } | undefined;
    for (const s of order) {
      const z0 = p.stages[s]!;
      if (!IANAZone.isValidZone(z0.timeZone)) continue; // the zone's own issue says what is wrong
      const t = zonedInstantOrNaN(z0.at, z0.timeZone);
      if (Number.isNaN(t)) {
        ctx.addIssue({ code: 'custom', path: ['stages', s, 'at'], message: 'not a valid date-time in that zone' });
        continue;
      }
      if (prev && t <= prev.t) ctx.addIssue({ code: 'custom', path: ['stages', s, 'at'], message: `must be after the ${prev.s} date` });
      prev = { s, t };
    }
  });
export type PolicySpec = z.infer<typeof PolicySpec>;
export type PolicySpecInput = z.input<typeof PolicySpec>;

function zonedInstantOrNaN(at: string, zone: string): number {
  if (!IANAZone.isValidZone(zone)) return NaN;
  try {
    return zonedToInstant({ at, timeZone: zone }).getTime();
  } catch {
    return NaN; // not a valid date-time: the caller reports it against the field
  }
}

/** The UTC instants of a version's stages, resolved once at publish. */
export const StageInstants = z.strictObject({
  monitor: Timestamp,
  notice: Timestamp,
  enforce: Timestamp,
  hard: Timestamp.optional(),
});
export type StageInstants = z.infer<typeof StageInstants>;

/** A published, frozen policy version as agents receive it. */
const published = {
  id: z.string().min(1).max(64),
  version: z.number().int().positive(),
  publishedAt: Timestamp,
  instants: StageInstants,
};
export const Policy = PolicySpec.safeExtend(published);
export type Policy = z.infer<typeof Policy>;

/** An exception in force for this device (device-wide) or one of its users. */
export const BundleException = z.strictObject({
  id: z.string().min(1).max(64),
  toolId: ToolId,
  /** Set when the exception is for one OS user; absent = the whole device. */
  user: z.string().min(1).max(256).optional(),
  expiresAt: Timestamp,
});
export type BundleException = z.infer<typeof BundleException>;

/**
 * What an agent receives travels as three signed parts, each with its own version, so a change
 * re-signs and re-sends only what changed: the catalog (the same for every device, sent when it
 * changes), the policies in force (the same for every device: identical bytes signed once per
 * version and sent to all), and the device part (its id, tags and exceptions: small, signed per
 * device and only when one of those changes). Scope is evaluated on the agent from the device part.
 */
const PartVersion = z.number().int().positive();
export const CatalogPart = z.strictObject({ part: z.literal('catalog'), version: PartVersion, issuedAt: Timestamp, tools: z.array(Tool) });
export type CatalogPart = z.infer<typeof CatalogPart>;
export const PoliciesPart = z.strictObject({ part: z.literal('policies'), version: PartVersion, issuedAt: Timestamp, policies: z.array(Policy) });
export type PoliciesPart = z.infer<typeof PoliciesPart>;
export const DevicePart = z.strictObject({
  part: z.literal('device'),
  version: PartVersion,
  issuedAt: Timestamp,
  /** The device this part was made for, and its tags (policy scope is evaluated on the agent). */
  device: z.strictObject({ id: z.string().min(1).max(64), tags: z.array(z.string().max(64)).max(100) }),
  exceptions: z.array(BundleException),
});
export type DevicePart = z.infer<typeof DevicePart>;
export const PolicyPart = z.discriminatedUnion('part', [CatalogPart, PoliciesPart, DevicePart]);
export type PolicyPart = z.infer<typeof PolicyPart>;
/**
 * A part as read after its signature was verified: every field checked, except that zone names and
 * date order are taken as published (see SignedZoneName). Used by verifyPart.
 */
export const VerifiedPolicyPart = z.discriminatedUnion('part', [
  CatalogPart,
  PoliciesPart.extend({ policies: z.array(policySpec(SignedZoneName).safeExtend(published)) }),
  DevicePart,
]);
export const PART_NAMES = ['catalog', 'policies', 'device'] as const;
export type PartName = (typeof PART_NAMES)[number];

/** The versions of the three parts a peer holds (`null`: none yet). */
export const PartVersions = z.strictObject({ catalog: PartVersion.nullable(), policies: PartVersion.nullable(), device: PartVersion.nullable() });
export type PartVersions = z.infer<typeof PartVersions>;

/** What the agent enforces: the three verified parts put together (built on the agent, never sent). */
export interface PolicyBundle {
  /** The policies part's version. */
  version: number;
  issuedAt: string;
  device: DevicePart['device'];
  policies: Policy[];
  catalog: Tool[];
  exceptions: BundleException[];
  parts: PartVersions;
}

/** What travels and is stored: one part as exact JSON text, and the server's Ed25519 signature over those bytes. */
export const SignedBundle = z.strictObject({
  bundleJson: z.string().min(2).max(4 * 1024 * 1024),
  /** base64 Ed25519 signature of bundleJson (UTF-8). */
  signature: z.string().min(1).max(200),
  /** SHA-256 (hex, first 16) of the public key that signed it. */
  keyId: z.string().min(1).max(64),
});
export type SignedBundle = z.infer<typeof SignedBundle>;
