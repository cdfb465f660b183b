#!/usr/bin/env node
// edictctl: the admin CLI over the REST API. Server and token come from --server/--token,
// --token-file, or EDICT_SERVER_URL / EDICT_TOKEN / EDICT_TOKEN_FILE. --json prints raw JSON.
import { readFileSync, writeFileSync } from 'node:fs';
import { verifyCheckpoint } from '../audit/service.js';
import { verifyPack } from '../reports/pack.js';
import type { AuditCheckpoint } from '../store/index.js';
import { Command } from 'commander';
import { EdictError } from '../../../shared/src/errors.js';
import { EDICT_VERSION_LINE } from '../../../shared/src/version.js';
import { DEFAULT_PORT } from '../constants.js';
import { ApiClient } from './client.js';

type Row = Record<string, unknown>;

const program = new Command('edictctl')
  .description('Edict admin CLI')
  .version(EDICT_VERSION_LINE)
  .option('--server <url>', 'server URL', process.env.EDICT_SERVER_URL ?? `http://127.0.0.1:${DEFAULT_PORT}`)
  .option('--token <token>', 'API token (prefer --token-file or EDICT_TOKEN_FILE: a flag shows in ps)')
  .option('--token-file <file>', 'file holding the API token')
  .option('--json', 'print raw JSON')
  .showHelpAfterError();

function api(): ApiClient {
  const o = program.opts<{ server: string; token?: string; tokenFile?: string }>();
  let token = o.token ?? process.env.EDICT_TOKEN;
  const file = o.tokenFile ?? process.env.EDICT_TOKEN_FILE;
  if (!token && file) {
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new EdictError('EDICT_ERR_CONFIG', `token file ${file}: ${(err as Error).message}`);
    }
  }
  return new ApiClient(o.server, token);
}

function print(data: unknown, columns?: string[]): void {
  const json = program.opts<{ json?: boolean }>().json;
  const items = (data as { items?: Row[] })?.items;
  if (json || !columns || !items) {
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const rows = items.map((r) => columns.map((c) => cell(c.split('.').reduce<unknown>((o, k) => (o as Row | undefined)?.[k], r))));
  const widths = columns.map((c, i) => Math.max(c.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  process.stdout.write([line(columns), ...rows.map(line)].join('\n') + '\n');
  if (!items.length) process.stdout.write('(none)\n');
}

/** Default and largest number of rows a list command prints (it follows the API's pages). */
const LIST_DEFAULT_ROWS = 1000;

/** Fetches a paged list until `max` rows or the last page; `next` is set when more rows remain. */
async function fetchPages(path: string, query: Record<string, string | undefined> = {}, max = LIST_DEFAULT_ROWS): Promise<{ items: Row[]; next: string | null }> {
  const items: Row[] = [];
  let next: string | null = null;
  do {
    const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
    q.set('limit', String(Math.min(1000, max - items.length)));
    if (next) q.set('cursor', next);
    const page = await api().request<{ items: Row[]; next: string | null }>('GET', `${path}?${q}`);
    items.push(...page.items);
    next = page.next;
  } while (next && items.length < max);
  return { items, next };
}

/** Prints every row of a paged list (up to --limit) as a table, saying when more remain. */
async function printList(path: string, columns: string[], query: Record<string, string | undefined> = {}, limit?: string): Promise<void> {
  const max = limit ? Number(limit) : LIST_DEFAULT_ROWS;
  if (!Number.isInteger(max) || max < 1) throw new EdictError('EDICT_ERR_VALIDATION', `--limit: a whole number of rows, got ${limit}`);
  const r = await fetchPages(path, query, max);
  print(r, columns);
  if (r.next && !program.opts<{ json?: boolean }>().json) process.stdout.write(`(more than ${r.items.length} rows; raise --limit to see more)\n`);
}

const et = program.command('enrollment-tokens').description('tokens agents use to enroll');
et.command('create')
  .option('--label <label>', 'what the token is for', 'enrollment')
  .option('--ttl-hours <n>', 'lifetime in hours')
  .option('--max-uses <n>', 'how many devices may use it')
  .option('--tag <tag>', 'a tag every device enrolled with it starts with (repeatable)', (v: string, all: string[]) => [...all, v], [] as string[])
  .action(async (o: { label: string; ttlHours?: string; maxUses?: string; tag: string[] }) => {
    print(
      await api().request('POST', '/enrollment-tokens', {
        label: o.label,
        ...(o.ttlHours ? { ttlHours: Number(o.ttlHours) } : {}),
        ...(o.maxUses ? { maxUses: Number(o.maxUses) } : {}),
        ...(o.tag.length ? { tags: o.tag } : {}),
      }),
    );
  });
et.command('list')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o: { limit: string }) => printList('/enrollment-tokens', ['id', 'label', 'expiresAt', 'uses', 'maxUses', 'revokedAt'], {}, o.limit));
et.command('revoke <id>').action(async (id: string) => {
  await api().request('DELETE', `/enrollment-tokens/${encodeURIComponent(id)}`);
  process.stdout.write(`revoked ${id}\n`);
});

const tok = program.command('tokens').description('API tokens with a role: admin, auditor (read-only) or helpdesk (devices and exceptions)');
tok
  .command('create')
  .requiredOption('--role <role>', 'admin|auditor|helpdesk')
  .requiredOption('--name <name>', 'who or what holds it (shown in the audit log)')
  .option('--expires <date>', 'e.g. 2027-01-01T00:00 Europe/Berlin or 2027-01-01T00:00:00Z')
  .action(async (o: { role: string; name: string; expires?: string }) => {
    const t = await api().request<{ id: string; role: string; name: string; token: string; expiresAt: string | null }>('POST', '/tokens', { role: o.role, name: o.name, ...(o.expires ? { expiresAt: o.expires } : {}) });
    if (program.opts<{ json?: boolean }>().json) return print(t);
    process.stdout.write(`created ${t.role} token ${t.id} (${t.name})${t.expiresAt ? `, expires ${t.expiresAt}` : ''}\n${t.token}\n(shown once: store it now)\n`);
  });
tok
  .command('list')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o: { limit: string }) => printList('/tokens', ['id', 'role', 'name', 'state', 'createdBy', 'expiresAt', 'lastUsedAt', 'revokedAt'], {}, o.limit));
