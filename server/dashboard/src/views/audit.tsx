// The audit log, newest first, filtered by actor, action, subject and time, with the result of a
// verification of the hash chain and every signed checkpoint.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorAt, fieldErrors } from '../api.js';
import { fmtInstant, fmtNum, localInputToIso } from '../format.js';
import { t } from '../i18n.js';
import { describe, ErrorBox, Field, FormError, Loading, navigate, Pager, useLoad } from '../ui.js';

interface Entry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: unknown;
  hash: string;
}

const FILTERS = ['actor', 'action', 'subject', 'from', 'to'] as const;

export function AuditView({ query }: { query: Record<string, string> }) {
  const [form, setForm] = useState<Record<string, string>>({ ...query });
  const [cursors, setCursors] = useState<string[]>([]);
  useEffect(() => {
    setForm({ ...query });
    setCursors([]);
  }, [JSON.stringify(query)]);
  const cursor = cursors[cursors.length - 1];
  const filters: Record<string, string | undefined> = Object.fromEntries(FILTERS.filter((k) => query[k]).map((k) => [k, query[k]]));
  // Times typed in the viewer's zone travel as instants; anything else goes as typed (the server says what is wrong).
  for (const k of ['from', 'to'] as const) if (filters[k]) filters[k] = localInputToIso(filters[k]!) ?? filters[k];
  const list = useLoad(() => api<{ items: Entry[]; next: string | null }>('GET', '/audit', undefined, { ...filters, order: 'desc', limit: 50, cursor }), [JSON.stringify(filters), cursor]);
  const errs = fieldErrors(list.error);
  const set = (k: string) => (e: { currentTarget: { value: string } }) => setForm({ ...form, [k]: e.currentTarget.value });
  return (
    <>
      <h1>{t('audit.title')}</h1>
      <Verify />
      <form class="filters" noValidate aria-label={t('audit.filters')} onSubmit={(e) => (e.preventDefault(), navigate('/audit', Object.fromEntries(FILTERS.map((k) => [k, form[k]]))))}>
        <Field id="a-actor" label={t('audit.actor')} error={errorAt(errs, 'actor')} hint={t('audit.actorHint')}>
          <input value={form.actor ?? ''} onInput={set('actor')} {...describe('a-actor', errorAt(errs, 'actor'), t('audit.actorHint'))} />
        </Field>
        <Field id="a-action" label={t('audit.action')} error={errorAt(errs, 'action')} hint={t('audit.actionHint')}>
          <input value={form.action ?? ''} onInput={set('action')} {...describe('a-action', errorAt(errs, 'action'), t('audit.actionHint'))} />
        </Field>
        <Field id="a-subject" label={t('audit.subject')} error={errorAt(errs, 'subject')}>
          <input value={form.subject ?? ''} onInput={set('subject')} {...describe('a-subject', errorAt(errs, 'subject'))} />
        </Field>
        <Field id="a-from" label={t('audit.from')} error={errorAt(errs, 'from')}>
          <input type="datetime-local" value={form.from ?? ''} onInput={set('from')} {...describe('a-from', errorAt(errs, 'from'))} />
        </Field>
        <Field id="a-to" label={t('audit.to')} error={errorAt(errs, 'to')}>
          <input type="datetime-local" value={form.to ?? ''} onInput={set('to')} {...describe('a-to', errorAt(errs, 'to'))} />
        </Field>
        <div class="actions">
          <button type="submit" class="primary">
            {t('devices.apply')}
          </button>
          <button type="button" onClick={() => navigate('/audit')}>
            {t('devices.clear')}
          </button>
        </div>
      </form>
      {list.error && !(list.error instanceof ApiError && list.error.fields.length) ? <ErrorBox error={list.error} /> : <FormError error={list.error} shown={[...FILTERS]} />}
      {!list.data ? (
        list.loading && <Loading />
      ) : (
        <>
          <table data-testid="audit">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">{t('audit.at')}</th>
                <th scope="col">{t('audit.actor')}</th>
                <th scope="col">{t('audit.action')}</th>
                <th scope="col">{t('audit.subject')}</th>
                <th scope="col">{t('audit.detail')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((e) => (
                <tr key={e.seq}>
                  <td class="num">{e.seq}</td>
                  <td>{fmtInstant(e.at)}</td>
                  <td>{e.actor}</td>
                  <td>
                    <code>{e.action}</code>
                  </td>
                  <td>
                    <code>{e.subject}</code>
                  </td>
                  <td class="small">
                    <code>{JSON.stringify(e.detail).slice(0, 300)}</code>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.items.length === 0 && <p class="muted">{t('audit.none')}</p>}
          <Pager next={list.data.next} atFirst={!cursors.length} onFirst={() => setCursors([])} onNext={() => list.data?.next && setCursors([...cursors, list.data.next])} />
        </>
      )}
    </>
  );
}

interface Verdict {
  ok: boolean;
  entries: number;
  verifiedAt: string;
  head: { seq: number; hash: string } | null;
  newestCheckpoint: { seq: number; at: string } | null;
  problems: string[];
}

/** The server verifies in the background (a long log takes a while): asks until the verdict is there. */
async function verify(fresh: boolean): Promise<Verdict> {
  for (let first = true; ; first = false) {
    const r = await api<{ status: string } & Verdict>('GET', '/audit/verify', undefined, { async: 'true', fresh: fresh && first ? 'true' : undefined });
    if (r.status === 'done') return r;
    await new Promise((resolve) => setTimeout(resolve, 700));
  }
}

function Verify() {
  const [fresh, setFresh] = useState(0);
  const v = useLoad(() => verify(fresh > 0), [fresh]);
  return (
    <section class="card" aria-labelledby="verify-h" data-testid="verify">
      <h2 id="verify-h">{t('audit.verify')}</h2>
      {v.error ? (
        <ErrorBox error={v.error} />
      ) : !v.data ? (
        <Loading />
      ) : (
        <>
          <p class={v.data.ok ? 'notice-ok' : 'form-error'} role="status">
            {v.data.ok ? t('audit.ok', { n: fmtNum(v.data.entries) }) : t('audit.broken', { n: fmtNum(v.data.problems.length) })}
          </p>
          {v.data.problems.length > 0 && (
            <ul>
              {v.data.problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <p class="small muted">
            {t('audit.verifiedAt', { at: fmtInstant(v.data.verifiedAt) })} ·{' '}
            {v.data.head ? t('audit.head', { seq: v.data.head.seq, hash: v.data.head.hash.slice(0, 16) }) : ''}
            {v.data.newestCheckpoint ? ` · ${t('audit.checkpoint', { seq: v.data.newestCheckpoint.seq, at: fmtInstant(v.data.newestCheckpoint.at) })}` : ''}
          </p>
          <button type="button" onClick={() => setFresh((n) => n + 1)}>
            {t('audit.again')}
          </button>
        </>
      )}
    </section>
  );
}
