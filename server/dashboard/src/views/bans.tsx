// Bans: the list; a ban's page with its draft form (tools from the catalog, scope by tags / devices
// / users, stages with date, zone and action, reason in both languages, replacements), the server's
// validation messages at each field, the impact preview, publishing with a confirmation that
// restates every date (in the ban's zone and the viewer's), versions and their differences, retire.
// Roles other than admin see the same pages read-only.
import { useState } from 'preact/hooks';
import { api, ApiError, errorAt, fieldErrors, type FieldErrors } from '../api.js';
import { fmtInstant, fmtNum, viewerZone, zones } from '../format.js';
import { t } from '../i18n.js';
import { can } from '../session.js';
import { describe, Dialog, ErrorBox, Field, FormError, href, Loading, navigate, StageBadge, StateBadge, useId, useLoad } from '../ui.js';

interface Tool {
  id: string;
  displayName: string;
  vendor: string;
}
interface StageSpec {
  at: string;
  timeZone: string;
  action: string;
}
export interface Spec {
  name: string;
  tools: string[];
  reason: { en: string; 'zh-CN'?: string };
  defaultLocale: 'en' | 'zh-CN';
  scope: { devices: string[]; tags: string[]; users: string[] };
  replacements: { toolId: string; installUrl?: string; note?: { en: string; 'zh-CN'?: string } }[];
  stages: { notice?: StageSpec; enforce: StageSpec; hard?: StageSpec };
  stopCountdownSec?: number;
  reminders?: unknown;
}
interface PolicyRow {
  id: string;
  name: string;
  draft: Spec;
  status: 'draft' | 'published' | 'retired';
  latestVersion: number | null;
  updatedAt: string;
  retiredAt: string | null;
  published: (Spec & { version: number; publishedAt: string; instants: Record<string, string> }) | null;
  versions?: (Spec & { version: number; publishedAt: string; instants: Record<string, string> })[];
}

const ACTIONS = ['report', 'notify', 'warn', 'stop'];
const STAGES = ['notice', 'enforce', 'hard'] as const;

