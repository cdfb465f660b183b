// The tool catalog: built-in and custom tools with their signatures in readable form; admins add a
// tool or override one (every signature list edited one entry per line), and remove a custom entry
// (a built-in of the same id comes back). Server validation messages show at the list they concern.
import { useState } from 'preact/hooks';
import { api, errorAt, fieldErrors } from '../api.js';
import { fmtInstant } from '../format.js';
import { t } from '../i18n.js';
import { can } from '../session.js';
import { describe, ErrorBox, Field, FormError, Loading, navigate, useLoad } from '../ui.js';

interface Tool {
  id: string;
  displayName: string;
  vendor: string;
  category: string[];
  homepage?: string;
  signatures: Record<string, unknown[]>;
  source?: string;
}

const LIST_KINDS = [
  'npmPackages',
  'executables',
  'knownPaths',
  'processNames',
  'exePathPatterns',
  'cmdlinePatterns',
  'configDirs',
  'vscodeExtensions',
  'jetbrainsPlugins',
  'pythonPackages',
  'linuxPackages',
  'appImagePatterns',
  'macBundleIds',
  'windowsShortcuts',
  'contentHashes',
  'childEnvMarkers',
  'runtimeFiles',
];
const JSON_KINDS = ['windowsUninstall', 'contentMarkers'];
const CATEGORIES = ['cli-agent', 'ide', 'ide-extension', 'desktop-app', 'python-package'];

