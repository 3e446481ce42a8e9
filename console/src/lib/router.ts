// Pages under /console/, each with its own address (the server answers every
// extension-less path below /console/ with index.html, so a deep link or a
// reload lands on the same page).
export type Page = 'overview' | 'audience' | 'versions' | 'events' | 'jobs';
export const kPages: Page[] = ['overview', 'audience', 'versions', 'events', 'jobs'];

const listeners = new Set<() => void>();

export function currentPage(): Page | null {
    const rest = window.location.pathname.replace(/^\/console\/?/, '').replace(/\/$/, '');
    if (rest === '') {
        return 'overview';
    }
    return (kPages as string[]).includes(rest) ? (rest as Page) : null;
}

export function pageHref(p: Page): string {
    return p === 'overview' ? '/console/' : `/console/${p}`;
}

export function navigate(p: Page) {
    history.pushState(null, '', pageHref(p));
    listeners.forEach((f) => f());
}

export function onNavigate(f: () => void): () => void {
    listeners.add(f);
    const pop = () => f();
    window.addEventListener('popstate', pop);
    return () => {
        listeners.delete(f);
        window.removeEventListener('popstate', pop);
    };
}
