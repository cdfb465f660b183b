// Devices: search by hostname and filter by tag, OS, compliance state, tool, ban scope and last
// seen; paged by cursor (50 a page) however large the fleet. The filters live in the link, so a
// count on the overview opens exactly the devices it counts.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorAt, fieldErrors } from '../api.js';
import { fmtRelative } from '../format.js';
import { t } from '../i18n.js';
import { describe, ErrorBox, Field, FormError, Loading, navigate, Pager, useLoad } from '../ui.js';

export interface Device {
  id: string;
  hostname: string;
  platform: string | null;
  osRelease: string | null;
  agentVersion: string | null;
  lastSeenAt: string | null;
  connected: boolean;
  revokedAt: string | null;
  tags: string[];
}

const STATES = ['violating', 'noticed', 'acknowledged', 'exempt', 'remediated', 'clear'];
const FILTERS = ['search', 'tag', 'os', 'state', 'tool', 'policy', 'notSeenDays', 'seenWithinDays'] as const;

export function DevicesView({ query }: { query: Record<string, string> }) {
  const [form, setForm] = useState<Record<string, string>>({ ...query });
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => {
    setForm({ ...query });
    setCursors([]);
  }, [JSON.stringify(query)]);
  const cursor = cursors[cursors.length - 1];
  const filters = Object.fromEntries(FILTERS.filter((k) => query[k]).map((k) => [k, query[k]]));
  const list = useLoad(() => api<{ items: Device[]; next: string | null }>('GET', '/devices', undefined, { ...filters, limit: 50, cursor }), [JSON.stringify(filters), cursor]);
  const tools = useLoad(() => api<{ items: { id: string; displayName: string }[] }>('GET', '/tools', undefined, { limit: 1000 }), []);
  const policies = useLoad(() => api<{ items: { id: string; name: string }[] }>('GET', '/policies', undefined, { limit: 1000 }), []);
  const errs = fieldErrors(list.error);
  const apply = (e: Event) => {
    e.preventDefault();
    navigate('/devices', Object.fromEntries(FILTERS.map((k) => [k, form[k]])));
  };
  const set = (k: string) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  const seen = form.notSeenDays ? `not-${form.notSeenDays}` : form.seenWithinDays ? `within-${form.seenWithinDays}` : '';
  const policyName = policies.data?.items.find((p) => p.id === query.policy)?.name;
  return (
    <>
      <h1>{t('devices.title')}</h1>
      {query.policy && (
        <p data-testid="drilldown">
          {t('devices.drill', { ban: policyName ?? query.policy })}
          {query.state ? ` · ${t(`state.${query.state}`)}` : ''}
          {query.notSeenDays ? ` · ${t('overview.notSeen', { n: query.notSeenDays })}` : ''}
        </p>
      )}
      <form class="filters" onSubmit={apply} noValidate aria-label={t('devices.filters')}>
        <Field id="f-search" label={t('devices.search')} error={errorAt(errs, 'search')}>
          <input type="search" value={form.search ?? ''} onInput={set('search')} {...describe('f-search', errorAt(errs, 'search'))} />
        </Field>
        <Field id="f-tag" label={t('devices.tag')} error={errorAt(errs, 'tag')}>
          <input size={12} value={form.tag ?? ''} onInput={set('tag')} {...describe('f-tag', errorAt(errs, 'tag'))} />
        </Field>
        <Field id="f-os" label={t('devices.os')} error={errorAt(errs, 'os')}>
          <select value={form.os ?? ''} onChange={set('os')} {...describe('f-os', errorAt(errs, 'os'))}>
            <option value="">{t('any')}</option>
            <option value="linux">Linux</option>
            <option value="darwin">macOS</option>
            <option value="win32">Windows</option>
          </select>
        </Field>
        <Field id="f-state" label={t('devices.state')} error={errorAt(errs, 'state')}>
          <select value={form.state ?? ''} onChange={set('state')} {...describe('f-state', errorAt(errs, 'state'))}>
            <option value="">{t('any')}</option>
            {STATES.map((s) => (
              <option key={s} value={s}>
                {t(`state.${s}`)}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-tool" label={t('devices.tool')} error={errorAt(errs, 'tool')}>
          <select value={form.tool ?? ''} onChange={set('tool')} {...describe('f-tool', errorAt(errs, 'tool'))}>
            <option value="">{t('any')}</option>
            {tools.data?.items.map((x) => (
              <option key={x.id} value={x.id}>
                {x.displayName}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-policy" label={t('devices.policy')} error={errorAt(errs, 'policy')}>
          <select value={form.policy ?? ''} onChange={set('policy')} {...describe('f-policy', errorAt(errs, 'policy'))}>
            <option value="">{t('any')}</option>
            {policies.data?.items.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </Field>
        <Field id="f-seen" label={t('devices.lastSeen')} error={errorAt(errs, 'notSeenDays', 'seenWithinDays')}>
          <select
            value={seen}
            onChange={(e) => {
              const [kind, n] = e.currentTarget.value.split('-');
              setForm({ ...form, notSeenDays: kind === 'not' ? n : '', seenWithinDays: kind === 'within' ? n : '' });
            }}
            {...describe('f-seen', errorAt(errs, 'notSeenDays', 'seenWithinDays'))}
          >
            <option value="">{t('any')}</option>
            <option value="within-1">{t('devices.seenWithin', { n: 1 })}</option>
            <option value="within-7">{t('devices.seenWithin', { n: 7 })}</option>
            {[1, 3, 7, 14, 30, 90].map((n) => (
              <option key={n} value={`not-${n}`}>
                {t('overview.notSeen', { n })}
              </option>
            ))}
          </select>
        </Field>
        <div class="actions">
          <button class="primary" type="submit">
            {t('devices.apply')}
          </button>
          <button type="button" onClick={() => navigate('/devices')}>
            {t('devices.clear')}
          </button>
        </div>
      </form>
      {list.error && !(list.error instanceof ApiError && list.error.fields.length) ? <ErrorBox error={list.error} /> : <FormError error={list.error} shown={[...FILTERS]} />}
      {!list.data ? (
        list.loading && <Loading />
      ) : (
        <>
          <table data-testid="devices">
            <thead>
              <tr>
                <th scope="col">{t('devices.hostname')}</th>
                <th scope="col">{t('devices.os')}</th>
                <th scope="col">{t('devices.agent')}</th>
                <th scope="col">{t('devices.lastSeen')}</th>
                <th scope="col">{t('devices.tags')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((d) => (
                <tr key={d.id}>
                  <td>
                    <a href={`#/devices/${d.id}`}>{d.hostname}</a>
                    {d.revokedAt && <span class="muted small"> ({t('devices.revoked')})</span>}
                  </td>
                  <td>
                    {d.platform ?? '—'} <span class="muted small">{d.osRelease ?? ''}</span>
                  </td>
                  <td>{d.agentVersion ?? '—'}</td>
                  <td>{d.connected ? t('devices.connected') : fmtRelative(d.lastSeenAt)}</td>
                  <td>{d.tags.join(', ')}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.items.length === 0 && <p class="muted">{t('devices.none')}</p>}
          <Pager next={list.data.next} atFirst={!cursors.length} onFirst={() => setCursors([])} onNext={() => list.data?.next && setCursors([...cursors, list.data.next])} />
        </>
      )}
    </>
  );
}
