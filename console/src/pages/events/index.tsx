// Events explorer: the listing's filters, cursor paging, and a row's
// properties as formatted JSON (text, never markup), times in the reporting
// time zone.
import { Fragment } from 'preact';
import { useState } from 'preact/hooks';
import { Empty, Loading, ProblemView, Tz, useAsync } from '../../components/common';
import { get, query } from '../../lib/api';
import { dateTime, num, t } from '../../lib/i18n';

interface EventRow {
    id: number;
    eventId: string | null;
    eventName: string;
    installId: string;
    userId: string | null;
    platform: string | null;
    appVersion: string | null;
    versionCode: number | null;
    region: string | null;
    sessionId: string | null;
    timestamp: string;
    receivedAt: string;
    properties: unknown;
}

interface Filters {
    eventName: string;
    userId: string;
    installId: string;
    from: string;
    to: string;
    limit: string;
}

const kEmpty: Filters = { eventName: '', userId: '', installId: '', from: '', to: '', limit: '50' };

// A datetime-local value ("2026-12-01T08:00") is taken in the browser's zone.
function iso(local: string): string | undefined {
    return local ? new Date(local).toISOString() : undefined;
}

export function Events() {
    const [draft, setDraft] = useState<Filters>(kEmpty);
    const [filters, setFilters] = useState<Filters>(kEmpty);
    // The cursors of the pages seen so far, so "previous" goes back exactly.
    const [cursors, setCursors] = useState<(string | null)[]>([null]);
    const [open, setOpen] = useState<number | null>(null);
    const cursor = cursors[cursors.length - 1];
    const list = useAsync(() => get<{ events: EventRow[]; nextCursor: string | null }>(`/admin/telemetry/events${query({
        eventName: filters.eventName, userId: filters.userId, installId: filters.installId,
        from: iso(filters.from), to: iso(filters.to), limit: filters.limit, cursor,
    })}`), [filters, cursor]);
    const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
    const apply = (e: Event) => {
        e.preventDefault();
        setFilters({ ...draft });
        setCursors([null]);
    };
    return (
        <main id="main">
            <h1>{t('nav.events')}</h1>
            <form onSubmit={apply} class="grid-form" aria-label={t('events.filters')}>
                <label>{t('events.eventName')}<input name="eventName" value={draft.eventName} onInput={set('eventName')} /></label>
                <label>{t('events.userId')}<input name="userId" value={draft.userId} onInput={set('userId')} /></label>
                <label>{t('events.installId')}<input name="installId" value={draft.installId} onInput={set('installId')} /></label>
                <label>{t('events.from')}<input name="from" type="datetime-local" value={draft.from} onInput={set('from')} /></label>
                <label>{t('events.to')}<input name="to" type="datetime-local" value={draft.to} onInput={set('to')} /></label>
                <label>{t('events.limit')}
                    <select name="limit" value={draft.limit} onChange={set('limit')}>
                        {['10', '50', '100', '500'].map((n) => <option key={n} value={n}>{num(Number(n))}</option>)}
                    </select>
                </label>
                <button type="submit">{t('events.apply')}</button>
                <button type="button" onClick={() => { setDraft(kEmpty); setFilters(kEmpty); setCursors([null]); }}>{t('events.clear')}</button>
            </form>
            {list.error !== undefined && <ProblemView error={list.error} />}
            {list.loading && !list.data && <Loading />}
            {list.data && (list.data.events.length === 0 ? <Empty>{t('events.empty')}</Empty> : (
                <>
                    <p class="help">{t('events.page', { page: cursors.length })} · <Tz /></p>
                    <div class="scroll">
                        <table data-testid="events">
                            <thead>
                                <tr>
                                    <th scope="col">{t('events.time')}</th>
                                    <th scope="col">{t('events.eventName')}</th>
                                    <th scope="col">{t('events.installId')}</th>
                                    <th scope="col">{t('events.userId')}</th>
                                    <th scope="col">{t('common.platform')}</th>
                                    <th scope="col">{t('events.version')}</th>
                                    <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.data.events.map((ev) => (
                                    <Fragment key={ev.id}>
                                        <tr data-event-id={ev.id}>
                                            <td>{dateTime(ev.timestamp)}</td>
                                            <td class="event-name">{ev.eventName}</td>
                                            <td>{ev.installId}</td>
                                            <td>{ev.userId ?? '–'}</td>
                                            <td>{ev.platform ?? '–'}</td>
                                            <td>{ev.appVersion ?? '–'}{ev.versionCode !== null ? ` (${ev.versionCode})` : ''}</td>
                                            <td>
                                                <button type="button" aria-expanded={open === ev.id}
                                                    onClick={() => setOpen(open === ev.id ? null : ev.id)}>
                                                    {t('events.properties')}
                                                </button>
                                            </td>
                                        </tr>
                                        {open === ev.id && (
                                            <tr>
                                                <td colSpan={7}>
                                                    <pre class="json" data-testid="properties">{JSON.stringify(ev.properties ?? {}, null, 2)}</pre>
                                                    <p class="help">{t('events.received', { time: dateTime(ev.receivedAt) })}</p>
                                                </td>
                                            </tr>
                                        )}
                                    </Fragment>
                                ))}
                            </tbody>
                        </table>
                    </div>
                    <div class="row" role="group" aria-label={t('events.paging')}>
                        <button type="button" disabled={cursors.length <= 1} onClick={() => setCursors(cursors.slice(0, -1))}>{t('events.previous')}</button>
                        <button type="button" disabled={!list.data.nextCursor}
                            onClick={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}>{t('events.next')}</button>
                    </div>
                </>
            ))}
        </main>
    );
}
