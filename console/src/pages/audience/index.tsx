// Audience by version: online and DAU per version, how many actors are
// below a chosen version, and a version's adoption curve.
import { useState } from 'preact/hooks';
import { LineChart } from '../../components/charts';
import { Empty, Loading, ProblemView, Tz, useAsync } from '../../components/common';
import { get, query } from '../../lib/api';
import { dateTime, num, pct, t } from '../../lib/i18n';
import { kPlatforms, platformName } from '../overview';
import { Version } from '../versions/types';

interface VersionRow {
    versionCode: number | null;
    versionName: string | null;
    online: number;
    dauApprox: number;
}

interface Below {
    actors: number;
    below: number;
    share: number;
    unknown: number;
}

export function Audience() {
    const [platform, setPlatform] = useState('android');
    const versions = useAsync(() => get<{ online: number; dauApprox: number; versions: VersionRow[]; at: string }>(
        `/admin/telemetry/versions${query({ platform })}`), [platform]);
    const catalog = useAsync(() => get<{ versions: Version[] }>(`/admin/versions${query({ platform, limit: 200 })}`), [platform]);
    const [code, setCode] = useState('');
    const [days, setDays] = useState('7');
    const below = useAsync(() => (code === '' ? Promise.resolve(null) : get<Below>(
        `/admin/telemetry/versions/below${query({ platform, versionCode: code, days })}`)), [platform, code, days]);
    const [adoptId, setAdoptId] = useState('');
    const adoption = useAsync(() => (adoptId === '' ? Promise.resolve(null) : get<{ points: { at: string; installs: number; share: number }[] }>(
        `/admin/versions/${adoptId}/adoption${query({ interval: '1h' })}`)), [adoptId]);
    const codes = Array.from(new Set([
        ...(catalog.data?.versions.map((v) => v.versionCode) ?? []),
        ...(versions.data?.versions.map((v) => v.versionCode).filter((c): c is number => c !== null) ?? []),
    ])).sort((a, b) => b - a);
    return (
        <main id="main">
            <h1>{t('nav.audience')}</h1>
            <label>{t('common.platform')}
                <select value={platform} onChange={(e) => { setPlatform((e.target as HTMLSelectElement).value); setCode(''); setAdoptId(''); }}>
                    {kPlatforms.filter((p) => p !== 'unknown').map((p) => <option key={p} value={p}>{platformName(p)}</option>)}
                </select>
            </label>
            <section aria-labelledby="per-h">
                <h2 id="per-h">{t('audience.perVersion')}</h2>
                {versions.error !== undefined && <ProblemView error={versions.error} />}
                {versions.loading && !versions.data && <Loading />}
                {versions.data && (versions.data.versions.length === 0 ? <Empty>{t('audience.empty')}</Empty> : (
                    <div class="scroll">
                        <table data-testid="audience-versions">
                            <caption>{t('audience.totals', { online: versions.data.online, dau: versions.data.dauApprox, time: dateTime(versions.data.at) })} <Tz /></caption>
                            <thead>
                                <tr>
                                    <th scope="col">{t('versions.code')}</th>
                                    <th scope="col">{t('versions.name')}</th>
                                    <th scope="col">{t('audience.online')}</th>
                                    <th scope="col">{t('audience.dau')}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {versions.data.versions.map((v) => (
                                    <tr key={String(v.versionCode)}>
                                        <td class="n">{v.versionCode === null ? t('audience.noCode') : num(v.versionCode)}</td>
                                        <td>{v.versionName ?? '–'}</td>
                                        <td class="n">{num(v.online)}</td>
                                        <td class="n">{num(v.dauApprox)}</td>
                                    </tr>
                                ))}
                            </tbody>
                        </table>
                    </div>
                ))}
            </section>
            <section aria-labelledby="below-h">
                <h2 id="below-h">{t('audience.below')}</h2>
                <div class="row">
                    <label>{t('audience.belowVersion')}
                        <select value={code} onChange={(e) => setCode((e.target as HTMLSelectElement).value)}>
                            <option value="">{t('audience.choose')}</option>
                            {codes.map((c) => <option key={c} value={String(c)}>{num(c)}</option>)}
                        </select>
                    </label>
                    <label>{t('audience.days')}
                        <select value={days} onChange={(e) => setDays((e.target as HTMLSelectElement).value)}>
                            {['1', '7', '30', '90'].map((d) => <option key={d} value={d}>{t('audience.lastDays', { days: Number(d) })}</option>)}
                        </select>
                    </label>
                </div>
                {below.error !== undefined && <ProblemView error={below.error} />}
                {code === '' && <Empty>{t('audience.chooseHint')}</Empty>}
                {below.data && (
                    <p data-testid="below">{t('audience.belowResult', {
                        below: below.data.below, actors: below.data.actors, share: pct(below.data.share), unknown: below.data.unknown,
                    })}</p>
                )}
            </section>
            <section aria-labelledby="adopt-h">
                <h2 id="adopt-h">{t('audience.adoption')} <Tz /></h2>
                <label>{t('audience.adoptionVersion')}
                    <select value={adoptId} onChange={(e) => setAdoptId((e.target as HTMLSelectElement).value)}>
                        <option value="">{t('audience.choose')}</option>
                        {(catalog.data?.versions ?? []).map((v) => (
                            <option key={v.id} value={String(v.id)}>{`${v.versionName} (${v.versionCode}, ${v.channel})`}</option>
                        ))}
                    </select>
                </label>
                {adoption.error !== undefined && <ProblemView error={adoption.error} />}
                {adoptId === '' && <Empty>{t('audience.adoptionHint')}</Empty>}
                {adoption.data && (adoption.data.points.length === 0 ? <Empty>{t('audience.adoptionEmpty')}</Empty> : (
                    <LineChart id="adoption" label={t('audience.adoption')}
                        points={adoption.data.points.map((p) => ({ x: Date.parse(p.at), y: p.share * 100 }))}
                        xLabel={(x) => dateTime(new Date(x).toISOString())} />
                ))}
            </section>
        </main>
    );
}