tok.command('revoke <id>').action(async (id: string) => {
  await api().request('DELETE', `/tokens/${encodeURIComponent(id)}`);
  process.stdout.write(`revoked ${id}\n`);
});

const dev = program.command('devices').description('enrolled devices');
dev
  .command('list')
  .option('--search <text>', 'hostname contains')
  .option('--tag <tag>')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o: { search?: string; tag?: string; limit: string }) =>
    printList('/devices', ['id', 'hostname', 'platform', 'connected', 'lastSeenAt', 'applied.policies', 'revokedAt'], { search: o.search, tag: o.tag }, o.limit),
  );
dev
  .command('show <id>')
  .description("one device: identity, connection, and the agent's last reported health (collectors that cannot complete)")
  .action(async (id: string) => {
    const d = await api().request<DeviceView>('GET', `/devices/${encodeURIComponent(id)}`);
    if (program.opts<{ json?: boolean }>().json) return print(d);
    process.stdout.write(renderDevice(d));
  });
dev
  .command('tags <id> [tags...]')
  .description("set a device's tags (policy scope); no tags clears them")
  .action(async (id: string, tags: string[]) => print(await api().request('PUT', `/devices/${encodeURIComponent(id)}/tags`, { tags })));
dev
  .command('timeline <id>')
  .description("a device's timeline: state changes with their causes, notices, acknowledgements, exceptions")
  .option('--tool <id>')
  .action(async (id: string, o: { tool?: string }) =>
    print(await api().request('GET', `/devices/${encodeURIComponent(id)}/timeline${o.tool ? `?toolId=${encodeURIComponent(o.tool)}` : ''}`), ['at', 'toolId', 'kind', 'fromState', 'toState', 'cause']),
  );
dev.command('revoke <id>').action(async (id: string) => print(await api().request('POST', `/devices/${encodeURIComponent(id)}/revoke`)));

const DET_COLUMNS = ['observedAt', 'hostname', 'toolId', 'kind', 'user', 'state', 'stage', 'confidence', 'evidence.path'];
function detectionQuery(o: { device?: string; tool?: string; stage?: string }): Record<string, string | undefined> {
  return { deviceId: o.device, toolId: o.tool, stage: o.stage };
}
program
  .command('detections')
  .description('detection events reported by agents')
  .option('--device <id>')
  .option('--tool <id>')
  .option('--stage <stage>', 'none|notice|enforce')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o) => printList('/detections', DET_COLUMNS, detectionQuery(o), o.limit));
