// Versions: the catalog per platform and channel, upload (with progress) and
// create from the detected metadata, and one version's details.
import { useState } from 'preact/hooks';
import { Empty, Loading, ProblemView, useAsync } from '../../components/common';
import { call, get, query, upload } from '../../lib/api';
import { num, t } from '../../lib/i18n';
import { platformName } from '../overview';
import { VersionDetail } from './detail';
import { Detected, Version } from './types';

export function Versions() {
    const [platform, setPlatform] = useState('');
    const [channel, setChannel] = useState('');
    const [selected, setSelected] = useState<number | null>(null);
    const list = useAsync(
        () => get<{ versions: Version[] }>(`/admin/versions${query({ platform, channel, limit: 200 })}`),
        [platform, channel],
    );
    return (
        <main id="main">
            <h1>{t('nav.versions')}</h1>
            <UploadAndCreate onCreated={(v) => { list.reload(); setSelected(v.id); }} />
            <section aria-labelledby="list-h">
                <h2 id="list-h">{t('versions.list')}</h2>
                <div class="filters">
                    <label>
                        {t('common.platform')}
                        <select value={platform} onChange={(e) => setPlatform((e.target as HTMLSelectElement).value)}>
                            <option value="">{t('common.all')}</option>
                            <option value="android">{platformName('android')}</option>
                            <option value="ios">{platformName('ios')}</option>
                        </select>
                    </label>
                    <label>
                        {t('versions.channel')}
                        <input type="text" value={channel} placeholder="stable"
                            onChange={(e) => setChannel((e.target as HTMLInputElement).value.trim())} />
                    </label>
                </div>
                {list.error !== undefined && <ProblemView error={list.error} />}
                {list.loading && !list.data && <Loading />}
                {list.data && (list.data.versions.length === 0 ? <Empty>{t('versions.empty')}</Empty> : (
                    <div class="scroll">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col">{t('common.platform')}</th>
                                    <th scope="col">{t('versions.channel')}</th>
                                    <th scope="col">{t('versions.code')}</th>
                                    <th scope="col">{t('versions.name')}</th>
                                    <th scope="col">{t('versions.enabled')}</th>
                                    <th scope="col">{t('versions.rollout')}</th>
                                    <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.data.versions.map((v) => (
                                    <tr key={v.id} data-version-id={v.id} aria-selected={v.id === selected}>
                                        <td>{platformName(v.platform)}</td>
                                        <td>{v.channel}</td>
                                        <td class="n">{num(v.versionCode)}</td>
                                        <td>{v.versionName}</td>
                                        <td>{v.isEnabled ? t('common.yes') : t('common.no')}{v.isForceUpdate ? ` · ${t('versions.forced')}` : ''}</td>
                                        <td>{t('versions.percent', { percent: v.rolloutPercent })}{v.rolloutState ? ` · ${stateName(v.rolloutState)}` : ''}</td>
                                        <td>
                                            <button type="button" onClick={() => setSelected(v.id)}
                                                aria-label={t('versions.openLabel', { name: v.versionName, code: v.versionCode })}>
                                                {t('versions.open')}
                                            </button>
                                        </td>
                                    </tr>
                                ))}
                            </tbody>
                        </table>
                    </div>
                ))}
            </section>
            {selected !== null && (
                <VersionDetail key={selected} id={selected} onChanged={list.reload}
                    onDeleted={() => { setSelected(null); list.reload(); }} />
            )}
        </main>
    );
}

export function stateName(s: string): string {
    switch (s) {
        case 'running': return t('rollout.state.running');
        case 'paused': return t('rollout.state.paused');
        case 'halted': return t('rollout.state.halted');
        case 'completed': return t('rollout.state.completed');
        default: return s;
    }
}