export function BansView() {
  const list = useLoad(() => api<{ items: PolicyRow[] }>('GET', '/policies', undefined, { limit: 1000 }), []);
  return (
    <>
      <div class="row">
        <h1 class="grow">{t('bans.title')}</h1>
        {can.editPolicies() && (
          <a class="button primary" href="#/bans/new">
            {t('bans.new')}
          </a>
        )}
      </div>
      {list.error ? <ErrorBox error={list.error} /> : null}
      {!list.data ? (
        <Loading />
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t('bans.name')}</th>
              <th scope="col">{t('bans.status')}</th>
              <th scope="col">{t('bans.tools')}</th>
              <th scope="col">{t('bans.enforce')}</th>
              <th scope="col">{t('bans.updated')}</th>
            </tr>
          </thead>
          <tbody>
            {[...list.data.items].reverse().map((p) => {
              const spec = p.published ?? p.draft;
              return (
                <tr key={p.id}>
                  <td>
                    <a href={`#/bans/${p.id}`}>{p.name}</a>
                  </td>
                  <td>
                    {t(`bans.status.${p.status}`)}
                    {p.latestVersion ? ` · v${p.latestVersion}` : ''}
                  </td>
                  <td>{spec.tools.join(', ')}</td>
                  <td>
                    {spec.stages.enforce.at.replace('T', ' ')} {spec.stages.enforce.timeZone}
                  </td>
                  <td>{fmtInstant(p.updatedAt)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </>
  );
}

const EMPTY: Spec = {
  name: '',
  tools: [],
  reason: { en: '', 'zh-CN': '' },
  defaultLocale: 'en',
  scope: { devices: [], tags: [], users: [] },
  replacements: [],
  stages: { enforce: { at: '', timeZone: viewerZone, action: 'warn' } },
};

export function BanView({ id }: { id: string }) {
  const isNew = id === 'new';
  const policy = useLoad(() => (isNew ? Promise.resolve(undefined) : api<PolicyRow>('GET', `/policies/${id}`)), [id]);
  const catalog = useLoad(() => api<{ items: Tool[] }>('GET', '/tools', undefined, { limit: 1000 }), []);
  if (policy.error) return <ErrorBox error={policy.error} />;
  if ((!isNew && !policy.data) || !catalog.data) return <Loading />;
  const p = policy.data;
  const editable = can.editPolicies() && (isNew || p!.status !== 'retired');
  return (
    <>
      <p>
        <a href="#/bans">{t('bans.back')}</a>
      </p>
      <h1>
        {isNew ? t('bans.new') : p!.name}{' '}
        {p && (
          <span class="muted small">
            {t(`bans.status.${p.status}`)}
            {p.latestVersion ? ` · v${p.latestVersion}` : ''}
          </span>
        )}
      </h1>
      {editable ? (
        <BanForm key={p?.updatedAt ?? 'new'} id={isNew ? null : id} initial={p ? p.draft : EMPTY} tools={catalog.data.items} onSaved={(saved) => (isNew ? navigate(`/bans/${saved}`) : policy.reload())} />
      ) : (
        p && <SpecView spec={p.draft} title={t('bans.draft')} />
      )}
      {p && (
        <>
          <Preview id={id} key={`pv-${p.updatedAt}`} />
          {can.editPolicies() && p.status !== 'retired' && <Publish p={p} onDone={policy.reload} />}
          <Versions p={p} />
          {can.editPolicies() && p.status === 'published' && <Retire p={p} onDone={policy.reload} />}
        </>
      )}
    </>
  );
}

const lines = (s: string) =>
  s
    .split(/[\n,]/)
    .map((x) => x.trim())
    .filter(Boolean);

function BanForm({ id, initial, tools, onSaved }: { id: string | null; initial: Spec; tools: Tool[]; onSaved: (id: string) => void }) {
  const [spec, setSpec] = useState<Spec>(() => JSON.parse(JSON.stringify({ ...EMPTY, ...initial, reason: { ...EMPTY.reason, ...initial.reason } })));
  const [tagsText, setTagsText] = useState(initial.scope.tags.join(', '));
  const [devicesText, setDevicesText] = useState(initial.scope.devices.join('\n'));
  const [usersText, setUsersText] = useState(initial.scope.users.join('\n'));
  const [error, setError] = useState<unknown>();
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const errs: FieldErrors = fieldErrors(error);
  if (error instanceof ApiError && error.code === 'EDICT_ERR_UNKNOWN_TOOL') errs.tools = t('bans.unknownTool', { ids: error.message.split(': ').pop() ?? '' });
  const upd = (f: (s: Spec) => void) => {
    const next = JSON.parse(JSON.stringify(spec)) as Spec;
    f(next);
    setSpec(next);
    setSaved(false);
  };
  const body = (): Spec => {
    const out: Spec = { ...spec, scope: { tags: lines(tagsText), devices: lines(devicesText), users: lines(usersText) } };
    if (!out.reason['zh-CN']) out.reason = { en: out.reason.en };
    out.replacements = out.replacements.map((r) => {
      const x: Spec['replacements'][number] = { toolId: r.toolId };
      if (r.installUrl) x.installUrl = r.installUrl;
      if (r.note?.en) x.note = r.note['zh-CN'] ? r.note : { en: r.note.en };
      return x;
    });
    const usesStop = STAGES.some((s) => out.stages[s]?.action === 'stop');
    if (!usesStop) delete out.stopCountdownSec;
    return out;
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await api<{ id: string }>(id ? 'PUT' : 'POST', id ? `/policies/${id}` : '/policies', body());
      setSaved(true);
      onSaved(r.id);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const shown = ['name', 'tools', 'reason', 'defaultLocale', 'scope', 'stages', 'replacements', 'stopCountdownSec'];
  return (
    <form onSubmit={submit} noValidate aria-label={t('bans.form')}>
      <FormError error={error} shown={error instanceof ApiError && error.code === 'EDICT_ERR_UNKNOWN_TOOL' ? ['tools', ''] : shown} />
      {saved && (
        <p class="notice-ok" role="status">
          {t('bans.saved')}
        </p>
      )}
      <Field id="ban-name" label={t('bans.name')} error={errorAt(errs, 'name')}>
        <input size={50} value={spec.name} onInput={(e) => upd((s) => (s.name = e.currentTarget.value))} {...describe('ban-name', errorAt(errs, 'name'))} />
      </Field>
      <fieldset aria-describedby={errs.tools || errorAt(errs, 'tools') ? 'ban-tools-err' : undefined}>
        <legend>{t('bans.tools')}</legend>
        <div class="checks">
          {tools.map((tool) => (
            <label key={tool.id}>
              <input
                type="checkbox"
                checked={spec.tools.includes(tool.id)}
                onChange={(e) => upd((s) => (s.tools = e.currentTarget.checked ? [...s.tools, tool.id] : s.tools.filter((x) => x !== tool.id)))}
              />
              {tool.displayName}
            </label>
          ))}
        </div>
        {(errs.tools || errorAt(errs, 'tools')) && (
          <p class="error" id="ban-tools-err">
            {errs.tools ?? errorAt(errs, 'tools')}
          </p>
        )}
      </fieldset>
      <fieldset>
        <legend>{t('bans.scope')}</legend>
        <p class="hint muted">{t('bans.scopeHint')}</p>
        <div class="row">
          <Field id="ban-tags" label={t('bans.tags')} error={errorAt(errs, 'scope.tags')} hint={t('bans.tagsHint')}>
            <input size={30} value={tagsText} onInput={(e) => (setTagsText(e.currentTarget.value), setSaved(false))} {...describe('ban-tags', errorAt(errs, 'scope.tags'), t('bans.tagsHint'))} />
          </Field>
          <Field id="ban-devices" label={t('bans.deviceIds')} error={errorAt(errs, 'scope.devices')} hint={t('bans.linesHint')}>
            <textarea rows={2} cols={30} value={devicesText} onInput={(e) => setDevicesText(e.currentTarget.value)} {...describe('ban-devices', errorAt(errs, 'scope.devices'), t('bans.linesHint'))} />
          </Field>
          <Field id="ban-users" label={t('bans.users')} error={errorAt(errs, 'scope.users')} hint={t('bans.linesHint')}>
            <textarea rows={2} cols={24} value={usersText} onInput={(e) => setUsersText(e.currentTarget.value)} {...describe('ban-users', errorAt(errs, 'scope.users'), t('bans.linesHint'))} />
          </Field>
        </div>
      </fieldset>
      <fieldset>
        <legend>{t('bans.stages')}</legend>
        <p class="hint muted">{t('bans.stagesHint')}</p>
        {STAGES.map((st) => (
          <StageRow key={st} stage={st} value={spec.stages[st]} errs={errs} onChange={(v) => upd((s) => (v ? (s.stages[st] = v as StageSpec) : delete s.stages[st]))} />
        ))}
        {STAGES.some((s) => spec.stages[s]?.action === 'stop') && (
          <Field id="ban-countdown" label={t('bans.countdown')} error={errorAt(errs, 'stopCountdownSec')}>
            <input
              type="number"
              value={spec.stopCountdownSec ?? 300}
              onInput={(e) => upd((s) => (s.stopCountdownSec = Number(e.currentTarget.value)))}
              {...describe('ban-countdown', errorAt(errs, 'stopCountdownSec'))}
            />
          </Field>
        )}
      </fieldset>
      <fieldset>
        <legend>{t('bans.reason')}</legend>
        <div class="row">
          <div class="grow">
            <Field id="ban-reason-en" label={t('bans.reasonEn')} error={errorAt(errs, 'reason.en', 'reason')}>
              <textarea rows={3} lang="en" value={spec.reason.en} onInput={(e) => upd((s) => (s.reason.en = e.currentTarget.value))} {...describe('ban-reason-en', errorAt(errs, 'reason.en', 'reason'))} />
            </Field>
          </div>
          <div class="grow">
            <Field id="ban-reason-zh" label={t('bans.reasonZh')} error={errorAt(errs, 'reason.zh-CN')}>
              <textarea rows={3} lang="zh-CN" value={spec.reason['zh-CN'] ?? ''} onInput={(e) => upd((s) => (s.reason['zh-CN'] = e.currentTarget.value))} {...describe('ban-reason-zh', errorAt(errs, 'reason.zh-CN'))} />
            </Field>
          </div>
        </div>
        <Field id="ban-locale" label={t('bans.defaultLocale')} error={errorAt(errs, 'defaultLocale')}>
          <select value={spec.defaultLocale} onChange={(e) => upd((s) => (s.defaultLocale = e.currentTarget.value as Spec['defaultLocale']))} {...describe('ban-locale', errorAt(errs, 'defaultLocale'))}>
            <option value="en">English</option>
            <option value="zh-CN">简体中文</option>
          </select>
        </Field>
      </fieldset>
      <fieldset>
        <legend>{t('bans.replacements')}</legend>
        {spec.replacements.map((r, i) => (
          <div class="row" key={i}>
            <Field id={`ban-rep-${i}-tool`} label={t('bans.repTool')} error={errorAt(errs, `replacements.${i}.toolId`)}>
              <select value={r.toolId} onChange={(e) => upd((s) => (s.replacements[i].toolId = e.currentTarget.value))} {...describe(`ban-rep-${i}-tool`, errorAt(errs, `replacements.${i}.toolId`))}>
                <option value="">—</option>
                {tools.map((x) => (
                  <option key={x.id} value={x.id}>
                    {x.displayName}
                  </option>
                ))}
              </select>
            </Field>
            <Field id={`ban-rep-${i}-url`} label={t('bans.repUrl')} error={errorAt(errs, `replacements.${i}.installUrl`)}>
              <input size={34} value={r.installUrl ?? ''} onInput={(e) => upd((s) => (s.replacements[i].installUrl = e.currentTarget.value))} {...describe(`ban-rep-${i}-url`, errorAt(errs, `replacements.${i}.installUrl`))} />
            </Field>
            <Field id={`ban-rep-${i}-note`} label={t('bans.repNote')} error={errorAt(errs, `replacements.${i}.note`)}>
              <input size={30} value={r.note?.en ?? ''} onInput={(e) => upd((s) => (s.replacements[i].note = { ...s.replacements[i].note, en: e.currentTarget.value }))} {...describe(`ban-rep-${i}-note`, errorAt(errs, `replacements.${i}.note`))} />
            </Field>
            <Field id={`ban-rep-${i}-notezh`} label={t('bans.repNoteZh')}>
              <input
                size={24}
                lang="zh-CN"
                value={r.note?.['zh-CN'] ?? ''}
                onInput={(e) => upd((s) => (s.replacements[i].note = { en: s.replacements[i].note?.en ?? '', 'zh-CN': e.currentTarget.value }))}
                id={`ban-rep-${i}-notezh`}
              />
            </Field>
            <button type="button" class="link" onClick={() => upd((s) => s.replacements.splice(i, 1))} aria-label={t('bans.repRemove', { n: i + 1 })}>
              {t('remove')}
            </button>
          </div>
        ))}
        <button type="button" onClick={() => upd((s) => s.replacements.push({ toolId: '' }))}>
          {t('bans.repAdd')}
        </button>
      </fieldset>
      <div class="actions">
        <button class="primary" type="submit" disabled={busy}>
          {t('bans.save')}
        </button>
      </div>
    </form>
  );
}

function StageRow({ stage, value, errs, onChange }: { stage: 'notice' | 'enforce' | 'hard'; value?: StageSpec; errs: FieldErrors; onChange: (v: StageSpec | undefined) => void }) {
  const base = `stages.${stage}`;
  const id = useId(`stage-${stage}`);
  const zoneList = useId('zones');
  const optional = stage !== 'enforce';
  const on = !!value;
  const v = value ?? { at: '', timeZone: viewerZone, action: stage === 'notice' ? 'notify' : 'stop' };
  const err = (k: string) => errorAt(errs, `${base}.${k}`) ?? (k === 'at' ? errs[base] : undefined);
  return (
    <div class="row" data-stage={stage}>
      <div class="field" style={{ minWidth: '150px' }}>
        <span class="label">{t(`stage.${stage}`)}</span>
        {optional ? (
          <label>
            <input type="checkbox" checked={on} onChange={(e) => onChange(e.currentTarget.checked ? v : undefined)} />
            {t('bans.stageOn')}
          </label>
        ) : (
          <span class="muted small">{t('bans.required')}</span>
        )}
      </div>
      {on || !optional ? (
        <>
          <Field id={`${id}-at`} label={t('bans.stageAt')} error={err('at')}>
            <input type="datetime-local" value={v.at} onInput={(e) => onChange({ ...v, at: e.currentTarget.value })} {...describe(`${id}-at`, err('at'))} />
          </Field>
          <Field id={`${id}-zone`} label={t('bans.stageZone')} error={err('timeZone')}>
            <input list={zoneList} size={22} value={v.timeZone} onInput={(e) => onChange({ ...v, timeZone: e.currentTarget.value })} {...describe(`${id}-zone`, err('timeZone'))} />
            <datalist id={zoneList}>
              {zones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </Field>
          <Field id={`${id}-action`} label={t('bans.stageAction')} error={err('action')}>
            <select value={v.action} onChange={(e) => onChange({ ...v, action: e.currentTarget.value })} {...describe(`${id}-action`, err('action'))}>
              {ACTIONS.map((a) => (
                <option key={a} value={a}>
                  {t(`action.${a}`)}
                </option>
              ))}
            </select>
          </Field>
        </>
      ) : null}
    </div>
  );
}

function SpecView({ spec, title }: { spec: Spec; title: string }) {
  return (
    <section class="card">
      <h2>{title}</h2>
      <dl class="kv">
        <dt>{t('bans.tools')}</dt>
        <dd>{spec.tools.join(', ')}</dd>
        <dt>{t('bans.scope')}</dt>
        <dd>
          {[spec.scope.tags.length ? `${t('bans.tags')}: ${spec.scope.tags.join(', ')}` : '', spec.scope.devices.length ? `${t('bans.deviceIds')}: ${spec.scope.devices.length}` : '', spec.scope.users.length ? `${t('bans.users')}: ${spec.scope.users.join(', ')}` : '']
            .filter(Boolean)
            .join(' · ') || t('bans.everyone')}
        </dd>
        {STAGES.map((s) =>
          spec.stages[s]
            ? [
                <dt key={`${s}-k`}>{t(`stage.${s}`)}</dt>,
                <dd key={`${s}-v`}>
                  {spec.stages[s]!.at.replace('T', ' ')} {spec.stages[s]!.timeZone} · {t(`action.${spec.stages[s]!.action}`)}
                </dd>,
              ]
            : null,
        )}
        <dt>{t('bans.reasonEn')}</dt>
        <dd>{spec.reason.en}</dd>
        <dt>{t('bans.reasonZh')}</dt>
        <dd lang="zh-CN">{spec.reason['zh-CN'] ?? '—'}</dd>
        <dt>{t('bans.replacements')}</dt>
        <dd>{spec.replacements.map((r) => r.toolId).join(', ') || '—'}</dd>
      </dl>
    </section>
  );
}

interface PreviewPoint {
  label: string;
  at: string;
  counts: Record<string, number>;
  total: number;
  truncated: number;
  devices: { deviceId: string; hostname: string; toolId: string; users: string[]; state: string }[];
}

/** The preview, built by the server in the background: asks until it is done. */
async function preview<T>(id: string, devicesLimit: number): Promise<T> {
  for (;;) {
    const r = await api<{ status: string } & T>('GET', `/policies/${id}/preview`, undefined, { devicesLimit, async: 'true' });
    if (r.status === 'done') return r;
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

function Preview({ id }: { id: string }) {
  const [shown, setShown] = useState(false);
  const pv = useLoad(() => (shown ? preview<{ points: PreviewPoint[] }>(id, 20) : Promise.resolve(undefined)), [id, shown]);
  return (
    <section class="card" aria-labelledby="preview-h">
      <h2 id="preview-h">{t('preview.title')}</h2>
      <p class="muted">{t('preview.intro')}</p>
      {!shown ? (
        <button type="button" onClick={() => setShown(true)}>
          {t('preview.show')}
        </button>
      ) : pv.error ? (
        <ErrorBox error={pv.error} />
      ) : !pv.data ? (
        <Loading />
      ) : (
        <div data-testid="preview">
          <table>
            <thead>
              <tr>
                <th scope="col">{t('preview.when')}</th>
                <th scope="col">{t('preview.at')}</th>
                {['violating', 'noticed', 'acknowledged', 'exempt', 'clear'].map((s) => (
                  <th scope="col" class="num" key={s}>
                    {t(`state.${s}`)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {pv.data.points.map((p) => (
                <tr key={p.label} data-point={p.label}>
                  <th scope="row">{t(`preview.${p.label}`)}</th>
                  <td>{fmtInstant(p.at)}</td>
                  {['violating', 'noticed', 'acknowledged', 'exempt', 'clear'].map((s) => (
                    <td class="num" key={s} data-state={s}>
                      {fmtNum(p.counts[s] ?? 0)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {pv.data.points.map((p) => (
            <details key={p.label}>
              <summary>
                {t(`preview.${p.label}`)}: {t('preview.devices', { n: fmtNum(p.total) })}
              </summary>
              <table>
                <tbody>
                  {p.devices.map((d) => (
                    <tr key={`${d.deviceId}|${d.toolId}`}>
                      <td>
                        <a href={`#/devices/${d.deviceId}`}>{d.hostname}</a>
                      </td>
                      <td>{d.toolId}</td>
                      <td>{d.users.join(', ')}</td>
                      <td>
                        <StateBadge state={d.state} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {p.truncated > 0 && <p class="muted small">{t('preview.more', { n: fmtNum(p.truncated) })}</p>}
            </details>
          ))}
        </div>
      )}
    </section>
  );
}

function Publish({ p, onDone }: { p: PolicyRow; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const pv = useLoad(() => (open ? preview<{ instants: Record<string, string> }>(p.id, 0) : Promise.resolve(undefined)), [open]);
  const publish = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await api('POST', `/policies/${p.id}/publish`);
      setOpen(false);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const d = p.draft;
  return (
    <section class="card">
      <h2>{t('publish.title')}</h2>
      <p class="muted">{p.latestVersion ? t('publish.introNext', { v: p.latestVersion + 1 }) : t('publish.intro')}</p>
      <button type="button" class="primary" onClick={() => (setOpen(true), setError(undefined))}>
        {t('publish.button')}
      </button>
      <Dialog open={open} title={t('publish.confirmTitle', { name: d.name, v: (p.latestVersion ?? 0) + 1 })} onClose={() => setOpen(false)}>
        {!pv.data ? (
          pv.error ? <ErrorBox error={pv.error} /> : <Loading />
        ) : (
          <>
            <p>{t('publish.restate', { tools: d.tools.join(', ') })}</p>
            <table data-testid="publish-dates">
              <thead>
                <tr>
                  <th scope="col">{t('publish.stage')}</th>
                  <th scope="col">{t('publish.banZone')}</th>
                  <th scope="col">{t('publish.yourZone', { zone: viewerZone })}</th>
                  <th scope="col">{t('bans.stageAction')}</th>
                </tr>
              </thead>
              <tbody>
                <tr>
                  <th scope="row">{t('stage.monitor')}</th>
                  <td colSpan={2}>{t('publish.now')}</td>
                  <td>{t('action.report')}</td>
                </tr>
                {STAGES.filter((s) => s === 'enforce' || d.stages[s] || s === 'notice').map((s) => {
                  const spec = d.stages[s];
                  const instant = pv.data!.instants[s];
                  if (!instant) return null;
                  return (
                    <tr key={s}>
                      <th scope="row">{t(`stage.${s}`)}</th>
                      <td>{spec ? `${spec.at.replace('T', ' ')} ${spec.timeZone}` : t('publish.atPublish')}</td>
                      <td>{fmtInstant(instant)}</td>
                      <td>{t(`action.${spec?.action ?? 'notify'}`)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <ErrorBox error={error} />
            <div class="actions">
              <button type="button" class="primary" onClick={() => void publish()} disabled={busy}>
                {t('publish.confirm')}
              </button>
              <button type="button" onClick={() => setOpen(false)}>
                {t('cancel')}
              </button>
            </div>
          </>
        )}
      </Dialog>
    </section>
  );
}

/** Flattens a spec into path → text, for a side-by-side difference. */
function flat(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (Array.isArray(v) && v.every((x) => typeof x !== 'object')) out[prefix] = v.join(', ');
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) flat(x, prefix ? `${prefix}.${k}` : k, out);
  else if (v !== undefined) out[prefix] = String(v);
  return out;
}

const DIFF_SKIP = /^(id|version|publishedAt|instants|reminders)/;

function Versions({ p }: { p: PolicyRow }) {
  const versions = p.versions ?? [];
  const options = [{ key: 'draft', label: t('versions.draft'), spec: p.draft as unknown }, ...[...versions].reverse().map((v) => ({ key: `v${v.version}`, label: `v${v.version} · ${fmtInstant(v.publishedAt)}`, spec: v as unknown }))];
  const [a, setA] = useState(options[1]?.key ?? 'draft');
  const [b, setB] = useState('draft');
  if (!versions.length) return null;
  const fa = flat(options.find((o) => o.key === a)?.spec);
  const fb = flat(options.find((o) => o.key === b)?.spec);
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].filter((k) => !DIFF_SKIP.test(k) && fa[k] !== fb[k]).sort();
  return (
    <section class="card" aria-labelledby="versions-h">
      <h2 id="versions-h">{t('versions.title')}</h2>
      <ul>
        {[...versions].reverse().map((v) => (
          <li key={v.version}>
            v{v.version}: {t('versions.published', { at: fmtInstant(v.publishedAt) })} · {t('stage.enforce')} {fmtInstant(v.instants.enforce, v.stages.enforce.timeZone)}
          </li>
        ))}
      </ul>
      <div class="row">
        <label>
          {t('versions.compare')}{' '}
          <select value={a} onChange={(e) => setA(e.currentTarget.value)}>
            {options.map((o) => (
              <option key={o.key} value={o.key}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('versions.with')}{' '}
          <select value={b} onChange={(e) => setB(e.currentTarget.value)}>
            {options.map((o) => (
              <option key={o.key} value={o.key}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {keys.length === 0 ? (
        <p class="muted">{t('versions.same')}</p>
      ) : (
        <table class="diff">
          <thead>
            <tr>
              <th scope="col">{t('versions.field')}</th>
              <th scope="col">{options.find((o) => o.key === a)?.label}</th>
              <th scope="col">{options.find((o) => o.key === b)?.label}</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k}>
                <td>
                  <code>{k}</code>
                </td>
                <td class="before">{fa[k] ?? '—'}</td>
                <td class="after">{fb[k] ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Retire({ p, onDone }: { p: PolicyRow; onDone: () => void }) {
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>();
  const retire = async () => {
    try {
      await api('POST', `/policies/${p.id}/retire`);
      setOpen(false);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card">
      <h2>{t('retire.title')}</h2>
      <p class="muted">{t('retire.intro')}</p>
      <button type="button" class="danger" onClick={() => setOpen(true)}>
        {t('retire.button')}
      </button>
      <Dialog open={open} title={t('retire.confirmTitle', { name: p.name })} onClose={() => setOpen(false)}>
        <p>{t('retire.restate')}</p>
        <ErrorBox error={error} />
        <div class="actions">
          <button type="button" class="danger" onClick={() => void retire()}>
            {t('retire.confirm')}
          </button>
          <button type="button" onClick={() => setOpen(false)}>
            {t('cancel')}
          </button>
        </div>
      </Dialog>
    </section>
  );
}

export { StageBadge, href };
