// Small building blocks every view uses: the hash router, form fields that show the server's
// message at the field (label, aria-invalid, aria-describedby), error boxes, state badges, a pager
// for cursor-paged lists, and a confirmation dialog (the native <dialog>).
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api.js';
import { t } from './i18n.js';

// ---------- routing (hash: #/devices?state=violating) ----------

export interface Route {
  parts: string[];
  query: Record<string, string>;
}

export function parseHash(hash = location.hash): Route {
  const h = hash.replace(/^#/, '') || '/';
  const [p, q = ''] = h.split('?');
  return { parts: p.split('/').filter(Boolean).map(decodeURIComponent), query: Object.fromEntries(new URLSearchParams(q)) };
}

export function href(path: string, query: Record<string, string | number | undefined | null> = {}): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export function navigate(path: string, query: Record<string, string | number | undefined | null> = {}): void {
  location.hash = href(path, query);
}

export function useRoute(): Route {
  const [r, setR] = useState(parseHash());
  useEffect(() => {
    const on = () => setR(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}

// ---------- data loading ----------

/** Loads with `fn` whenever `deps` change; `reload()` loads again. */
export function useLoad<T>(fn: () => Promise<T>, deps: unknown[]): { data?: T; error?: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [n, setN] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, loading: false }),
      (error) => live && setState({ error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, n]);
  return { ...state, reload: () => setN((x) => x + 1) };
}

// ---------- pieces ----------

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const msg = error instanceof ApiError ? `${error.message}` : String((error as Error)?.message ?? error);
  return (
    <div class="form-error" role="alert">
      {msg}
    </div>
  );
}

export function Loading() {
  return <p class="muted">{t('loading')}</p>;
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state}`}>{t(`state.${state}`)}</span>;
}

export function StageBadge({ stage }: { stage: string }) {
  return <span class="badge stage">{t(`stage.${stage}`)}</span>;
}

let fieldSeq = 0;
export function useId(prefix: string): string {
  const ref = useRef<string | undefined>(undefined);
  if (!ref.current) ref.current = `${prefix}-${++fieldSeq}`;
  return ref.current;
}

/** Props that tie a control to its label, hint and error. */
export function describe(id: string, error?: string, hint?: string): Record<string, string | boolean | undefined> {
  const by = [hint ? `${id}-hint` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ');
  return { id, 'aria-invalid': error ? 'true' : undefined, 'aria-describedby': by || undefined };
}

export function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string; hint?: string; children: ComponentChildren }) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {children}
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      {error && (
        <p class="error" id={`${id}-err`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** The messages a form could not place at one of its fields (and the error's own message). */
export function FormError({ error, shown }: { error: unknown; shown: string[] }) {
  if (!error) return null;
  if (!(error instanceof ApiError)) return <ErrorBox error={error} />;
  const rest = error.fields.filter((f) => !shown.some((p) => f.path === p || f.path.startsWith(p + '.')));
  return (
    <div class="form-error" role="alert">
      <p>{error.fields.length ? t('form.fix') : error.message}</p>
      {rest.length > 0 && (
        <ul>
          {rest.map((f) => (
            <li key={f.path}>
              <code>{f.path || '(body)'}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Pager({ next, onNext, onFirst, atFirst }: { next: string | null | undefined; onNext: () => void; onFirst: () => void; atFirst: boolean }) {
  return (
    <div class="pager">
      <button type="button" onClick={onFirst} disabled={atFirst}>
        {t('pager.first')}
      </button>
      <button type="button" onClick={onNext} disabled={!next}>
        {t('pager.next')}
      </button>
    </div>
  );
}

/** A modal dialog: open while `open` is true; Escape or Cancel calls onClose. */
export function Dialog({ open, title, onClose, children }: { open: boolean; title: string; onClose: () => void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId('dlg');
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose} onCancel={onClose}>
      <h2 id={titleId}>{title}</h2>
      {open && children}
    </dialog>
  );
}

export function Kv({ items }: { items: [string, ComponentChildren][] }) {
  return (
    <dl class="kv">
      {items.map(([k, v]) => [<dt key={`${k}-k`}>{k}</dt>, <dd key={`${k}-v`}>{v ?? '—'}</dd>])}
    </dl>
  );
}

