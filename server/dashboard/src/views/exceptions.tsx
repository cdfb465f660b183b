// Exceptions: the queue of employee requests (their own words), approve with an expiry or deny with
// a note (the agent passes the decision on to the employee as a notice), and the exceptions in
// force with their expiry (revocable). Admin and helpdesk decide; auditors see the same read-only.
import { useEffect, useState } from 'preact/hooks';
import { api, errorAt, fieldErrors } from '../api.js';
import { fmtInstant, localInputToIso, toLocalInput, viewerZone } from '../format.js';
import { t } from '../i18n.js';
import { can } from '../session.js';
import { describe, Dialog, ErrorBox, Field, FormError, Loading, Pager, useLoad } from '../ui.js';

interface Exception {
  id: string;
  toolId: string;
  deviceId: string;
  hostname: string | null;
  user: string | null;
  reason: string;
  status: string;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionNote: string | null;
  expiresAt: string | null;
}

export function ExceptionsView({ query }: { query: Record<string, string> }) {
  const [tab, setTab] = useState(query.status === 'granted' ? 'granted' : query.status === 'all' ? 'all' : 'requested');
  return (
    <>
      <h1>{t('exceptions.title')}</h1>
      <div class="tabs" role="tablist" aria-label={t('exceptions.title')}>
        {['requested', 'granted', 'all'].map((k) => (
          <button key={k} type="button" role="tab" aria-selected={tab === k} onClick={() => setTab(k)} id={`tab-${k}`} aria-controls="exc-panel">
            {t(`exceptions.tab.${k}`)}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="exc-panel" aria-labelledby={`tab-${tab}`}>
        <ExceptionList key={tab} status={tab === 'all' ? undefined : tab} />
      </div>
    </>
  );
}

function ExceptionList({ status }: { status?: string }) {
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors[cursors.length - 1];
  const list = useLoad(() => api<{ items: Exception[]; next: string | null }>('GET', '/exceptions', undefined, { status, limit: 50, cursor }), [status, cursor]);
  const [acting, setActing] = useState<{ e: Exception; kind: 'approve' | 'deny' | 'revoke' } | null>(null);
  // The queue refreshes itself while it is open on its first page (requests keep arriving).
  useEffect(() => {
    if (status !== 'requested' || cursors.length || acting) return;
    const timer = setInterval(list.reload, 15_000);
    return () => clearInterval(timer);
  }, [status, cursors.length, acting]);
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <Loading />;
  const items = list.data.items;
  return (
    <>
      {items.length === 0 ? (
        <p class="muted">{status === 'requested' ? t('exceptions.queueEmpty') : t('exceptions.none')}</p>
      ) : (
        <table data-testid="exceptions">
          <thead>
            <tr>
              <th scope="col">{t('exceptions.device')}</th>
              <th scope="col">{t('exceptions.tool')}</th>
              <th scope="col">{t('exceptions.who')}</th>
              <th scope="col">{t('exceptions.words')}</th>
              <th scope="col">{t('exceptions.status')}</th>
              <th scope="col">{t('exceptions.actions')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr key={e.id} data-exception={e.id}>
                <td>
                  <a href={`#/devices/${e.deviceId}`}>{e.hostname ?? e.deviceId}</a>
                </td>
                <td>{e.toolId}</td>
                <td>
                  {e.user ?? t('exceptions.wholeDevice')}
                  <div class="muted small">{t('exceptions.requestedAt', { at: fmtInstant(e.requestedAt) })}</div>
                </td>
                <td>
                  <q>{e.reason}</q>
                  {e.decisionNote && e.decisionNote !== e.reason && <div class="small">{t('exceptions.note', { note: e.decisionNote })}</div>}
                </td>
                <td>
                  {t(`exc.${e.status}`)}
                  {e.expiresAt && <div class="small">{t('exceptions.until', { at: fmtInstant(e.expiresAt) })}</div>}
                  {e.decidedBy && <div class="muted small">{t('exceptions.by', { who: e.decidedBy })}</div>}
                </td>
                <td>
                  {can.decideExceptions() && e.status === 'requested' && (
                    <div class="actions" style={{ marginTop: 0 }}>
                      <button type="button" class="primary" onClick={() => setActing({ e, kind: 'approve' })}>
                        {t('exceptions.approve')}
                      </button>
                      <button type="button" onClick={() => setActing({ e, kind: 'deny' })}>
                        {t('exceptions.deny')}
                      </button>
                    </div>
                  )}
                  {can.decideExceptions() && e.status === 'granted' && (
                    <button type="button" onClick={() => setActing({ e, kind: 'revoke' })}>
                      {t('exceptions.revoke')}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <Pager next={list.data.next} atFirst={!cursors.length} onFirst={() => setCursors([])} onNext={() => list.data?.next && setCursors([...cursors, list.data.next])} />
      {acting && <Decide e={acting.e} kind={acting.kind} onClose={() => setActing(null)} onDone={() => (setActing(null), list.reload())} />}
    </>
  );
}

function Decide({ e, kind, onClose, onDone }: { e: Exception; kind: 'approve' | 'deny' | 'revoke'; onClose: () => void; onDone: () => void }) {
  const [expires, setExpires] = useState(toLocalInput(Date.now() + 30 * 86400_000));
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const errs = fieldErrors(error);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      if (kind === 'approve') {
        const iso = localInputToIso(expires);
        await api('POST', `/exceptions/${e.id}/approve`, { expiresAt: iso ?? expires, ...(note ? { note } : {}) });
      } else if (kind === 'deny') await api('POST', `/exceptions/${e.id}/deny`, note ? { note } : {});
      else await api('POST', `/exceptions/${e.id}/revoke`);
      onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open title={t(`exceptions.${kind}Title`, { tool: e.toolId, device: e.hostname ?? e.deviceId })} onClose={onClose}>
      <form onSubmit={submit} noValidate>
        <p>
          <q>{e.reason}</q> — {e.user ?? t('exceptions.wholeDevice')}
        </p>
        <FormError error={error} shown={['expiresAt', 'note']} />
        {kind === 'approve' && (
          <Field id="exc-expires" label={t('exceptions.expires', { zone: viewerZone })} error={errorAt(errs, 'expiresAt')} hint={t('exceptions.expiresHint')}>
            <input type="datetime-local" value={expires} onInput={(x) => setExpires(x.currentTarget.value)} {...describe('exc-expires', errorAt(errs, 'expiresAt'), t('exceptions.expiresHint'))} />
          </Field>
        )}
        {kind !== 'revoke' && (
          <Field id="exc-note" label={kind === 'deny' ? t('exceptions.denyNote') : t('exceptions.approveNote')} error={errorAt(errs, 'note')}>
            <textarea rows={3} value={note} onInput={(x) => setNote(x.currentTarget.value)} {...describe('exc-note', errorAt(errs, 'note'))} />
          </Field>
        )}
        {kind === 'revoke' && <p>{t('exceptions.revokeRestate')}</p>}
        <div class="actions">
          <button type="submit" class={kind === 'approve' ? 'primary' : 'danger'} disabled={busy}>
            {t(`exceptions.${kind}`)}
          </button>
          <button type="button" onClick={onClose}>
            {t('cancel')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
