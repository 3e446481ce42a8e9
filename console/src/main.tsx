// The console's shell: sign-in or the page of the address, a navigation
// landmark with one item per page, the language switch and sign-out.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { Lang, currentLang, onLangChange, setLang, t } from './lib/i18n';
import { Page, currentPage, kPages, navigate, onNavigate, pageHref } from './lib/router';
import { onSessionChange, signOut, takeTokenFromFragment, token } from './lib/session';
import { Audience } from './pages/audience';
import { Events } from './pages/events';
import { Jobs } from './pages/jobs';
import { Overview } from './pages/overview';
import { SignIn } from './pages/signin';
import { Versions } from './pages/versions';
import './styles.css';

// Before anything renders: a one-time link's token leaves the address bar.
takeTokenFromFragment();
document.documentElement.lang = currentLang();

const kNames: Record<Page, 'nav.overview' | 'nav.audience' | 'nav.versions' | 'nav.events' | 'nav.jobs'> = {
    overview: 'nav.overview',
    audience: 'nav.audience',
    versions: 'nav.versions',
    events: 'nav.events',
    jobs: 'nav.jobs',
};

function useRerender(subscribe: (f: () => void) => () => void) {
    const [, set] = useState(0);
    useEffect(() => subscribe(() => set((n) => n + 1)), []);
}

function LangSwitch() {
    return (
        <label class="lang">
            <span>{t('app.language')}</span>
            <select value={currentLang()} onChange={(e) => setLang((e.target as HTMLSelectElement).value as Lang)}>
                <option value="en" lang="en">English</option>
                <option value="zh-CN" lang="zh-CN">简体中文</option>
            </select>
        </label>
    );
}

function App() {
    useRerender(onLangChange);
    useRerender(onSessionChange);
    useRerender(onNavigate);
    const page = currentPage();
    useEffect(() => {
        document.title = page ? `${t(kNames[page])} · Beacon` : 'Beacon';
    });
    const signedIn = token() !== null;
    return (
        <>
            <a class="skip" href="#main">{t('app.skip')}</a>
            <header class="top">
                <span class="brand">{t('app.name')}</span>
                {signedIn && (
                    <nav aria-label={t('app.pages')}>
                        <ul>
                            {kPages.map((p) => (
                                <li key={p}>
                                    <a href={pageHref(p)} aria-current={p === page ? 'page' : undefined}
                                        onClick={(e) => { e.preventDefault(); navigate(p); }}>
                                        {t(kNames[p])}
                                    </a>
                                </li>
                            ))}
                        </ul>
                    </nav>
                )}
                <div class="tools">
                    <LangSwitch />
                    {signedIn && <button type="button" onClick={() => signOut('signedOut')}>{t('app.signOut')}</button>}
                </div>
            </header>
            {!signedIn ? <SignIn /> : page === null ? (
                <main id="main">
                    <h1>{t('app.notFound')}</h1>
                    <p><a href={pageHref('overview')}>{t('app.toOverview')}</a></p>
                </main>
            ) : page === 'overview' ? <Overview /> : page === 'audience' ? <Audience />
                : page === 'versions' ? <Versions /> : page === 'events' ? <Events /> : <Jobs />}
        </>
    );
}

render(<App />, document.getElementById('app')!);
