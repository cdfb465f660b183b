// A short-lived helper process that renders one notice (notices/render.ts) and exits. Formatting a
// date in the employee's language and time zone loads ICU's locale and zone data, ~8 MB that would
// stay resident in the agent for the rest of its life for a notice shown perhaps once a day; here
// it is returned to the system when the helper exits. Input: one JSON object on stdin
// ({ input, locale, nowMs, timeZone? }); output: the rendered notice as JSON on stdout.
import { renderNotice, type Locale, type NoticeInput } from './render.js';

const chunks: Buffer[] = [];
for await (const c of process.stdin) chunks.push(c as Buffer);
const req = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: NoticeInput; locale: Locale; nowMs: number; timeZone?: string };
const timeZone = req.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
process.stdout.write(JSON.stringify(renderNotice(req.input, req.locale, new Date(req.nowMs), timeZone)));
