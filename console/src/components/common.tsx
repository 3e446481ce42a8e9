// Small pieces every page uses: problem documents as readable messages, the
// loading and empty states, the reporting time zone label, and a data hook.
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, Problem } from '../lib/api';
import { reportingTimeZone, t } from '../lib/i18n';

export function problemOf(e: unknown): Problem {
    if (e instanceof ApiError) {
        return e.problem;
    }
    return { status: 0, detail: String(e) };
}

export function ProblemView(props: { error: unknown }) {
    const p = problemOf(props.error);
    return (
        <div class="problem" role="alert">
            <p>
                <strong>{p.status === 0 ? t('problem.network') : t('problem.status', { status: String(p.status) })}</strong>{' '}
                {p.title ?? ''}
            </p>
            {p.detail && <p>{p.detail}</p>}
            {p.errors && p.errors.length > 0 && (
                <ul>
                    {p.errors.map((e, i) => (
                        <li key={i}>
                            <code>{e.field}</code>: {e.message}
                        </li>
                    ))}
                </ul>
            )}
        </div>
    );
}

export function Empty(props: { children: preact.ComponentChildren }) {
    return <p class="empty">{props.children}</p>;
}

export function Loading() {
    return <p class="loading" aria-live="polite">{t('common.loading')}</p>;
}

export function Tz() {
    return <span class="tz">{t('common.timezone', { tz: reportingTimeZone() })}</span>;
}

export interface Async<T> {
    data: T | undefined;
    error: unknown;
    loading: boolean;
    reload: () => void;
}

// Loads `load()` when `deps` change (and on reload), every `pollMs` if given.
// New deps drop the old data at once (rows of the previous filter or page
// never show under the new one); a reload or a poll keeps it until the
// answer comes.
export function useAsync<T>(load: () => Promise<T>, deps: unknown[], pollMs?: number): Async<T> {
    const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
    const [tick, setTick] = useState(0);
    const key = JSON.stringify(deps);
    const lastKey = useRef(key);
    useEffect(() => {
        if (lastKey.current !== key) {
            lastKey.current = key;
            setState({ loading: true });
        }
        let live = true;
        const run = () =>
            load().then(
                (data) => live && setState({ data, loading: false }),
                (error) => live && setState((s) => ({ data: s.data, error, loading: false })),
            );
        run();
        const timer = pollMs ? window.setInterval(run, pollMs) : undefined;
        return () => {
            live = false;
            window.clearInterval(timer);
        };
    }, [...deps, tick]);
    return { data: state.data, error: state.error, loading: state.loading, reload: () => setTick((n) => n + 1) };
}
