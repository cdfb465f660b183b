// The burn-down chart a rollout is judged by: devices in the ban's scope by compliance state, one
// column per day from the first publish to today (past days from the server's daily rollup, today
// from the live overview), drawn as stacked areas in SVG with the most pressing states at the
// bottom. The same numbers are in a table under it (for screen readers and for reading exact values).
import { fmtNum } from '../format.js';
import { t } from '../i18n.js';

export const CHART_STATES = ['violating', 'noticed', 'acknowledged', 'exempt', 'remediated', 'clear'] as const;
const COLORS: Record<string, string> = { violating: '#c62828', noticed: '#e07b00', acknowledged: '#d4b000', exempt: '#1f5fbf', remediated: '#00897b', clear: '#c5ccd4' };

export interface Day {
  day: string;
  inScope: number;
  counts: Record<string, number>;
}

export function Burndown({ days, title }: { days: Day[]; title: string }) {
  if (!days.length) return <p class="muted">{t('burndown.none')}</p>;
  const W = 720;
  const H = 200;
  const L = 48;
  const B = 22;
  const max = Math.max(1, ...days.map((d) => d.inScope));
  const x = (i: number) => L + (days.length === 1 ? (W - L) / 2 : (i * (W - L - 8)) / (days.length - 1));
  const y = (v: number) => H - B - (v * (H - B - 8)) / max;
  const layers: { state: string; path: string }[] = [];
  const base = days.map(() => 0);
  for (const s of CHART_STATES) {
    const top = days.map((d, i) => base[i] + (d.counts[s] ?? 0));
    const pts = days.map((_, i) => `${x(i).toFixed(1)},${y(top[i]).toFixed(1)}`);
    const bottom = days.map((_, i) => `${x(i).toFixed(1)},${y(base[i]).toFixed(1)}`).reverse();
    if (days.length === 1) {
      // One day: a bar rather than an area of no width.
      const w = 24;
      layers.push({ state: s, path: `M${x(0) - w / 2},${y(top[0])}H${x(0) + w / 2}V${y(base[0])}H${x(0) - w / 2}Z` });
    } else layers.push({ state: s, path: `M${pts.join('L')}L${bottom.join('L')}Z` });
    top.forEach((v, i) => (base[i] = v));
  }
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * max));
  const labelEvery = Math.max(1, Math.ceil(days.length / 8));
  const last = days[days.length - 1];
  const summary = CHART_STATES.map((s) => `${t(`state.${s}`)} ${fmtNum(last.counts[s] ?? 0)}`).join(', ');
  return (
    <div class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`${title}: ${t('burndown.desc', { from: days[0].day, to: last.day })} ${summary}`}>
        <g class="axis">
          {ticks.map((v) => (
            <g key={v}>
              <line x1={L} x2={W} y1={y(v)} y2={y(v)} stroke="#e1e4e8" />
              <text x={L - 4} y={y(v) + 3} text-anchor="end">
                {fmtNum(v)}
              </text>
            </g>
          ))}
          {days.map((d, i) =>
            i % labelEvery === 0 || i === days.length - 1 ? (
              <text key={d.day} x={x(i)} y={H - 6} text-anchor="middle">
                {d.day.slice(5)}
              </text>
            ) : null,
          )}
        </g>
        {layers.map((l) => (
          <path key={l.state} d={l.path} fill={COLORS[l.state]} stroke="#fff" stroke-width="0.5" />
        ))}
      </svg>
      <div class="legend" aria-hidden="true">
        {CHART_STATES.map((s) => (
          <span key={s}>
            <i class="sw" style={{ background: COLORS[s] }} />
            {t(`state.${s}`)}
          </span>
        ))}
      </div>
      <details>
        <summary>{t('burndown.table')}</summary>
        <table>
          <caption class="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">{t('burndown.day')}</th>
              <th scope="col" class="num">
                {t('overview.inScope')}
              </th>
              {CHART_STATES.map((s) => (
                <th scope="col" class="num" key={s}>
                  {t(`state.${s}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((d) => (
              <tr key={d.day}>
                <td>{d.day}</td>
                <td class="num">{fmtNum(d.inScope)}</td>
                {CHART_STATES.map((s) => (
                  <td class="num" key={s}>
                    {fmtNum(d.counts[s] ?? 0)}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
