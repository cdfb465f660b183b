// The compliance report as CSV (one row per device × tool, first line names the columns), JSON
// (parameters, policies, summary, rows) and a printable HTML page (totals per state, stage and
// tag; the policies' text and versions; exceptions in force; every row). Pure functions of the
// report: the same report gives the same bytes (no time of generation inside; keys in a fixed
// order; byte-order sorting).
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import type { ComplianceReport, ReportRow } from './compliance-report.js';

export const CSV_COLUMNS = [
  'deviceId',
  'hostname',
  'toolId',
  'state',
  'since',
  'stage',
  'policyId',
  'policyVersion',
  'tags',
  'tagsSource',
  'users',
  'evidence',
  'evidenceEventIds',
  'exceptionHolder',
  'exceptionApprovedBy',
  'exceptionReason',
  'exceptionExpiresAt',
  'lastReportAt',
  'enrolledAt',
] as const;

/** One CSV cell: quoted when needed; a leading = + - @ is defused so a spreadsheet never runs it. */
function csvCell(v: string | number | null): string {
  let s = v === null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function evidenceText(r: ReportRow): string {
  const items = r.evidence.map((e) => `${e.state} ${e.kind} ${e.path ?? '-'}${e.version ? ` v${e.version}` : ''} (user ${e.user}; first ${e.firstSeen}; last ${e.lastSeen}; ${e.events} events)`);
  if (r.evidenceTruncated) items.push(`… ${r.evidenceTruncated} older findings`);
  return items.join(' | ');
}

export function renderCsv(report: ComplianceReport): string {
  return [CSV_COLUMNS.join(','), ...report.rows.map(csvLine)].join('\r\n') + '\r\n';
}

/** Rows rendered between two turns of the event loop by renderCsvAsync (~20 ms of work). */
const CSV_ROWS_PER_TURN = 1_000;

/** The same bytes as renderCsv, with the event loop given a turn every CSV_ROWS_PER_TURN rows (a fleet-wide report is ~1 s of work). */
export async function renderCsvAsync(report: ComplianceReport): Promise<string> {
  const lines = [CSV_COLUMNS.join(',')];
  for (let i = 0; i < report.rows.length; i += CSV_ROWS_PER_TURN) {
    for (const r of report.rows.slice(i, i + CSV_ROWS_PER_TURN)) lines.push(csvLine(r));
    await yieldToLoop();
  }
  return lines.join('\r\n') + '\r\n';
}

function csvLine(r: ReportRow): string {
  const cells: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    deviceId: r.deviceId,
    hostname: r.hostname,
    toolId: r.toolId,
    state: r.state,
    since: r.since,
    stage: r.stage,
    policyId: r.policyId,
    policyVersion: r.policyVersion,
    tags: r.tags.join(';'),
    tagsSource: r.tagsSource,
    users: r.users.join(';'),
    evidence: evidenceText(r),
    evidenceEventIds: r.evidence.flatMap((e) => (e.firstEventId === e.lastEventId ? [e.firstEventId] : [e.firstEventId, e.lastEventId])).join(';'),
    exceptionHolder: r.exception?.holder ?? null,
    exceptionApprovedBy: r.exception?.approvedBy ?? null,
    exceptionReason: r.exception?.reason ?? null,
    exceptionExpiresAt: r.exception?.expiresAt ?? null,
    lastReportAt: r.lastReportAt,
    enrolledAt: r.enrolledAt,
  };
  return CSV_COLUMNS.map((c) => csvCell(cells[c])).join(',');
}

export function renderJson(report: ComplianceReport): string {
  return JSON.stringify({ kind: 'edict-compliance-report', ...report }, null, 2) + '\n';
}

const esc = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function renderHtml(report: ComplianceReport): string {
  const p = report.parameters;
  const s = report.summary;
  const table = (head: string[], rows: unknown[][]) =>
    `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
  const states = Object.keys(s.byState);
  const parts = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Edict compliance report</title>',
    '<style>body{font:13px/1.4 system-ui,sans-serif;margin:24px;color:#111}table{border-collapse:collapse;margin:8px 0 16px}th,td{border:1px solid #bbb;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eee}h1{font-size:20px}h2{font-size:16px;margin-top:24px}.note{color:#555}@media print{body{margin:0}}</style>',
    '</head><body>',
    '<h1>Compliance report</h1>',
    table(['parameter', 'value'], [
      ['as of', `${p.asOf}${p.asOfGiven !== p.asOf ? ` (${p.asOfGiven})` : ''}`],
      ['as known at', `${p.knownAt}${p.knownAtGiven && p.knownAtGiven !== p.knownAt ? ` (${p.knownAtGiven})` : ''}`],
      ['policy', p.policy ?? 'every ban in force'],
      ['tool', p.tool ?? 'every banned tool'],
      ['tag', p.tag ?? 'every device'],
    ]),
    `<p>${s.rows} rows for ${s.devices} devices in scope. ${s.notYetEnrolled} devices enrolled after this instant are not part of it.${s.tagsFromBaseline ? ` For ${s.tagsFromBaseline} rows the device's tags before its tag history began are unknown; its first recorded tags were used (column tagsSource = baseline).` : ''}</p>`,
    '<h2>By state</h2>',
    table(['state', 'rows'], Object.entries(s.byState)),
    '<h2>By stage</h2>',
    table(['stage', 'rows'], Object.entries(s.byStage)),
    '<h2>By tag</h2>',
    table(['tag', ...states], Object.entries(s.byTag).map(([t, c]) => [t, ...states.map((st) => c[st as keyof typeof c])])),
    '<h2>Bans in force at this instant</h2>',
    ...report.policies.map(
      (x) =>
        `<h3>${esc(x.name)} — version ${x.version}</h3>` +
        table(['field', 'value'], [
          ['id', x.id],
          ['published', x.publishedAt],
          ['tools', x.tools.join(', ')],
          ['scope', `devices: ${x.scope.devices.join(', ') || 'all'}; tags: ${x.scope.tags.join(', ') || 'all'}; users: ${x.scope.users.join(', ') || 'all'}`],
          ['reason (en)', x.reason.en],
          ['reason (zh-CN)', x.reason['zh-CN'] ?? ''],
          ...Object.entries(x.instants).map(([k, v]) => [`${k} from`, v]),
          ['replacements', x.replacements.map((r) => r.toolId).join(', ')],
        ]),
    ),
    '<h2>Exceptions in force</h2>',
    table(
      ['device', 'hostname', 'tool', 'holder', 'approved by', 'reason', 'expires'],
      report.rows.filter((r) => r.exception).map((r) => [r.deviceId, r.hostname, r.toolId, r.exception!.holder, r.exception!.approvedBy ?? '', r.exception!.reason, r.exception!.expiresAt]),
    ),
    '<h2>Every device × tool</h2>',
    table(
      ['hostname', 'device', 'tool', 'state', 'since', 'stage', 'tags', 'users', 'evidence', 'last report'],
      report.rows.map((r) => [r.hostname, r.deviceId, r.toolId, r.state, r.since ?? '', r.stage, r.tags.join(', '), r.users.join(', '), evidenceText(r), r.lastReportAt ?? '']),
    ),
    '<p class="note">Produced by Edict from the recorded compliance state. The evidence pack (zip) carries this page with the CSV and JSON and a manifest signed by the server.</p>',
    '</body></html>',
  ];
  return parts.join('\n') + '\n';
}
