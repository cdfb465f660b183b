// Reports: the compliance report as of a date (and zone) for a ban or tag, built by the server in
// the background (a large fleet takes seconds), then downloaded as CSV, printable HTML or the
// signed evidence pack. A bad date is refused at the field before anything is built.
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, errorAt, fieldErrors } from '../api.js';
import { fmtBytes, fmtInstant, toLocalInput, viewerZone, zones } from '../format.js';
import { t } from '../i18n.js';
import { describe, ErrorBox, Field, FormError, useId, useLoad } from '../ui.js';

interface Job {
  id: string;
  status: 'queued' | 'running' | 'done' | 'failed';
  format: string;
  parameters: { asOf: string; knownAt: string };
  filename: string | null;
  bytes: number | null;
  error: string | null;
}

export function ReportsView() {
  const [asOf, setAsOf] = useState(toLocalInput(Date.now(), true));
  const [zone, setZone] = useState(viewerZone);
  const [policy, setPolicy] = useState('');
  const [tag, setTag] = useState('');
  const [format, setFormat] = useState('csv');
  const [error, setError] = useState<unknown>();
  const [jobs, setJobs] = useState<Job[]>([]);
  const zoneList = useId('zones');
  const policies = useLoad(() => api<{ items: { id: string; name: string }[] }>('GET', '/policies', undefined, { limit: 1000 }), []);
  const errs = fieldErrors(error);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      // The date as typed, with its zone: the server resolves it (and refuses a bad one, naming the field).
      const job = await api<Job>('POST', '/reports/compliance/exports', { asOf: `${asOf} ${zone}`.trim(), format, ...(policy ? { policy } : {}), ...(tag ? { tag } : {}) });
      setJobs([job, ...jobs]);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <>
      <h1>{t('reports.title')}</h1>
      <p class="muted">{t('reports.intro')}</p>
      <form onSubmit={submit} noValidate aria-label={t('reports.form')} class="card">
        <FormError error={error} shown={['asOf', 'policy', 'tag', 'format']} />
        <div class="row">
          <Field id="r-asof" label={t('reports.asOf')} error={errorAt(errs, 'asOf')}>
            <input type="datetime-local" step={1} value={asOf} onInput={(e) => setAsOf(e.currentTarget.value)} {...describe('r-asof', errorAt(errs, 'asOf'))} />
          </Field>
          <Field id="r-zone" label={t('reports.zone')} error={undefined}>
            <input list={zoneList} size={22} value={zone} onInput={(e) => setZone(e.currentTarget.value)} id="r-zone" />
            <datalist id={zoneList}>
              {zones().map((z) => (
                <option key={z} value={z} />
              ))}
            </datalist>
          </Field>
          <Field id="r-policy" label={t('reports.policy')} error={errorAt(errs, 'policy')}>
            <select value={policy} onChange={(e) => setPolicy(e.currentTarget.value)} {...describe('r-policy', errorAt(errs, 'policy'))}>
              <option value="">{t('reports.allBans')}</option>
              {policies.data?.items.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </Field>
          <Field id="r-tag" label={t('reports.tag')} error={errorAt(errs, 'tag')}>
            <input size={14} value={tag} onInput={(e) => setTag(e.currentTarget.value)} {...describe('r-tag', errorAt(errs, 'tag'))} />
          </Field>
          <Field id="r-format" label={t('reports.format')} error={errorAt(errs, 'format')}>
            <select value={format} onChange={(e) => setFormat(e.currentTarget.value)} {...describe('r-format', errorAt(errs, 'format'))}>
              <option value="csv">CSV</option>
              <option value="html">{t('reports.html')}</option>
              <option value="zip">{t('reports.zip')}</option>
              <option value="json">JSON</option>
            </select>
          </Field>
        </div>
        <button type="submit" class="primary">
          {t('reports.make')}
        </button>
      </form>
      {jobs.length > 0 && (
        <section class="card" aria-labelledby="jobs-h">
          <h2 id="jobs-h">{t('reports.jobs')}</h2>
          <table data-testid="jobs">
            <tbody>
              {jobs.map((j) => (
                <JobRow key={j.id} initial={j} />
              ))}
            </tbody>
          </table>
        </section>
      )}
    </>
  );
}

function JobRow({ initial }: { initial: Job }) {
  const [job, setJob] = useState(initial);
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (job.status === 'done' || job.status === 'failed') return;
    // A dropped connection while the server is busy building is not the job failing: ask again.
    const timer = setTimeout(
      () => api<Job>('GET', `/reports/compliance/exports/${job.id}`).then(setJob, (err) => (err instanceof ApiError && err.code === 'NETWORK' ? setJob({ ...job }) : setError(err))),
      700,
    );
    return () => clearTimeout(timer);
  }, [job]);
  return (
    <tr data-status={job.status}>
      <td>{job.format.toUpperCase()}</td>
      <td>{t('reports.asOfValue', { at: fmtInstant(job.parameters.asOf) })}</td>
      <td role="status">
        {error ? <ErrorBox error={error} /> : job.status === 'failed' ? <span class="error">{job.error}</span> : t(`reports.status.${job.status}`)}
      </td>
      <td>
        {job.status === 'done' && (
          <a class="button primary" href={`/api/v1/reports/compliance/exports/${job.id}/file`} download={job.filename ?? undefined} data-testid="download">
            {t('reports.download', { name: job.filename ?? '', size: fmtBytes(job.bytes) })}
          </a>
        )}
      </td>
    </tr>
  );
}
