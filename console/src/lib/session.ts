// The admin token: pasted, or read from a one-time link's fragment
// (#token=...), kept in sessionStorage only and sent as a Bearer header.
// No cookies, so there is no ambient credential and no CSRF surface.
const kKey = 'beacon.token';

export type SignOutReason = 'expired' | 'unauthorized' | 'signedOut' | null;

let reason: SignOutReason = null;
const listeners = new Set<() => void>();

export function onSessionChange(f: () => void): () => void {
    listeners.add(f);
    return () => listeners.delete(f);
}

function notify() {
    listeners.forEach((f) => f());
}

// The claims of a JWT, unverified (the server verifies; this only reads exp).
export function tokenClaims(token: string): { exp?: number; sub?: string } | null {
    const parts = token.split('.');
    if (parts.length !== 3) {
        return null;
    }
    try {
        const json = atob(parts[1].replace(/-/g, '+').replace(/_/g, '/'));
        const claims = JSON.parse(json);
        return typeof claims === 'object' && claims !== null ? claims : null;
    } catch {
        return null;
    }
}

export function token(): string | null {
    const t = sessionStorage.getItem(kKey);
    if (t === null) {
        return null;
    }
    const exp = tokenClaims(t)?.exp;
    if (exp !== undefined && exp * 1000 <= Date.now()) {
        signOut('expired');
        return null;
    }
    return t;
}

export function signIn(t: string) {
    sessionStorage.setItem(kKey, t.trim());
    reason = null;
    scheduleExpiry();
    notify();
}

export function signOut(why: SignOutReason) {
    sessionStorage.removeItem(kKey);
    reason = why;
    notify();
}

export function signOutReason(): SignOutReason {
    return reason;
}

let timer: number | undefined;
function scheduleExpiry() {
    window.clearTimeout(timer);
    const t = sessionStorage.getItem(kKey);
    const exp = t ? tokenClaims(t)?.exp : undefined;
    if (exp !== undefined) {
        const ms = Math.max(0, exp * 1000 - Date.now());
        // setTimeout caps at 2^31-1 ms; a token of more than 24 days is checked on each request.
        if (ms < 2 ** 31 - 1) {
            timer = window.setTimeout(() => signOut('expired'), ms);
        }
    }
}

// Takes the token out of the address bar's fragment, if a one-time link
// carried one, before anything else runs.
export function takeTokenFromFragment() {
    const m = /(?:^#|&)token=([^&]+)/.exec(window.location.hash);
    if (m) {
        const t = decodeURIComponent(m[1]);
        history.replaceState(null, '', window.location.pathname + window.location.search);
        signIn(t);
    } else {
        scheduleExpiry();
    }
}
