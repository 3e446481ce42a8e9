// Overview: online now (polled), online history with a range picker, DAU by
// day stacked by platform (exact days and estimates told apart), today's
// estimate with its error bar, and the daily peaks.
import { useState } from 'preact/hooks';
import { BarChart, Legend, LineChart } from '../../components/charts';
import { Empty, Loading, ProblemView, Tz, useAsync } from '../../components/common';
import { get, query } from '../../lib/api';
import { addDays, day, dateTime, num, setTimeZone, t, timeShort, today } from '../../lib/i18n';

export interface Realtime {
    online: number;
    windowSeconds: number;
    day: string;
    timezone: string;
    dauApprox: number;
    dauApproxByPlatform: Record<string, number>;
    at: string;
}
interface DauDay {
    day: string;
    dau: number;
    exact: boolean;
    byPlatform: Record<string, number>;
}
interface HistoryPoint {
    at: string;
    avg: number;
    min: number;
    max: number;
}
interface Peak {
    day: string;
    peak: number;
    at: string;
}

// HyperLogLog with 2^14 registers: standard error 1.04 / sqrt(16384) = 0.81%;
// the bar shows two standard errors (about 95%).
const kHllStdError = 1.04 / Math.sqrt(16384);
export const kPlatforms = ['android', 'ios', 'web', 'desktop', 'other', 'unknown'];

const kRanges = [
    { key: 'range.6h', hours: 6, interval: '1m' },
    { key: 'range.24h', hours: 24, interval: '5m' },
    { key: 'range.7d', hours: 24 * 7, interval: '1h' },
] as const;

export function Overview() {
    const realtime = useAsync(() => get<Realtime>('/admin/telemetry/realtime').then((r) => {
        setTimeZone(r.timezone);
        return r;
    }), [], 5000);
    const [range, setRange] = useState(1);
    const r = kRanges[range];
    const history = useAsync(() => {
        const to = new Date();
        const from = new Date(to.getTime() - r.hours * 3600_000);
        return get<{ points: HistoryPoint[] }>(`/admin/telemetry/online/history${query({
            interval: r.interval, from: from.toISOString(), to: to.toISOString(),
        })}`);
    }, [range]);
    const to = today();
    const from = addDays(to, -29);
    const dau = useAsync(() => get<{ timezone: string; days: DauDay[] }>(`/admin/telemetry/dau${query({ from, to })}`), [from, to]);
    const peaks = useAsync(() => get<{ days: Peak[] }>(`/admin/telemetry/online/peaks${query({ from, to })}`), [from, to]);

    return (
        <main id="main">
            <h1>{t('nav.overview')}</h1>
            <section aria-labelledby="now-h" class="cards">
                <h2 id="now-h" class="visually-hidden">{t('overview.now')}</h2>
                {realtime.error !== undefined && <ProblemView error={realtime.error} />}
                {realtime.data ? (
                    <>
                        <div class="card">
                            <div class="card-label">{t('overview.onlineNow')}</div>
                            <div class="card-value" data-testid="online-now">{num(realtime.data.online)}</div>
                            <div class="card-note">
                                {t('overview.window', { seconds: realtime.data.windowSeconds })} · {t('overview.updated', { time: dateTime(realtime.data.at) })} <Tz />
                            </div>
                        </div>
                        <div class="card">
                            <div class="card-label">{t('overview.todayEstimate', { day: day(realtime.data.day) })}</div>
                            <div class="card-value" data-testid="dau-today">
                                {t('overview.estimateValue', {
                                    value: num(realtime.data.dauApprox),
                                    error: num(Math.ceil(2 * kHllStdError * realtime.data.dauApprox)),
                                })}
                            </div>
                            <div class="card-note">{t('overview.estimateNote')} <Tz /></div>
                        </div>
                    </>
                ) : realtime.loading && <Loading />}
            </section>

            <section aria-labelledby="hist-h">
                <h2 id="hist-h">{t('overview.history')} <Tz /></h2>
                <div role="group" aria-label={t('overview.range')} class="segmented">
                    {kRanges.map((x, i) => (
                        <button type="button" key={x.key} aria-pressed={i === range} onClick={() => setRange(i)}>{t(x.key)}</button>
                    ))}
                </div>
                {history.error !== undefined && <ProblemView error={history.error} />}
                {history.data && (history.data.points.length === 0 ? (
                    <Empty>{t('overview.historyEmpty')}</Empty>
                ) : (
                    <LineChart id="online-history" label={t('overview.history')}
                        points={history.data.points.map((p) => ({ x: Date.parse(p.at), y: p.avg }))}
                        xLabel={(x) => (r.hours > 24 ? dateTime(new Date(x).toISOString()) : timeShort(new Date(x).toISOString()))} />
                ))}
            </section>

            <section aria-labelledby="dau-h">
                <h2 id="dau-h">{t('overview.dau')} <Tz /></h2>
                {dau.error !== undefined && <ProblemView error={dau.error} />}
                {dau.data && (dau.data.days.length === 0 ? <Empty>{t('overview.dauEmpty')}</Empty> : (
                    <DauChart days={dau.data.days} />
                ))}
            </section>

            <section aria-labelledby="peaks-h">
                <h2 id="peaks-h">{t('overview.peaks')} <Tz /></h2>
                {peaks.error !== undefined && <ProblemView error={peaks.error} />}
                {peaks.data && (peaks.data.days.length === 0 ? <Empty>{t('overview.peaksEmpty')}</Empty> : (
                    <BarChart id="peaks" label={t('overview.peaks')} bars={peaks.data.days.map((p) => ({
                        label: day(p.day, true),
                        title: t('overview.peakTitle', { day: day(p.day), peak: num(p.peak), time: dateTime(p.at) }),
                        segments: [{ series: 0, value: p.peak }],
                    }))} />
                ))}
            </section>
        </main>
    );
}