program
  .command('violations')
  .description('present detections of tools in the enforce stage')
  .option('--device <id>')
  .option('--tool <id>')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o) => printList('/violations', DET_COLUMNS, detectionQuery(o), o.limit));

const tools = program.command('tools').description('the tool catalog (built-in and custom)');
tools.command('list').action(async () => printList('/tools', ['id', 'displayName', 'vendor', 'category']));
tools.command('show <id>').action(async (id: string) => print(await api().request('GET', `/tools/${encodeURIComponent(id)}`)));
tools
  .command('put')
  .description('add or override a tool from a JSON file (a catalog Tool object)')
  .requiredOption('--file <file>', 'tool JSON')
  .action(async (o: { file: string }) => {
    let tool: { id?: unknown };
    try {
      tool = JSON.parse(readFileSync(o.file, 'utf8')) as { id?: unknown };
    } catch (err) {
      throw new EdictError('EDICT_ERR_VALIDATION', `${o.file}: ${(err as Error).message}`);
    }
    if (typeof tool.id !== 'string') throw new EdictError('EDICT_ERR_VALIDATION', `${o.file}: id: a tool id is required`);
    print(await api().request('PUT', `/tools/${encodeURIComponent(tool.id)}`, tool));
  });
tools
  .command('delete <id>')
  .description('remove a custom tool (a built-in of the same id comes back)')
  .action(async (id: string) => print(await api().request('DELETE', `/tools/${encodeURIComponent(id)}`)));

function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EdictError('EDICT_ERR_VALIDATION', `${file}: ${(err as Error).message}`);
  }
}
const enc = encodeURIComponent;

const pol = program.command('policies').description('ban policies: drafts, publishing, impact preview');
pol
  .command('create')
  .description('create a draft from a JSON spec (agents see nothing until it is published)')
  .requiredOption('--file <file>', 'JSON policy spec (see README and /api/v1/openapi.json)')
  .option('--publish', 'publish it at once')
  .action(async (o: { file: string; publish?: boolean }) => {
    const draft = await api().request<{ id: string }>('POST', '/policies', readJsonFile(o.file));
    print(o.publish ? await api().request('POST', `/policies/${enc(draft.id)}/publish`) : draft);
  });
pol
  .command('edit <id>')
  .description("replace a policy's draft from a JSON spec")
  .requiredOption('--file <file>', 'JSON policy spec')
  .action(async (id: string, o: { file: string }) => print(await api().request('PUT', `/policies/${enc(id)}`, readJsonFile(o.file))));
pol.command('publish <id>').description('freeze the draft as the next version and push it to agents').action(async (id: string) => print(await api().request('POST', `/policies/${enc(id)}/publish`)));
pol.command('retire <id>').description('end a policy').action(async (id: string) => print(await api().request('POST', `/policies/${enc(id)}/retire`)));
pol
  .command('preview <id>')
  .description('which devices and users the draft would notice or put in violation, now and at each stage date')
  .action(async (id: string) => {
    const r = await api().request<{ points: { label: string; at: string; devices: Row[]; counts: Record<string, number> }[] }>('GET', `/policies/${enc(id)}/preview`);
    if (program.opts<{ json?: boolean }>().json) return print(r);
    for (const p of r.points) {
      process.stdout.write(`${p.label} (${p.at}): ${Object.entries(p.counts).map(([k, v]) => `${v} ${k}`).join(', ') || 'no devices affected'}\n`);
      print({ items: p.devices }, ['hostname', 'deviceId', 'toolId', 'users', 'state']);
    }
  });
pol.command('list').action(async () => printList('/policies', ['id', 'name', 'status', 'latestVersion', 'draft.tools', 'draft.stages.enforce.at', 'draft.stages.enforce.timeZone']));
pol
  .command('rollout <id>')
  .description('how far the latest version got: devices that confirmed it, still pending (connected), offline')
  .action(async (id: string) => {
    const r = await api().request<{ version: number; devices: number; delivered: number; pending: number; offline: number }>('GET', `/policies/${enc(id)}/rollout`);
    if (program.opts<{ json?: boolean }>().json) return print(r);
    process.stdout.write(`version ${r.version}: ${r.delivered} of ${r.devices} devices enforce it, ${r.pending} pending (connected), ${r.offline} offline\n`);
  });
pol.command('show <id>').action(async (id: string) => print(await api().request('GET', `/policies/${enc(id)}`)));

