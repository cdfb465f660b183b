// The Edict admin dashboard: sign in with an API token (traded for a session cookie), then the
// views admins, helpdesk and auditors use every day. Hash routes (#/devices?state=violating) so
// every view is a link and the server serves one page. English and Simplified Chinese.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrf, SIGNED_OUT_EVENT } from './api.js';
import { getLang, LANGS, setLang, t, type Lang } from './i18n.js';
import { setSession, type Session } from './session.js';
import { ErrorBox, Loading, useRoute } from './ui.js';
import { AuditView } from './views/audit.js';
import { BanView, BansView } from './views/bans.js';
import { CatalogView, ToolView } from './views/catalog.js';
import { DeviceView } from './views/device.js';
import { DevicesView } from './views/devices.js';
import { ExceptionsView } from './views/exceptions.js';
import { OverviewView } from './views/overview.js';
import { ReportsView } from './views/reports.js';
import { SignIn } from './views/signin.js';

const NAV: [string, string][] = [
  ['/', 'nav.overview'],
  ['/bans', 'nav.bans'],
  ['/devices', 'nav.devices'],
  ['/exceptions', 'nav.exceptions'],
  ['/catalog', 'nav.catalog'],
  ['/audit', 'nav.audit'],
  ['/reports', 'nav.reports'],
];

function Content() {
  const r = useRoute();
  const [a, b] = r.parts;
  switch (a) {
    case undefined:
      return <OverviewView />;
    case 'bans':
      return b ? <BanView id={b} /> : <BansView />;
    case 'devices':
      return b ? <DeviceView id={b} /> : <DevicesView query={r.query} />;
    case 'exceptions':
      return <ExceptionsView query={r.query} />;
    case 'catalog':
      return b ? <ToolView id={b} /> : <CatalogView />;
    case 'audit':
      return <AuditView query={r.query} />;
    case 'reports':
      return <ReportsView />;
    default:
      return <p>{t('notFound')}</p>;
  }
}

function Shell({ s, onSignOut, onLang }: { s: Session; onSignOut: () => void; onLang: (l: Lang) => void }) {
  const r = useRoute();
  const here = `/${r.parts[0] ?? ''}`;
  useEffect(() => {
    document.title = `Edict · ${t(NAV.find(([p]) => p === here)?.[1] ?? 'nav.overview')}`;
  }, [here]);
  return (
    <>
      <a class="skip" href="#main-content" onClick={(e) => (e.preventDefault(), document.getElementById('main-content')?.focus())}>
        {t('skip')}
      </a>
      <header class="top">
        <a class="brand" href="#/">
          Edict
        </a>
        <nav class="main" aria-label={t('nav.label')}>
          <ul>
            {NAV.map(([p, k]) => (
              <li key={p}>
                <a href={`#${p}`} aria-current={here === p ? 'page' : undefined}>
                  {t(k)}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="who">
          <LangPicker onLang={onLang} />
          <span data-testid="who">
            {s.name} · {t(`role.${s.role}`)}
          </span>
          <button type="button" onClick={onSignOut}>
            {t('signOut')}
          </button>
        </div>
      </header>
      <main id="main-content" tabIndex={-1}>
        <Content />
      </main>
    </>
  );
}

export function LangPicker({ onLang }: { onLang: (l: Lang) => void }) {
  return (
    <label>
      <span class="visually-hidden">{t('language')}</span>
      <select value={getLang()} onChange={(e) => onLang(e.currentTarget.value as Lang)} aria-label={t('language')}>
        {LANGS.map((l) => (
          <option key={l} value={l}>
            {l === 'en' ? 'English' : '简体中文'}
          </option>
        ))}
      </select>
    </label>
  );
}

function App() {
  const [s, setS] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>();
  const [lang, setL] = useState<Lang>(getLang());
  const apply = (x: Session | null) => {
    setSession(x);
    setCsrf(x?.csrfToken ?? null);
    setS(x);
  };
  useEffect(() => {
    api<Session>('GET', '/session').then(apply, (err) => (err instanceof ApiError && err.status === 401 ? apply(null) : setError(err)));
    const out = () => apply(null);
    window.addEventListener(SIGNED_OUT_EVENT, out);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, out);
  }, []);
  const onLang = (l: Lang) => {
    setLang(l);
    setL(l);
  };
  const signOut = async () => {
    try {
      await api('DELETE', '/session');
    } finally {
      apply(null);
    }
  };
  if (error) return <ErrorBox error={error} />;
  if (s === undefined) return <Loading />;
  return <div key={lang}>{s ? <Shell s={s} onSignOut={() => void signOut()} onLang={onLang} /> : <SignIn onSignedIn={apply} onLang={onLang} />}</div>;
}

render(<App />, document.getElementById('app')!);