function UploadAndCreate(props: { onCreated: (v: Version) => void }) {
    const [file, setFile] = useState<File | null>(null);
    const [progress, setProgress] = useState<number | null>(null);
    const [error, setError] = useState<unknown>(undefined);
    const [form, setForm] = useState({
        platform: 'android', channel: 'stable', versionCode: '', versionName: '', changelog: '',
        artifactKey: '', externalUrl: '', isEnabled: true,
    });
    const [detected, setDetected] = useState<Detected | null>(null);
    const [created, setCreated] = useState<Version | null>(null);
    const set = (k: keyof typeof form) => (e: Event) => {
        const el = e.target as HTMLInputElement;
        setForm({ ...form, [k]: el.type === 'checkbox' ? el.checked : el.value });
    };
    const doUpload = async (e: Event) => {
        e.preventDefault();
        if (!file) {
            return;
        }
        setError(undefined);
        setProgress(0);
        try {
            const a = await upload<{ artifact: { key: string }; detected: Detected | null }>(file, setProgress);
            const d = a.data.detected;
            setDetected(d);
            setForm({
                ...form,
                artifactKey: a.data.artifact.key,
                externalUrl: '',
                platform: d?.platform === 'ios' ? 'ios' : d?.platform === 'android' ? 'android' : form.platform,
                versionCode: d?.versionCode !== null && d?.versionCode !== undefined ? String(d.versionCode) : form.versionCode,
                versionName: d?.versionName ?? form.versionName,
            });
        } catch (err) {
            setError(err);
            setProgress(null);
        }
    };
    const create = async (e: Event) => {
        e.preventDefault();
        setError(undefined);
        const body: Record<string, unknown> = {
            platform: form.platform, channel: form.channel || 'stable',
            versionCode: Number(form.versionCode), versionName: form.versionName, isEnabled: form.isEnabled,
        };
        if (form.changelog) body.changelog = form.changelog;
        if (form.artifactKey) body.artifactKey = form.artifactKey;
        else if (form.externalUrl) body.externalUrl = form.externalUrl;
        try {
            const v = (await call<Version>('POST', '/admin/versions', { body })).data;
            setCreated(v);
            setDetected(null);
            setProgress(null);
            setForm({ ...form, versionCode: '', versionName: '', changelog: '', artifactKey: '', externalUrl: '' });
            props.onCreated(v);
        } catch (err) {
            setError(err);
        }
    };
    return (
        <section aria-labelledby="new-h">
            <h2 id="new-h">{t('versions.new')}</h2>
            <form onSubmit={doUpload} class="row">
                <label>
                    {t('versions.file')}
                    <input type="file" accept=".apk,.ipa" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
                </label>
                <button type="submit" disabled={!file}>{t('versions.upload')}</button>
                {progress !== null && (
                    <label>
                        {t('versions.progress')}
                        <progress max={1} value={progress} />
                        <span>{Math.round(progress * 100)} %</span>
                    </label>
                )}
            </form>
            {detected && (
                <p class="notice" role="status" data-testid="detected">
                    {t('versions.detected', {
                        packageName: detected.packageName ?? '–',
                        code: detected.versionCode ?? '–',
                        name: detected.versionName ?? '–',
                        minOs: detected.minOsVersion ?? '–',
                    })}
                </p>
            )}
            <form onSubmit={create} class="grid-form" aria-label={t('versions.createForm')}>
                <label>{t('common.platform')}
                    <select value={form.platform} onChange={set('platform')}>
                        <option value="android">{platformName('android')}</option>
                        <option value="ios">{platformName('ios')}</option>
                    </select>
                </label>
                <label>{t('versions.channel')}<input name="channel" value={form.channel} onInput={set('channel')} /></label>
                <label>{t('versions.code')}<input name="versionCode" inputMode="numeric" required value={form.versionCode} onInput={set('versionCode')} /></label>
                <label>{t('versions.name')}<input name="versionName" required value={form.versionName} onInput={set('versionName')} /></label>
                <label>{t('versions.artifactKey')}<input name="artifactKey" value={form.artifactKey} onInput={set('artifactKey')} /></label>
                <label>{t('versions.externalUrl')}<input name="externalUrl" type="url" value={form.externalUrl} onInput={set('externalUrl')} /></label>
                <label class="wide">{t('versions.changelog')}<textarea name="changelog" rows={2} value={form.changelog} onInput={set('changelog')} /></label>
                <label class="check"><input type="checkbox" checked={form.isEnabled} onChange={set('isEnabled')} />{t('versions.enabled')}</label>
                <button type="submit">{t('versions.create')}</button>
            </form>
            {error !== undefined && <ProblemView error={error} />}
            {created && <p class="notice" role="status">{t('versions.created', { name: created.versionName, code: created.versionCode })}</p>}
        </section>
    );
}
