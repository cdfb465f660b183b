// A ban policy: which tools, from when (a wall-clock time in an IANA time zone), why, and what to
// use instead. Before the effective instant a detection is notice-stage; from it on, enforced.
// The bundle is everything an agent needs to decide offline: bans plus the catalog they use.
import { z } from 'zod';
import { IANAZone } from 'luxon';
import { MAX_TEXT_CHARS } from '../constants.js';
import { ShortText, Timestamp, ToolId } from '../protocol/common.js';
import { Tool } from '../catalog/schema.js';

export const LocalizedText = z.strictObject({
  en: z.string().min(1).max(MAX_TEXT_CHARS),
  'zh-CN': z.string().min(1).max(MAX_TEXT_CHARS).optional(),
});
export type LocalizedText = z.infer<typeof LocalizedText>;

export const Replacement = z.strictObject({
  toolId: ToolId,
  installUrl: z.url().optional(),
  note: LocalizedText.optional(),
});

export const TimeZone = z.string().refine((tz) => IANAZone.isValidZone(tz), 'not an IANA time zone');

/** Wall-clock time in `timeZone`, e.g. { at: '2026-07-10T00:00', timeZone: 'Asia/Shanghai' }. */
export const ZonedTime = z.strictObject({
  at: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'local date-time YYYY-MM-DDTHH:mm'),
  timeZone: TimeZone,
});
export type ZonedTime = z.infer<typeof ZonedTime>;

/** What an admin submits to create a policy. */
export const PolicySpec = z.strictObject({
  name: ShortText,
  tools: z.array(ToolId).min(1).max(50),
  reason: LocalizedText,
  effective: ZonedTime,
  replacements: z.array(Replacement).max(20).default([]),
});
export type PolicySpec = z.infer<typeof PolicySpec>;
export type PolicySpecInput = z.input<typeof PolicySpec>;

/** A stored policy: the spec plus its id, resolved effective instant (UTC) and creation time. */
export const Policy = PolicySpec.extend({
  id: z.string().min(1).max(64),
  effectiveInstant: Timestamp,
  createdAt: Timestamp,
});
export type Policy = z.infer<typeof Policy>;

export const PolicyBundle = z.strictObject({
  /** Increases by one with every change to policies or catalog. */
  version: z.number().int().positive(),
  issuedAt: Timestamp,
  policies: z.array(Policy),
  catalog: z.array(Tool),
});
export type PolicyBundle = z.infer<typeof PolicyBundle>;
