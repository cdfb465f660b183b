// The shape of a notice message catalog. A catalog is data only: one template per key, with
// `{name}` placeholders filled by render.ts. Every catalog has exactly the same keys and, per key,
// the same placeholders (test/unit/notices/catalogs.test.ts keeps them in step).

export const MESSAGE_KEYS = [
  'title.notice',
  'title.reminder',
  'title.enforced',
  'title.stopWarning',
  'title.exceptionGranted',
  'title.exceptionDenied',
  'body.lead.notice',
  'body.lead.enforced',
  'body.stopWarning',
  'body.reason',
  'body.replacements',
  'body.replacement.url',
  'body.replacement.noUrl',
  'body.replacement.note',
  'body.ack.required',
  'body.ack.optional',
  'body.exception',
  'body.exceptionGranted.until',
  'body.exceptionGranted.open',
  'body.exceptionDenied',
  'body.decisionNote',
  'action.ack',
  'countdown.now',
] as const;

export type MessageKey = (typeof MESSAGE_KEYS)[number];
export type Messages = Readonly<Record<MessageKey, string>>;