const exc = program.command('exceptions').description('exceptions to bans, for a device or one of its users');
exc
  .command('list')
  .option('--device <id>')
  .option('--status <status>', 'requested|granted|denied|revoked|expired')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o: { device?: string; status?: string; limit: string }) =>
    printList('/exceptions', ['id', 'deviceId', 'toolId', 'user', 'status', 'expiresAt', 'reason'], { deviceId: o.device, status: o.status }, o.limit),
  );
exc
  .command('grant')
  .requiredOption('--device <id>')
  .requiredOption('--tool <id>')
  .requiredOption('--reason <text>')
  .requiredOption('--expires <iso>', 'end of the exception, e.g. 2026-12-31T00:00:00Z')
  .option('--user <name>', 'only this OS user on the device')
  .action(async (o: { device: string; tool: string; reason: string; expires: string; user?: string }) =>
    print(await api().request('POST', '/exceptions', { deviceId: o.device, toolId: o.tool, reason: o.reason, expiresAt: new Date(o.expires).toISOString(), ...(o.user ? { user: o.user } : {}) })),
  );
exc
  .command('approve <id>')
  .requiredOption('--expires <iso>')
  .option('--note <text>')
  .action(async (id: string, o: { expires: string; note?: string }) =>
    print(await api().request('POST', `/exceptions/${enc(id)}/approve`, { expiresAt: new Date(o.expires).toISOString(), ...(o.note ? { note: o.note } : {}) })),
  );
exc
  .command('deny <id>')
  .option('--note <text>')
  .action(async (id: string, o: { note?: string }) => print(await api().request('POST', `/exceptions/${enc(id)}/deny`, o.note ? { note: o.note } : {})));
exc.command('revoke <id>').action(async (id: string) => print(await api().request('POST', `/exceptions/${enc(id)}/revoke`)));

program
  .command('compliance')
  .description('state of every device x banned tool, now or as of a past date')
  .option('--as-of <iso>', 'e.g. 2026-07-10T00:00:00+08:00')
  .option('--tool <id>')
  .option('--state <state>', 'clear|noticed|acknowledged|violating|remediated|exempt')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o: { asOf?: string; tool?: string; state?: string; limit: string }) =>
    printList('/compliance', ['hostname', 'deviceId', 'toolId', 'state', 'since'], { asOf: o.asOf ? new Date(o.asOf).toISOString() : undefined, toolId: o.tool, state: o.state }, o.limit),
  );

program
  .command('keys')
  .description("the server's public signing key (to verify evidence packs and audit checkpoints offline)")
  .option('--out <file>', 'write the PEM there')
  .action(async (o: { out?: string }) => {
    const r = await api().request<{ items: { keyId: string; publicKeyPem: string }[] }>('GET', '/keys');
    const k = r.items[0];
    if (o.out) {
      writeFileSync(o.out, k.publicKeyPem);
      process.stdout.write(`wrote key ${k.keyId} to ${o.out}\n`);
    } else if (program.opts<{ json?: boolean }>().json) print(r);
    else process.stdout.write(k.publicKeyPem);
  });

function readKey(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new EdictError('EDICT_ERR_VALIDATION', `--key ${file}: ${(err as Error).message}`);
  }
}

