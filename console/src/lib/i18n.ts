// Messages and locale formatting. Every string the console shows comes from a
// catalog (i18n/en.json, i18n/zh.json: the same keys, compared by a test);
// numbers and dates are formatted with Intl for the chosen locale, and times
// in the server's reporting time zone, which is named beside them.
import en from '../i18n/en.json';
import zh from '../i18n/zh.json';

export type Lang = 'en' | 'zh-CN';
export type Key = keyof typeof en;

const catalogs: Record<Lang, Record<string, string>> = { en, 'zh-CN': zh };
const kLangKey = 'beacon.lang';

function initialLang(): Lang {
    const saved = localStorage.getItem(kLangKey);
    if (saved === 'en' || saved === 'zh-CN') {
        return saved;
    }
    const langs = navigator.languages?.length ? navigator.languages : [navigator.language];
    for (const l of langs) {
        const lower = (l ?? '').toLowerCase();
        if (lower.startsWith('zh')) {
            return 'zh-CN';
        }
        if (lower.startsWith('en')) {
            return 'en';
        }
    }
    return 'en';
}

let lang: Lang = initialLang();
let timeZone = 'UTC';
const listeners = new Set<() => void>();

export function onLangChange(f: () => void): () => void {
    listeners.add(f);
    return () => listeners.delete(f);
}

export function currentLang(): Lang {
    return lang;
}

export function setLang(l: Lang) {
    lang = l;
    localStorage.setItem(kLangKey, l);
    document.documentElement.lang = l;
    listeners.forEach((f) => f());
}

export function setTimeZone(tz: string) {
    try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        timeZone = tz;
    } catch {
        timeZone = 'UTC';
    }
}

export function reportingTimeZone(): string {
    return timeZone;
}

export function t(key: Key, vars: Record<string, string | number> = {}): string {
    const text = catalogs[lang][key] ?? catalogs.en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name: string) => {
        const v = vars[name];
        return v === undefined ? `{${name}}` : typeof v === 'number' ? num(v) : v;
    });
}

export function num(n: number | null | undefined, digits?: number): string {
    if (n === null || n === undefined) {
        return '–';
    }
    return new Intl.NumberFormat(lang, digits === undefined ? {} : { maximumFractionDigits: digits }).format(n);
}

export function pct(fraction: number | null | undefined, digits = 2): string {
    if (fraction === null || fraction === undefined) {
        return '–';
    }
    return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: digits }).format(fraction);
}

// A time in the reporting time zone ("3 Dec 2026, 19:20:05").
export function dateTime(iso: string | null | undefined): string {
    if (!iso) {
        return '–';
    }
    return new Intl.DateTimeFormat(lang, {
        timeZone,
        dateStyle: 'medium',
        timeStyle: 'medium',
    }).format(new Date(iso));
}

export function timeShort(iso: string): string {
    return new Intl.DateTimeFormat(lang, { timeZone, hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}

// A calendar day ("2026-11-25", already in the reporting time zone).
export function day(d: string, short = false): string {
    const [y, m, dd] = d.split('-').map(Number);
    return new Intl.DateTimeFormat(lang, {
        timeZone: 'UTC',
        ...(short ? { month: 'numeric', day: 'numeric' } : { dateStyle: 'medium' }),
    }).format(new Date(Date.UTC(y, m - 1, dd)));
}

// Today in the reporting time zone, as YYYY-MM-DD.
export function today(): string {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' })
        .formatToParts(new Date());
    const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
    return `${get('year')}-${get('month')}-${get('day')}`;
}

export function addDays(d: string, n: number): string {
    const [y, m, dd] = d.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, dd + n)).toISOString().slice(0, 10);
}