function DauChart(props: { days: DauDay[] }) {
    const used = kPlatforms.filter((p) => props.days.some((d) => (d.byPlatform[p] ?? 0) > 0));
    const series = (p: string) => kPlatforms.indexOf(p);
    return (
        <>
            <BarChart id="dau" label={t('overview.dau')} bars={props.days.map((d) => ({
                label: day(d.day, true),
                title: t(d.exact ? 'overview.dauTitleExact' : 'overview.dauTitleEstimate', { day: day(d.day), dau: num(d.dau) }),
                estimate: !d.exact,
                error: d.exact ? undefined : Math.ceil(2 * kHllStdError * d.dau),
                segments: used.length
                    ? used.map((p) => ({ series: series(p), value: d.byPlatform[p] ?? 0 }))
                    : [{ series: 0, value: d.dau }],
            }))} />
            <Legend items={[
                ...used.map((p) => ({ series: series(p), label: platformName(p) })),
            ]} />
            <p class="help"><span class="swatch estimate-swatch" aria-hidden="true" /> {t('overview.estimateLegend')}</p>
            <table class="compact">
                <caption class="visually-hidden">{t('overview.dau')}</caption>
                <thead><tr><th scope="col">{t('common.day')}</th><th scope="col">{t('overview.dauShort')}</th><th scope="col">{t('overview.kind')}</th></tr></thead>
                <tbody>
                    {props.days.slice(-7).reverse().map((d) => (
                        <tr key={d.day}>
                            <td>{day(d.day)}</td>
                            <td class="n">{num(d.dau)}</td>
                            <td>{d.exact ? t('overview.exact') : t('overview.estimate')}</td>
                        </tr>
                    ))}
                </tbody>
            </table>
        </>
    );
}

export function platformName(p: string): string {
    switch (p) {
        case 'android': return t('platform.android');
        case 'ios': return t('platform.ios');
        case 'web': return t('platform.web');
        case 'desktop': return t('platform.desktop');
        case 'other': return t('platform.other');
        default: return t('platform.unknown');
    }
}
