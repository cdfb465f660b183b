// Overview: the rollout at a glance. For each ban in force: its stage and the next date (in the
// ban's zone and the viewer's), devices in scope by state as links to exactly those devices, how
// many of them were not seen for N days, the rollout, and the burn-down chart. The numbers arrive
// as Server-Sent Events and change without reload whenever agents report.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { fmtInstant, fmtNum, fmtRelative, viewerZone } from '../format.js';
import { t } from '../i18n.js';
import { href, Loading, StageBadge, useLoad } from '../ui.js';
import { Burndown, CHART_STATES, type Day } from './burndown.js';

export interface BanOverview {
  policyId: string;
  name: string;
  version: number;
  tools: string[];
  stage: string;
  nextBoundary: string | null;
  nextStage: string | null;
  stages: { stage: string; at: string | null; timeZone: string | null; instant: string }[];
  publishedAt: string;
  inScope: number;
  counts: Record<string, number>;
  notSeen: Record<string, number>;
  rollout: { devices: number; delivered: number; pending: number; offline: number; version: number };
}

export interface Overview {
  at: string;
  devices: number;
  staleDays: number;
  requestedExceptions: number;
  policies: BanOverview[];
}

const STALE_CHOICES = [1, 3, 7, 14, 30];

/** The overview, kept current by the server's event stream (reconnecting by itself). */
function useLiveOverview(staleDays: number): { data?: Overview; live: boolean } {
  const [data, setData] = useState<Overview>();
  const [live, setLive] = useState(false);
  useEffect(() => {
    const es = new EventSource(`/api/v1/summary/stream?staleDays=${staleDays}`);
    es.addEventListener('summary', (e) => {
      setData(JSON.parse((e as MessageEvent).data) as Overview);
      setLive(true);
    });
    es.addEventListener('ended', () => {
      es.close();
      // The session ended: the next request finds out and shows the sign-in page.
      void api('GET', '/session').catch(() => undefined);
    });
    es.onerror = () => setLive(false);
    return () => es.close();
  }, [staleDays]);
  return { data, live };
}

export function OverviewView() {
  const [staleDays, setStaleDays] = useState(7);
  const { data, live } = useLiveOverview(staleDays);
  return (
    <>
      <div class="row">
        <h1 class="grow">{t('overview.title')}</h1>
        <label>
          {t('overview.staleDays')}{' '}
          <select value={staleDays} onChange={(e) => setStaleDays(Number(e.currentTarget.value))}>
            {STALE_CHOICES.map((n) => (
              <option key={n} value={n}>
                {t('overview.days', { n })}
              </option>
            ))}
          </select>
        </label>
      </div>
      {!data ? (
        <Loading />
      ) : (
        <>
          <p class="muted" data-testid="live">
            <span class={`live-dot${live ? '' : ' off'}`} aria-hidden="true" />
            {live ? t('overview.live') : t('overview.reconnecting')} · {t('overview.updated', { at: fmtInstant(data.at, viewerZone, false) })} · {t('overview.fleet', { n: fmtNum(data.devices) })}
            {data.requestedExceptions > 0 && (
              <>
                {' · '}
                <a href={href('/exceptions', { status: 'requested' })}>{t('overview.requests', { n: fmtNum(data.requestedExceptions) })}</a>
              </>
            )}
          </p>
          {data.policies.length === 0 && <p>{t('overview.noBans')}</p>}
          {data.policies.map((p) => (
            <BanCard key={p.policyId} p={p} staleDays={data.staleDays} />
          ))}
        </>
      )}
    </>
  );
}

function BanCard({ p, staleDays }: { p: BanOverview; staleDays: number }) {
  const zone = p.stages.find((s) => s.stage === 'enforce')?.timeZone ?? 'UTC';
  const next = p.stages.find((s) => s.instant === p.nextBoundary);
  const headingId = `ban-${p.policyId}`;
  const notSeenTotal = Object.values(p.notSeen).reduce((a, b) => a + b, 0);
  return (
    <section class="card" aria-labelledby={headingId} data-testid={`ban-${p.name}`}>
      <h2 id={headingId}>
        <a href={`#/bans/${p.policyId}`}>{p.name}</a> <span class="muted small">v{p.version}</span> <StageBadge stage={p.stage} />
      </h2>
      <p>
        {t('overview.tools')}: {p.tools.join(', ')}
        {' · '}
        {p.nextBoundary ? (
          <>
            {t('overview.next', { stage: t(`stage.${p.nextStage ?? next?.stage ?? ''}`) })} <strong>{next?.at ? `${next.at.replace('T', ' ')} ${next.timeZone}` : fmtInstant(p.nextBoundary, zone)}</strong>
            {' '}
            <span class="muted">
              ({fmtInstant(p.nextBoundary)}, {fmtRelative(p.nextBoundary)})
            </span>
          </>
        ) : (
          t('overview.noNext')
        )}
      </p>
      <div class="row">
        <div>
          <table class="counts" data-testid="counts">
            <caption class="visually-hidden">{t('overview.countsCaption', { name: p.name })}</caption>
            <thead>
              <tr>
                <th scope="col">{t('overview.state')}</th>
                <th scope="col" class="num">
                  {t('overview.devices')}
                </th>
                <th scope="col" class="num">
                  {t('overview.notSeen', { n: staleDays })}
                </th>
              </tr>
            </thead>
            <tbody>
              {CHART_STATES.map((s) => (
                <tr key={s} data-state={s}>
                  <th scope="row" class={`state-${s}`}>
                    {t(`state.${s}`)}
                  </th>
                  <td class="num">
                    <a href={href('/devices', { policy: p.policyId, state: s })} data-testid={`count-${s}`}>
                      {fmtNum(p.counts[s] ?? 0)}
                    </a>
                  </td>
                  <td class="num">
                    {(p.notSeen[s] ?? 0) > 0 ? <a href={href('/devices', { policy: p.policyId, state: s, notSeenDays: staleDays })}>{fmtNum(p.notSeen[s])}</a> : '0'}
                  </td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th scope="row">{t('overview.inScope')}</th>
                <td class="num">
                  <a href={href('/devices', { policy: p.policyId })} data-testid="in-scope">
                    {fmtNum(p.inScope)}
                  </a>
                </td>
                <td class="num">{fmtNum(notSeenTotal)}</td>
              </tr>
            </tfoot>
          </table>
          <p class="small muted">
            {t('overview.rollout', { delivered: fmtNum(p.rollout.delivered), devices: fmtNum(p.rollout.devices), pending: fmtNum(p.rollout.pending), offline: fmtNum(p.rollout.offline) })}
          </p>
        </div>
        <div class="grow">
          <BanChart p={p} />
        </div>
      </div>
    </section>
  );
}

/** Past days from the daily rollup (fetched once, again every 10 minutes), today from the live counts. */
function BanChart({ p }: { p: BanOverview }) {
  const [tick, setTick] = useState(0);
  useEffect(() => {
    const i = setInterval(() => setTick((x) => x + 1), 10 * 60_000);
    return () => clearInterval(i);
  }, []);
  const b = useLoad(() => api<{ timeZone: string; days: Day[] }>('GET', `/policies/${p.policyId}/burndown`), [p.policyId, p.version, tick]);
  if (!b.data) return b.loading ? <Loading /> : null;
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: b.data.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
  const days = [...b.data.days.filter((d) => d.day < today), { day: today, inScope: p.inScope, counts: p.counts }];
  return (
    <>
      <h3>{t('burndown.title', { zone: b.data.timeZone })}</h3>
      <Burndown days={days} title={t('burndown.title', { zone: b.data.timeZone })} />
    </>
  );
}