export function CatalogView() {
  const list = useLoad(() => api<{ items: Tool[]; catalogVersion: number }>('GET', '/tools', undefined, { limit: 1000 }), []);
  return (
    <>
      <div class="row">
        <h1 class="grow">{t('catalog.title')}</h1>
        {can.editCatalog() && (
          <a class="button primary" href="#/catalog/new">
            {t('catalog.add')}
          </a>
        )}
      </div>
      {list.error && <ErrorBox error={list.error} />}
      {!list.data ? (
        <Loading />
      ) : (
        <>
          <p class="muted">{t('catalog.version', { v: list.data.catalogVersion })}</p>
          <table data-testid="catalog">
            <thead>
              <tr>
                <th scope="col">{t('catalog.tool')}</th>
                <th scope="col">{t('catalog.vendor')}</th>
                <th scope="col">{t('catalog.category')}</th>
                <th scope="col">{t('catalog.source')}</th>
                <th scope="col">{t('catalog.signatures')}</th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((x) => (
                <tr key={x.id}>
                  <td>
                    <a href={`#/catalog/${x.id}`}>{x.displayName}</a> <code class="muted">{x.id}</code>
                  </td>
                  <td>{x.vendor}</td>
                  <td>{x.category.join(', ')}</td>
                  <td>{t(`catalog.${x.source ?? 'builtin'}`)}</td>
                  <td class="small">
                    {Object.entries(x.signatures)
                      .filter(([, v]) => v.length)
                      .map(([k, v]) => `${t(`sig.${k}`, {}, k)} (${v.length})`)
                      .join(' · ')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </>
  );
}

export function ToolView({ id }: { id: string }) {
  const isNew = id === 'new';
  const tool = useLoad(() => (isNew ? Promise.resolve(undefined) : api<{ tool: Tool; source: string; updatedAt: string }>('GET', `/tools/${id}`)), [id]);
  const [editing, setEditing] = useState(isNew);
  if (tool.error) return <ErrorBox error={tool.error} />;
  if (!isNew && !tool.data) return <Loading />;
  const x = tool.data?.tool;
  return (
    <>
      <p>
        <a href="#/catalog">{t('catalog.back')}</a>
      </p>
      <h1>
        {isNew ? t('catalog.add') : x!.displayName} {tool.data && <span class="muted small">{t(`catalog.${tool.data.source}`)}</span>}
      </h1>
      {x && !editing && (
        <>
          <section class="card">
            <dl class="kv">
              <dt>{t('catalog.id')}</dt>
              <dd>
                <code>{x.id}</code>
              </dd>
              <dt>{t('catalog.vendor')}</dt>
              <dd>{x.vendor}</dd>
              <dt>{t('catalog.category')}</dt>
              <dd>{x.category.join(', ')}</dd>
              <dt>{t('catalog.homepage')}</dt>
              <dd>{x.homepage ?? '—'}</dd>
              <dt>{t('catalog.updated')}</dt>
              <dd>{fmtInstant(tool.data!.updatedAt)}</dd>
            </dl>
          </section>
          <section class="card">
            <h2>{t('catalog.signatures')}</h2>
            <dl class="kv" data-testid="signatures">
              {Object.entries(x.signatures)
                .filter(([, v]) => v.length)
                .map(([k, v]) => [
                  <dt key={`${k}-k`}>{t(`sig.${k}`, {}, k)}</dt>,
                  <dd key={`${k}-v`}>
                    <ul>
                      {v.map((s, i) => (
                        <li key={i}>
                          <code>{typeof s === 'string' ? s : JSON.stringify(s)}</code>
                        </li>
                      ))}
                    </ul>
                  </dd>,
                ])}
            </dl>
          </section>
          {can.editCatalog() && (
            <div class="actions">
              <button type="button" class="primary" onClick={() => setEditing(true)}>
                {t('catalog.override')}
              </button>
              {tool.data!.source === 'custom' && <RemoveCustom id={x.id} />}
            </div>
          )}
        </>
      )}
      {editing && can.editCatalog() && <ToolForm initial={x} onSaved={(nid) => (isNew ? navigate(`/catalog/${nid}`) : (setEditing(false), tool.reload()))} />}
    </>
  );
}

function RemoveCustom({ id }: { id: string }) {
  const [error, setError] = useState<unknown>();
  return (
    <>
      <button
        type="button"
        class="danger"
        onClick={async () => {
          try {
            await api('DELETE', `/tools/${id}`);
            navigate('/catalog');
          } catch (err) {
            setError(err);
          }
        }}
      >
        {t('catalog.remove')}
      </button>
      <ErrorBox error={error} />
    </>
  );
}

function ToolForm({ initial, onSaved }: { initial?: Tool; onSaved: (id: string) => void }) {
  const [id, setId] = useState(initial?.id ?? '');
  const [displayName, setDisplayName] = useState(initial?.displayName ?? '');
  const [vendor, setVendor] = useState(initial?.vendor ?? '');
  const [homepage, setHomepage] = useState(initial?.homepage ?? '');
  const [category, setCategory] = useState<string[]>(initial?.category ?? []);
  const [sigs, setSigs] = useState<Record<string, string>>(() =>
    Object.fromEntries([...LIST_KINDS.map((k) => [k, ((initial?.signatures[k] as string[]) ?? []).join('\n')]), ...JSON_KINDS.map((k) => [k, initial?.signatures[k]?.length ? JSON.stringify(initial.signatures[k]) : ''])]),
  );
  const [error, setError] = useState<unknown>();
  const [jsonErrors, setJsonErrors] = useState<Record<string, string>>({});
  const errs = { ...fieldErrors(error), ...jsonErrors };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const signatures: Record<string, unknown> = {};
    const bad: Record<string, string> = {};
    for (const k of LIST_KINDS) signatures[k] = sigs[k].split('\n').map((s) => s.trim()).filter(Boolean);
    for (const k of JSON_KINDS) {
      if (!sigs[k].trim()) continue;
      try {
        signatures[k] = JSON.parse(sigs[k]);
      } catch {
        bad[`signatures.${k}`] = t('catalog.badJson');
      }
    }
    setJsonErrors(bad);
    if (Object.keys(bad).length) return;
    if (!id.trim()) {
      setJsonErrors({ id: t('catalog.idRequired') });
      return;
    }
    try {
      await api('PUT', `/tools/${encodeURIComponent(id.trim())}`, { displayName, vendor, category, ...(homepage ? { homepage } : {}), signatures });
      onSaved(id.trim());
    } catch (err) {
      setError(err);
    }
  };
  const lineOf = (k: string) => {
    const m = errorAt(errs, `signatures.${k}`);
    const sub = Object.keys(errs).find((p) => p.startsWith(`signatures.${k}.`));
    const n = sub ? Number(sub.split('.')[2]) : NaN;
    return m && !Number.isNaN(n) ? t('catalog.line', { n: n + 1, msg: errs[sub!] }) : m;
  };
  return (
    <form onSubmit={submit} noValidate aria-label={t('catalog.form')}>
      <FormError error={error} shown={['id', 'displayName', 'vendor', 'category', 'homepage', 'signatures']} />
      <div class="row">
        <Field id="tool-id" label={t('catalog.id')} error={errs.id} hint={t('catalog.idHint')}>
          <input value={id} disabled={!!initial} onInput={(e) => setId(e.currentTarget.value)} {...describe('tool-id', errs.id, t('catalog.idHint'))} />
        </Field>
        <Field id="tool-name" label={t('catalog.name')} error={errorAt(errs, 'displayName')}>
          <input value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} {...describe('tool-name', errorAt(errs, 'displayName'))} />
        </Field>
        <Field id="tool-vendor" label={t('catalog.vendor')} error={errorAt(errs, 'vendor')}>
          <input value={vendor} onInput={(e) => setVendor(e.currentTarget.value)} {...describe('tool-vendor', errorAt(errs, 'vendor'))} />
        </Field>
        <Field id="tool-home" label={t('catalog.homepage')} error={errorAt(errs, 'homepage')}>
          <input size={36} value={homepage} onInput={(e) => setHomepage(e.currentTarget.value)} {...describe('tool-home', errorAt(errs, 'homepage'))} />
        </Field>
      </div>
      <fieldset>
        <legend>{t('catalog.category')}</legend>
        <div class="checks">
          {CATEGORIES.map((c) => (
            <label key={c}>
              <input type="checkbox" checked={category.includes(c)} onChange={(e) => setCategory(e.currentTarget.checked ? [...category, c] : category.filter((x) => x !== c))} />
              {c}
            </label>
          ))}
        </div>
        {errorAt(errs, 'category') && <p class="error">{errorAt(errs, 'category')}</p>}
      </fieldset>
      <fieldset>
        <legend>{t('catalog.signatures')}</legend>
        <p class="hint muted">{t('catalog.sigHint')}</p>
        <div class="row">
          {[...LIST_KINDS, ...JSON_KINDS].map((k) => (
            <div key={k} style={{ width: '300px' }}>
              <Field id={`sig-${k}`} label={t(`sig.${k}`, {}, k)} error={lineOf(k)}>
                <textarea rows={2} class="mono" value={sigs[k]} onInput={(e) => setSigs({ ...sigs, [k]: e.currentTarget.value })} {...describe(`sig-${k}`, lineOf(k))} />
              </Field>
            </div>
          ))}
        </div>
      </fieldset>
      <div class="actions">
        <button type="submit" class="primary">
          {t('catalog.save')}
        </button>
      </div>
    </form>
  );
}