program
  .command('report [action] [file]')
  .description('compliance report as of a date (csv|json|html, or a signed evidence pack: zip); `report verify FILE.zip --key KEY.pem` checks a pack offline')
  .option('--as-of <date>', 'e.g. "2026-07-10T00:00 Asia/Shanghai" or 2026-07-09T16:00:00Z (a bare date is refused)')
  .option('--known-at <date>', 'what the server knew at that time (default now)')
  .option('--policy <id>')
  .option('--tool <id>')
  .option('--tag <tag>')
  .option('--format <format>', 'csv|json|html|zip', 'csv')
  .option('--out <file>', 'write to this file (required for zip on a terminal)')
  .option('--key <pem>', 'for verify: the server public key you hold (edictctl keys --out)')
  .action(async (action: string | undefined, file: string | undefined, o: { asOf?: string; knownAt?: string; policy?: string; tool?: string; tag?: string; format: string; out?: string; key?: string }) => {
    if (action === 'verify') {
      if (!file) throw new EdictError('EDICT_ERR_VALIDATION', 'report verify FILE.zip --key KEY.pem: which file?');
      if (!o.key) throw new EdictError('EDICT_ERR_VALIDATION', 'report verify: --key KEY.pem is required (the server key you hold; a pack is never checked against a key it carries itself)');
      let zip: Buffer;
      try {
        zip = readFileSync(file);
      } catch (err) {
        throw new EdictError('EDICT_ERR_VALIDATION', `${file}: ${(err as Error).message}`);
      }
      const v = verifyPack(zip, readKey(o.key));
      if (program.opts<{ json?: boolean }>().json) print(v);
      else if (v.ok) process.stdout.write(`evidence pack verified: ${v.manifest!.files.length} files, ${v.manifest!.counts.rows} rows, as of ${v.manifest!.parameters.asOf}, signed by key ${v.manifest!.keyId}\n`);
      else process.stdout.write(`evidence pack NOT verified:\n${v.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      if (!v.ok) process.exitCode = 2;
      return;
    }
    if (action !== undefined) throw new EdictError('EDICT_ERR_VALIDATION', `report ${action}: unknown action (use \`report --as-of …\` or \`report verify FILE\`)`);
    if (!o.asOf) throw new EdictError('EDICT_ERR_VALIDATION', '--as-of is required, e.g. "2026-07-10T00:00 Asia/Shanghai"');
    if (!['csv', 'json', 'html', 'zip'].includes(o.format)) throw new EdictError('EDICT_ERR_VALIDATION', `--format: csv, json, html or zip, not ${o.format}`);
    if (o.format === 'zip' && !o.out && process.stdout.isTTY) throw new EdictError('EDICT_ERR_VALIDATION', '--out FILE.zip is required for an evidence pack on a terminal');
    const q = new URLSearchParams({ asOf: o.asOf, format: o.format, ...(o.knownAt ? { knownAt: o.knownAt } : {}), ...(o.policy ? { policy: o.policy } : {}), ...(o.tool ? { tool: o.tool } : {}), ...(o.tag ? { tag: o.tag } : {}) });
    const body = await api().download(`/reports/compliance?${q}`);
    if (o.out) {
      writeFileSync(o.out, body);
      process.stderr.write(`wrote ${o.out} (${body.length} bytes)\n`);
    } else process.stdout.write(body);
  });

const audit = program.command('audit').description('the audit log');
audit
  .command('list')
  .option('--limit <n>', 'most rows to print', String(LIST_DEFAULT_ROWS))
  .action(async (o: { limit: string }) => printList('/audit', ['seq', 'at', 'actor', 'action', 'subject'], {}, o.limit));
program
  .command('summary')
  .description('every ban in force: its stage, the devices in scope by compliance state, and its rollout')
  .action(async () => {
    const r = await api().request<{ policies: { name: string; stage: string; nextBoundary: string | null; inScope: number; counts: Record<string, number>; rollout: { delivered: number } }[] }>('GET', '/summary');
    if (program.opts<{ json?: boolean }>().json) return print(r);
    if (!r.policies.length) process.stdout.write('(no ban in force)\n');
    for (const p of r.policies) {
      process.stdout.write(`${p.name}: stage ${p.stage}${p.nextBoundary ? `, next change ${p.nextBoundary}` : ''}; ${p.inScope} devices in scope — `);
      process.stdout.write(`${Object.entries(p.counts).map(([k, v]) => `${v} ${k}`).join(', ')}; policy delivered to ${p.rollout.delivered}\n`);
    }
  });
audit
  .command('checkpoint')
  .description('a checkpoint of the chain head signed now, to keep outside the server')
  .requiredOption('--out <file>', 'where to keep it')
  .action(async (o: { out: string }) => {
    const c = await api().request<AuditCheckpoint & { note?: string }>('GET', '/audit/checkpoint');
    if (!c.signature) throw new EdictError('EDICT_ERR_NOT_FOUND', c.note ?? 'no checkpoint');
    writeFileSync(o.out, JSON.stringify(c, null, 2) + '\n');
    process.stdout.write(`checkpoint of entry ${c.seq} (${c.hash.slice(0, 16)}…) signed at ${c.at}, written to ${o.out}\n`);
  });
audit
  .command('verify')
  .description('verify the hash chain and every signed checkpoint (and one kept outside the server)')
  .option('--against <file>', 'a checkpoint from `audit checkpoint --out`')
  .option('--key <pem>', "the server key you hold (default: fetched from the server) to check the file's signature")
  .action(async (o: { against?: string; key?: string }) => {
    const r = await api().request<{ ok: boolean; entries: number; head: { seq: number; hash: string } | null; newestCheckpoint: AuditCheckpoint | null; problems: string[] }>('GET', '/audit/verify');
    const problems = [...r.problems];
    if (o.against) {
      let c: AuditCheckpoint;
      try {
        c = JSON.parse(readFileSync(o.against, 'utf8')) as AuditCheckpoint;
      } catch (err) {
        throw new EdictError('EDICT_ERR_VALIDATION', `--against ${o.against}: ${(err as Error).message}`);
      }
      const key = o.key ? readKey(o.key) : (await api().request<{ items: { publicKeyPem: string }[] }>('GET', '/keys')).items[0].publicKeyPem;
      const label = `checkpoint ${o.against} (entry ${c.seq}, ${c.at})`;
      if (!verifyCheckpoint(c, key)) problems.push(`${label}: signature does not verify (forged or altered)`);
      else {
        const page = await api().request<{ items: { seq: number; hash: string }[] }>('GET', `/audit?cursor=${c.seq - 1}&limit=1`);
        const e = page.items[0];
        if (!e || e.seq !== c.seq) problems.push(`${label}: entry ${c.seq} is missing — entries covered by the checkpoint were removed (the log now ends at ${r.head?.seq ?? 0})`);
        else if (e.hash !== c.hash) problems.push(`${label}: entry ${c.seq} has another hash than when it was signed — entries were edited or replaced`);
      }
    }
    if (program.opts<{ json?: boolean }>().json) return print({ ...r, ok: problems.length === 0, problems });
    process.stdout.write(`head: entry ${r.head?.seq ?? 0}${r.head ? ` (${r.head.hash.slice(0, 16)}…)` : ''}; ${r.entries} entries\n`);
    process.stdout.write(`newest checkpoint: ${r.newestCheckpoint ? `entry ${r.newestCheckpoint.seq}, signed ${r.newestCheckpoint.at}` : 'none yet'}\n`);
    if (problems.length) {
      process.stdout.write(`audit log NOT intact:\n${problems.map((p) => `  - ${p}`).join('\n')}\n`);
      process.exitCode = 2;
    } else process.stdout.write(`audit log intact: ${r.entries} entries verified${o.against ? `, and the checkpoint in ${o.against}` : ''}\n`);
  });

try {
  await program.parseAsync();
} catch (err) {
  if (err instanceof EdictError) {
    process.stderr.write(`edictctl: ${err.code}: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`edictctl: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
}

interface DeviceView {
  id: string;
  hostname: string;
  platform?: string;
  connected?: boolean;
  lastSeenAt?: string | null;
  agentVersion?: string | null;
  applied?: Record<string, number | null> | null;
  revokedAt?: string | null;
  tags?: string[];
  lastHealth?: { outboxPending?: number; lastScanAt?: string | null; uptimeSec?: number; collectorErrors?: { collector: string; code: string; message: string; count: number; since: string }[] } | null;
}

/** `devices show` as text: who the device is, and whether its agent can see everything it should. */
function renderDevice(d: DeviceView): string {
  const h = d.lastHealth;
  const lines = [
    `${d.id}  ${d.hostname}${d.platform ? ` (${d.platform})` : ''}${d.revokedAt ? `  REVOKED ${d.revokedAt}` : ''}`,
    `connected: ${d.connected ? 'yes' : 'no'}; last seen: ${d.lastSeenAt ?? 'never'}; agent ${d.agentVersion ?? '-'}; policy parts applied: ${d.applied ? Object.entries(d.applied).map(([k, v]) => `${k} ${v ?? '-'}`).join(', ') : '-'}; tags: ${d.tags?.length ? d.tags.join(', ') : '-'}`,
  ];
  if (!h) lines.push('health: no heartbeat yet');
  else {
    lines.push(`health: ${h.outboxPending ?? 0} events queued; last scan ${h.lastScanAt ?? 'never'}; agent up ${h.uptimeSec ?? 0} s`);
    const errs = h.collectorErrors ?? [];
    if (!errs.length) lines.push('collectors: all completed their last look');
    for (const e of errs) lines.push(`collector ${e.collector} FAILING since ${e.since}: ${e.code} (${e.count} problem${e.count === 1 ? '' : 's'}) ${e.message} — its findings are kept, none reported removed`);
  }
  return lines.join('\n') + '\n';
}
