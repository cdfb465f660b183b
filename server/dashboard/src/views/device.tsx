// One device: facts, agent health (collector errors included), tags (editable by admins, scope of
// bans), detections with their evidence, the compliance timeline (paged) and exceptions.
import { useState } from 'preact/hooks';
import { api, errorAt, fieldErrors } from '../api.js';
import { fmtInstant, fmtNum, fmtRelative } from '../format.js';
import { t } from '../i18n.js';
import { can } from '../session.js';
import { describe, ErrorBox, Field, FormError, Kv, Loading, StateBadge, useLoad } from '../ui.js';
import type { Device } from './devices.js';

interface Health {
  outboxPending?: number;
  lastScanAt?: string | null;
  uptimeSec?: number;
  collectorErrors?: { collector: string; code: string; message: string; count: number; since: string }[];
}

export function DeviceView({ id }: { id: string }) {
  const d = useLoad(() => api<Device & { enrolledAt: string; arch: string | null; lastHealth: Health | null; applied: Record<string, number | null>; tagHistory: { at: string; tags: string[]; cause: string }[] }>('GET', `/devices/${id}`), [id]);
  const states = useLoad(() => api<{ items: { toolId: string; state: string; since: string }[] }>('GET', '/compliance', undefined, { deviceId: id, limit: 100 }), [id]);
  if (d.error) return <ErrorBox error={d.error} />;
  if (!d.data) return <Loading />;
  const dev = d.data;
  const h = dev.lastHealth ?? {};
  return (
    <>
      <p>
        <a href="#/devices">{t('devices.back')}</a>
      </p>
      <h1>{dev.hostname}</h1>
      <div class="row">
        <section class="card grow" aria-labelledby="facts-h">
          <h2 id="facts-h">{t('device.facts')}</h2>
          <Kv
            items={[
              [t('device.id'), <code>{dev.id}</code>],
              [t('devices.os'), `${dev.platform ?? '—'} ${dev.osRelease ?? ''} ${dev.arch ?? ''}`],
              [t('devices.agent'), dev.agentVersion],
              [t('device.enrolled'), fmtInstant(dev.enrolledAt)],
              [t('devices.lastSeen'), dev.connected ? t('devices.connected') : `${fmtInstant(dev.lastSeenAt)} (${fmtRelative(dev.lastSeenAt)})`],
              [t('device.policyParts'), `catalog ${dev.applied.catalog ?? '—'} · policies ${dev.applied.policies ?? '—'} · device ${dev.applied.device ?? '—'}`],
              ...(dev.revokedAt ? ([[t('devices.revoked'), fmtInstant(dev.revokedAt)]] as [string, string][]) : []),
            ]}
          />
        </section>
        <section class="card grow" aria-labelledby="health-h">
          <h2 id="health-h">{t('device.health')}</h2>
          <Kv
            items={[
              [t('device.lastScan'), h.lastScanAt ? `${fmtInstant(h.lastScanAt)} (${fmtRelative(h.lastScanAt)})` : '—'],
              [t('device.outbox'), fmtNum(h.outboxPending)],
              [t('device.uptime'), h.uptimeSec !== undefined ? `${fmtNum(Math.round(h.uptimeSec / 60))} min` : '—'],
            ]}
          />
          <h3>{t('device.collectorErrors')}</h3>
          {h.collectorErrors?.length ? (
            <ul data-testid="collector-errors">
              {h.collectorErrors.map((e) => (
                <li key={e.collector}>
                  <code>{e.collector}</code> {t('device.failingSince')} {fmtInstant(e.since)} ({fmtRelative(e.since)}): <code>{e.code}</code> {e.message}
                  {e.count > 1 ? <span class="muted small"> (+{fmtNum(e.count - 1)})</span> : null}
                </li>
              ))}
            </ul>
          ) : (
            <p class="muted">{t('device.noCollectorErrors')}</p>
          )}
        </section>
      </div>
      <section class="card" aria-labelledby="states-h">
        <h2 id="states-h">{t('device.states')}</h2>
        {states.data?.items.length ? (
          <table>
            <tbody>
              {states.data.items.map((s) => (
                <tr key={s.toolId}>
                  <td>{s.toolId}</td>
                  <td data-testid={`state-${s.toolId}`}>
                    <StateBadge state={s.state} />
                  </td>
                  <td>{t('device.since', { at: fmtInstant(s.since) })}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">{t('device.noStates')}</p>
        )}
      </section>
      <Tags id={id} tags={dev.tags} onSaved={d.reload} history={dev.tagHistory} />
      <Detections id={id} />
      <Timeline id={id} />
      <DeviceExceptions id={id} />
    </>
  );
}

function Tags({ id, tags, history, onSaved }: { id: string; tags: string[]; history: { at: string; tags: string[]; cause: string }[]; onSaved: () => void }) {
  const [text, setText] = useState(tags.join(', '));
  const [error, setError] = useState<unknown>();
  const [ok, setOk] = useState(false);
  const errs = fieldErrors(error);
  const save = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setOk(false);
    try {
      const list = text
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean);
      await api('PUT', `/devices/${id}/tags`, { tags: list });
      setOk(true);
      onSaved();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section class="card" aria-labelledby="tags-h">
      <h2 id="tags-h">{t('devices.tags')}</h2>
      {can.editTags() ? (
        <form onSubmit={save} noValidate class="row" aria-label={t('device.editTags')}>
          <FormError error={error} shown={['tags']} />
          <Field id="dev-tags" label={t('device.tagsLabel')} error={errorAt(errs, 'tags')} hint={t('bans.tagsHint')}>
            <input size={40} value={text} onInput={(e) => (setText(e.currentTarget.value), setOk(false))} {...describe('dev-tags', errorAt(errs, 'tags'), t('bans.tagsHint'))} />
          </Field>
          <div class="actions">
            <button type="submit" class="primary">
              {t('device.saveTags')}
            </button>
          </div>
          {ok && (
            <p class="notice-ok" role="status">
              {t('device.tagsSaved')}
            </p>
          )}
        </form>
      ) : (
        <p>{tags.join(', ') || '—'}</p>
      )}
      <details>
        <summary>{t('device.tagHistory')}</summary>
        <ul>
          {history.map((h, i) => (
            <li key={i}>
              {fmtInstant(h.at)}: {h.tags.join(', ') || '—'} <span class="muted small">({h.cause})</span>
            </li>
          ))}
        </ul>
      </details>
    </section>
  );
}

interface Detection {
  eventId: string;
  toolId: string;
  kind: string;
  user: string;
  state: string;
  confidence: number;
  observedAt: string;
  stage: string;
  evidence: Record<string, unknown>;
}

function Detections({ id }: { id: string }) {
  const list = useLoad(() => api<{ items: Detection[]; next: string | null }>('GET', '/detections', undefined, { deviceId: id, current: 'true', state: 'present', limit: 200 }), [id]);
  return (
    <section class="card" aria-labelledby="det-h">
      <h2 id="det-h">{t('device.detections')}</h2>
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p class="muted">{t('device.noDetections')}</p>
      ) : (
        <table data-testid="detections">
          <thead>
            <tr>
              <th scope="col">{t('device.tool')}</th>
              <th scope="col">{t('device.kind')}</th>
              <th scope="col">{t('device.user')}</th>
              <th scope="col">{t('device.evidence')}</th>
              <th scope="col">{t('device.observed')}</th>
            </tr>
          </thead>
          <tbody>
            {list.data.items.map((x) => (
              <tr key={x.eventId}>
                <td>{x.toolId}</td>
                <td>{t(`kind.${x.kind}`)}</td>
                <td>{x.user}</td>
                <td>
                  <Evidence e={x.evidence} confidence={x.confidence} />
                </td>
                <td>{fmtInstant(x.observedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Evidence({ e, confidence }: { e: Record<string, unknown>; confidence: number }) {
  const main = ['signature', 'path', 'version', 'source', 'pid'].filter((k) => e[k] !== undefined && e[k] !== null);
  const rest = Object.keys(e).filter((k) => !main.includes(k));
  return (
    <div class="small">
      {main.map((k) => (
        <div key={k}>
          <span class="muted">{k}:</span> <code>{String(e[k])}</code>
        </div>
      ))}
      {rest.length > 0 && (
        <details>
          <summary>{t('device.more')}</summary>
          <pre>{JSON.stringify(Object.fromEntries(rest.map((k) => [k, e[k]])), null, 1)}</pre>
        </details>
      )}
      <div class="muted">
        {t('device.confidence')} {Math.round(confidence * 100)}%
      </div>
    </div>
  );
}

interface TimelineRow {
  seq: number;
  toolId: string;
  at: string;
  kind: string;
  fromState: string | null;
  toState: string | null;
  cause: string;
  detail: Record<string, unknown>;
  supersededAt: string | null;
}

function Timeline({ id }: { id: string }) {
  const [pages, setPages] = useState<string[]>([]);
  const cursor = pages[pages.length - 1];
  const list = useLoad(() => api<{ items: TimelineRow[]; next: string | null }>('GET', `/devices/${id}/timeline`, undefined, { limit: 100, cursor }), [id, cursor]);
  return (
    <section class="card" aria-labelledby="tl-h">
      <h2 id="tl-h">{t('device.timeline')}</h2>
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p class="muted">{t('device.noTimeline')}</p>
      ) : (
        <>
          <table data-testid="timeline">
            <tbody>
              {list.data.items.map((r) => (
                <tr key={r.seq} class={r.supersededAt ? 'muted' : ''}>
                  <td>{fmtInstant(r.at)}</td>
                  <td>{r.toolId}</td>
                  <td>
                    {r.kind === 'state' ? (
                      <>
                        {r.fromState && <StateBadge state={r.fromState} />} → {r.toState && <StateBadge state={r.toState} />}
                      </>
                    ) : (
                      t(`timeline.${r.kind}`, {}, r.kind)
                    )}
                  </td>
                  <td class="small">
                    {r.cause}
                    {r.supersededAt ? ` · ${t('device.superseded')}` : ''}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div class="pager">
            <button type="button" disabled={!pages.length} onClick={() => setPages([])}>
              {t('pager.first')}
            </button>
            <button type="button" disabled={!list.data.next} onClick={() => list.data?.next && setPages([...pages, list.data.next])}>
              {t('pager.next')}
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function DeviceExceptions({ id }: { id: string }) {
  const list = useLoad(() => api<{ items: { id: string; toolId: string; status: string; user: string | null; reason: string; expiresAt: string | null; requestedAt: string }[] }>('GET', '/exceptions', undefined, { deviceId: id, limit: 100 }), [id]);
  return (
    <section class="card" aria-labelledby="dex-h">
      <h2 id="dex-h">{t('nav.exceptions')}</h2>
      {!list.data ? (
        <Loading />
      ) : list.data.items.length === 0 ? (
        <p class="muted">{t('exceptions.none')}</p>
      ) : (
        <table>
          <tbody>
            {list.data.items.map((e) => (
              <tr key={e.id}>
                <td>{e.toolId}</td>
                <td>{t(`exc.${e.status}`)}</td>
                <td>{e.user ?? t('exceptions.wholeDevice')}</td>
                <td>{e.reason}</td>
                <td>{e.expiresAt ? t('exceptions.until', { at: fmtInstant(e.expiresAt) }) : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
