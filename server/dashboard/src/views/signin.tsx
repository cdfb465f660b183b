// Sign in: paste an API token (admin, auditor or helpdesk); the server trades it for a session
// cookie the page cannot read, and the token is dropped from the page at once.
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { t, type Lang } from '../i18n.js';
import { LangPicker } from '../main.js';
import type { Session } from '../session.js';
import { describe, Field } from '../ui.js';

export function SignIn({ onSignedIn, onLang }: { onSignedIn: (s: Session) => void; onLang: (l: Lang) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await api<Session>('POST', '/session', { token });
      setToken('');
      onSignedIn(s);
    } catch (err) {
      setError(err instanceof ApiError ? (err.code === 'EDICT_ERR_VALIDATION' ? t('signin.empty') : t(`signin.${err.code}`, {}, err.message)) : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <main class="signin" id="main-content">
      <div class="row">
        <h1 class="grow">{t('signin.title')}</h1>
        <LangPicker onLang={onLang} />
      </div>
      <p class="muted">{t('signin.intro')}</p>
      <form onSubmit={submit} noValidate>
        <Field id="token" label={t('signin.token')} error={error} hint={t('signin.hint')}>
          <input type="password" autoComplete="off" size={48} value={token} onInput={(e) => setToken(e.currentTarget.value)} {...describe('token', error, t('signin.hint'))} />
        </Field>
        <button class="primary" type="submit" disabled={busy}>
          {t('signin.submit')}
        </button>
      </form>
    </main>
  );
}
