// One version: edit (If-Match, a 412 shows what changed and lets the user
// reapply), toggle, force, rollout slider, rollout plan with its state, next
// step and decisions, release health against the control, delete, and the
// update-check URL to copy.
import { useEffect, useState } from 'preact/hooks';
import { Empty, Loading, ProblemView, Tz, problemOf, useAsync } from '../../components/common';
import { call, get } from '../../lib/api';
import { dateTime, num, pct, t } from '../../lib/i18n';
import { platformName } from '../overview';
import { stateName } from './index';
import { Health, HealthSide, Rollout, RolloutPlan, Version } from './types';

interface Loaded {
    version: Version;
    etag: string | null;
}

const kEditable = ['versionName', 'changelog', 'isForceUpdate', 'minSupportedVersionCode', 'forceAfterDays', 'rolloutPercent'] as const;
type Editable = (typeof kEditable)[number];
type Edits = Partial<Record<Editable, unknown>>;

export function VersionDetail(props: { id: number; onChanged: () => void; onDeleted: () => void }) {
    const [loaded, setLoaded] = useState<Loaded | null>(null);
    const [error, setError] = useState<unknown>(undefined);
    const [notice, setNotice] = useState('');
    const load = async () => {
        try {
            const a = await call<Version>('GET', `/admin/versions/${props.id}`);
            setLoaded({ version: a.data, etag: a.etag });
        } catch (e) {
            setError(e);
        }
    };
    useEffect(() => { load(); }, [props.id]);
    if (!loaded) {
        return error !== undefined ? <ProblemView error={error} /> : <Loading />;
    }
    const v = loaded.version;
    const changed = (next: Loaded, message: string) => {
        setLoaded(next);
        setNotice(message);
        setError(undefined);
        props.onChanged();
    };
    const toggle = async () => {
        try {
            const a = await call<Version>('POST', `/admin/versions/${v.id}/toggle`, { ifMatch: loaded.etag });
            changed({ version: a.data, etag: a.etag }, a.data.isEnabled ? t('detail.enabledNow') : t('detail.disabledNow'));
        } catch (e) {
            setError(e);
            if (problemOf(e).status === 412) {
                load();
            }
        }
    };
    return (
        <section aria-labelledby="detail-h" class="detail" data-testid="version-detail">
            <h2 id="detail-h">
                {t('detail.title', { platform: platformName(v.platform), channel: v.channel, name: v.versionName, code: v.versionCode })}
            </h2>
            <p>
                {t('detail.state', {
                    enabled: v.isEnabled ? t('common.yes') : t('common.no'),
                    percent: v.rolloutPercent,
                    revision: v.revision,
                })}{' '}
                {v.rolloutState && <strong data-testid="rollout-state">{stateName(v.rolloutState)}</strong>}
            </p>
            <div class="row">
                <button type="button" onClick={toggle}>{v.isEnabled ? t('detail.disable') : t('detail.enable')}</button>
                <CheckUrl v={v} />
            </div>
            {notice && <p class="notice" role="status">{notice}</p>}
            {error !== undefined && <ProblemView error={error} />}
            <EditForm loaded={loaded} onSaved={(l) => changed(l, t('detail.saved'))} reload={load} />
            <RolloutPanel v={v} etag={loaded.etag} onChanged={() => { load(); props.onChanged(); }} />
            <HealthPanel id={v.id} />
            <DeleteVersion v={v} etag={loaded.etag} onDeleted={props.onDeleted} />
        </section>
    );
}

function CheckUrl(props: { v: Version }) {
    const { v } = props;
    const url = `${window.location.origin}/app/version/check?platform=${v.platform}&channel=${encodeURIComponent(v.channel)}&current_version_code=${Math.max(0, v.versionCode - 1)}`;
    const [copied, setCopied] = useState(false);
    return (
        <span class="row">
            <label>{t('detail.checkUrl')}
                <input type="text" readOnly value={url} data-testid="check-url" size={40} />
            </label>
            <button type="button" onClick={() => navigator.clipboard?.writeText(url).then(() => setCopied(true), () => setCopied(false))}>
                {t('detail.copy')}
            </button>
            {copied && <span role="status">{t('detail.copied')}</span>}
        </span>
    );
}

function formOf(v: Version): Record<Editable, string | boolean> {
    return {
        versionName: v.versionName,
        changelog: v.changelog ?? '',
        isForceUpdate: v.isForceUpdate,
        minSupportedVersionCode: v.minSupportedVersionCode === null ? '' : String(v.minSupportedVersionCode),
        forceAfterDays: v.forceAfterDays === null ? '' : String(v.forceAfterDays),
        rolloutPercent: String(v.rolloutPercent),
    };
}

function toBody(form: Record<Editable, string | boolean>, base: Record<Editable, string | boolean>, planned: boolean): Edits {
    const out: Edits = {};
    for (const k of kEditable) {
        if (form[k] === base[k] || (k === 'rolloutPercent' && planned)) {
            continue;
        }
        const val = form[k];
        if (k === 'minSupportedVersionCode' || k === 'forceAfterDays' || k === 'rolloutPercent') {
            out[k] = val === '' ? null : Number(val);
        } else if (k === 'changelog') {
            out[k] = val === '' ? null : val;
        } else {
            out[k] = val;
        }
    }
    return out;
}

function shown(v: unknown): string {
    if (v === null || v === undefined || v === '') return '–';
    if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
    return String(v);
}

function EditForm(props: { loaded: Loaded; onSaved: (l: Loaded) => void; reload: () => void }) {
    const { version } = props.loaded;
    const base = formOf(version);
    const [form, setForm] = useState(base);
    const [error, setError] = useState<unknown>(undefined);
    const [conflict, setConflict] = useState<{ theirs: Loaded; mine: Edits; changes: { field: Editable; was: unknown; now: unknown }[] } | null>(null);
    useEffect(() => { setForm(formOf(version)); }, [version.revision]);
    const planned = version.rolloutPlan !== null && version.rolloutState === 'running';
    const set = (k: Editable) => (e: Event) => {
        const el = e.target as HTMLInputElement;
        setForm({ ...form, [k]: el.type === 'checkbox' ? el.checked : el.value });
    };
    const save = async (edits: Edits, etag: string | null) => {
        setError(undefined);
        try {
            const a = await call<Version>('PATCH', `/admin/versions/${version.id}`, { body: edits, ifMatch: etag });
            setConflict(null);
            props.onSaved({ version: a.data, etag: a.etag });
        } catch (e) {
            if (problemOf(e).status === 412) {
                const a = await call<Version>('GET', `/admin/versions/${version.id}`);
                const theirs = formOf(a.data);
                const changes = kEditable.filter((k) => theirs[k] !== base[k]).map((k) => ({ field: k, was: base[k], now: theirs[k] }));
                setConflict({ theirs: { version: a.data, etag: a.etag }, mine: edits, changes });
            } else {
                setError(e);
            }
        }
    };
    const submit = (e: Event) => {
        e.preventDefault();
        save(toBody(form, base, planned), props.loaded.etag);
    };
    return (
        <form onSubmit={submit} class="grid-form" aria-labelledby="edit-h">
            <h3 id="edit-h" class="wide">{t('detail.edit')}</h3>
            <label>{t('versions.name')}<input name="versionName" value={form.versionName as string} onInput={set('versionName')} /></label>
            <label>{t('detail.minSupported')}<input name="minSupportedVersionCode" inputMode="numeric" value={form.minSupportedVersionCode as string} onInput={set('minSupportedVersionCode')} /></label>
            <label>{t('detail.forceAfterDays')}<input name="forceAfterDays" inputMode="numeric" value={form.forceAfterDays as string} onInput={set('forceAfterDays')} /></label>
            <label class="check"><input type="checkbox" name="isForceUpdate" checked={form.isForceUpdate as boolean} onChange={set('isForceUpdate')} />{t('detail.force')}</label>
            <label class="wide">{t('detail.rolloutPercent', { percent: Number(form.rolloutPercent) })}
                <input type="range" name="rolloutPercent" min={0} max={100} step={1} disabled={planned}
                    value={form.rolloutPercent as string} onInput={set('rolloutPercent')} />
            </label>
            {planned && <p class="help wide">{t('detail.sliderLocked')}</p>}
            <label class="wide">{t('versions.changelog')}<textarea name="changelog" rows={3} value={form.changelog as string} onInput={set('changelog')} /></label>
            <button type="submit">{t('detail.save')}</button>
            {error !== undefined && <div class="wide"><ProblemView error={error} /></div>}
            {conflict && (
                <div class="problem wide" role="alert" data-testid="conflict">
                    <p><strong>{t('detail.conflictTitle')}</strong> {t('detail.conflictText')}</p>
                    {conflict.changes.length === 0 ? <p>{t('detail.conflictNoFields')}</p> : (
                        <ul>
                            {conflict.changes.map((c) => (
                                <li key={c.field}>{t('detail.conflictChange', { field: c.field, was: shown(c.was), now: shown(c.now) })}</li>
                            ))}
                        </ul>
                    )}
                    <div class="row">
                        <button type="button" onClick={() => save(conflict.mine, conflict.theirs.etag)}>{t('detail.reapply')}</button>
                        <button type="button" onClick={() => { setConflict(null); props.onSaved(conflict.theirs); }}>{t('detail.discard')}</button>
                    </div>
                </div>
            )}
        </form>
    );
}

function planText(p: RolloutPlan | null) {
    return {
        steps: p ? p.steps.join(', ') : '1, 5, 20, 50, 100',
        stepEvery: p?.stepEvery ?? '24h',
        minSessions: String(p?.minSessions ?? 100),
        minCrashFree: String(p?.minCrashFree ?? 0.98),
        maxCrashFreeDrop: String(p?.maxCrashFreeDrop ?? 0.005),
    };
}

function actionName(a: string): string {
    switch (a) {
        case 'start': return t('rollout.action.start');
        case 'advance': return t('rollout.action.advance');
        case 'pause': return t('rollout.action.pause');
        case 'halt': return t('rollout.action.halt');
        case 'resume': return t('rollout.action.resume');
        case 'complete': return t('rollout.action.complete');
        default: return a;
    }
}

function RolloutPanel(props: { v: Version; etag: string | null; onChanged: () => void }) {
    const { v } = props;
    const rollout = useAsync(() => get<Rollout>(`/admin/versions/${v.id}/rollout`), [v.id, v.revision]);
    const [plan, setPlan] = useState(planText(v.rolloutPlan));
    const [error, setError] = useState<unknown>(undefined);
    const set = (k: keyof typeof plan) => (e: Event) => setPlan({ ...plan, [k]: (e.target as HTMLInputElement).value });
    const savePlan = async (e: Event) => {
        e.preventDefault();
        setError(undefined);
        const body = {
            rolloutPlan: {
                steps: plan.steps.split(/[\s,]+/).filter(Boolean).map(Number),
                stepEvery: plan.stepEvery,
                minSessions: Number(plan.minSessions),
                minCrashFree: Number(plan.minCrashFree),
                maxCrashFreeDrop: Number(plan.maxCrashFreeDrop),
            },
        };
        try {
            await call('PATCH', `/admin/versions/${v.id}`, { body, ifMatch: props.etag });
            props.onChanged();
        } catch (err) {
            setError(err);
        }
    };
    const act = async (what: 'pause' | 'resume' | 'advance') => {
        setError(undefined);
        try {
            await call('POST', `/admin/versions/${v.id}/rollout/${what}`, { ifMatch: props.etag });
            props.onChanged();
        } catch (err) {
            setError(err);
        }
    };
    const r = rollout.data;
    return (
        <div class="panel" aria-labelledby="rollout-h">
            <h3 id="rollout-h">{t('rollout.title')}</h3>
            {rollout.error !== undefined && <ProblemView error={rollout.error} />}
            {r && (r.plan === null ? <Empty>{t('rollout.noPlan')}</Empty> : (
                <>
                    <p data-testid="rollout-summary">
                        {t('rollout.summary', { state: r.state ? stateName(r.state) : '–', percent: r.rolloutPercent })}{' '}
                        {t('rollout.next', { time: dateTime(r.nextStepAt) })} <Tz />
                    </p>
                    {r.state === 'halted' && <p class="problem" role="alert">{t('rollout.haltedText')}</p>}
                    <div class="row">
                        <button type="button" disabled={r.state !== 'running'} onClick={() => act('pause')}>{t('rollout.pause')}</button>
                        <button type="button" disabled={r.state !== 'paused' && r.state !== 'halted'} onClick={() => act('resume')}>{t('rollout.resume')}</button>
                        <button type="button" disabled={r.state !== 'running' && r.state !== 'paused'} onClick={() => act('advance')}>{t('rollout.advance')}</button>
                    </div>
                    <h4>{t('rollout.decisions')} <Tz /></h4>
                    {r.decisions.length === 0 ? <Empty>{t('rollout.noDecisions')}</Empty> : (
                        <ol class="decisions">
                            {r.decisions.map((d, i) => (
                                <li key={i}>
                                    {t('rollout.decision', {
                                        time: dateTime(d.at), action: actionName(d.action),
                                        from: d.from ?? '–', to: d.to ?? '–', by: d.by === 'schedule' ? t('rollout.bySchedule') : d.by,
                                    })}
                                    {d.reason && <> · {d.reason}</>}
                                </li>
                            ))}
                        </ol>
                    )}
                </>
            ))}
            <form onSubmit={savePlan} class="grid-form" aria-label={t('rollout.planForm')}>
                <label>{t('rollout.steps')}<input name="steps" value={plan.steps} onInput={set('steps')} /></label>
                <label>{t('rollout.stepEvery')}<input name="stepEvery" value={plan.stepEvery} onInput={set('stepEvery')} /></label>
                <label>{t('rollout.minSessions')}<input name="minSessions" inputMode="numeric" value={plan.minSessions} onInput={set('minSessions')} /></label>
                <label>{t('rollout.minCrashFree')}<input name="minCrashFree" inputMode="decimal" value={plan.minCrashFree} onInput={set('minCrashFree')} /></label>
                <label>{t('rollout.maxDrop')}<input name="maxCrashFreeDrop" inputMode="decimal" value={plan.maxCrashFreeDrop} onInput={set('maxCrashFreeDrop')} /></label>
                <button type="submit">{t('rollout.setPlan')}</button>
            </form>
            {error !== undefined && <ProblemView error={error} />}
        </div>
    );
}

function HealthSideRow(props: { label: string; s: HealthSide | null }) {
    const { s } = props;
    return (
        <tr>
            <th scope="row">{props.label}</th>
            <td class="n">{s ? num(s.versionCode) : '–'}</td>
            <td class="n">{s ? num(s.sessions) : '–'}</td>
            <td class="n">{s ? pct(s.crashFreeSessions) : '–'}</td>
            <td class="n">{s ? pct(s.crashFreeUsers) : '–'}</td>
        </tr>
    );
}

function verdictName(v: string): string {
    switch (v) {
        case 'healthy': return t('health.healthy');
        case 'unhealthy': return t('health.unhealthy');
        default: return t('health.insufficient');
    }
}

function HealthPanel(props: { id: number }) {
    const h = useAsync(() => get<Health>(`/admin/versions/${props.id}/health`), [props.id]);
    return (
        <div class="panel" aria-labelledby="health-h">
            <h3 id="health-h">{t('health.title')}</h3>
            {h.error !== undefined && <ProblemView error={h.error} />}
            {h.data && (
                <>
                    <p data-testid="health-verdict">{t('health.verdict', { verdict: verdictName(h.data.verdict) })}</p>
                    <div class="scroll">
                        <table>
                            <thead>
                                <tr>
                                    <th scope="col"><span class="visually-hidden">{t('health.side')}</span></th>
                                    <th scope="col">{t('versions.code')}</th>
                                    <th scope="col">{t('health.sessions')}</th>
                                    <th scope="col">{t('health.crashFreeSessions')}</th>
                                    <th scope="col">{t('health.crashFreeUsers')}</th>
                                </tr>
                            </thead>
                            <tbody>
                                <HealthSideRow label={t('health.thisVersion')} s={h.data.version} />
                                <HealthSideRow label={t('health.control')} s={h.data.control} />
                            </tbody>
                        </table>
                    </div>
                    {h.data.reasons.length > 0 && <ul>{h.data.reasons.map((r, i) => <li key={i}>{r}</li>)}</ul>}
                </>
            )}
        </div>
    );
}

function DeleteVersion(props: { v: Version; etag: string | null; onDeleted: () => void }) {
    const [asking, setAsking] = useState(false);
    const [error, setError] = useState<unknown>(undefined);
    const remove = async () => {
        try {
            await call('DELETE', `/admin/versions/${props.v.id}`, { ifMatch: props.etag });
            props.onDeleted();
        } catch (e) {
            setError(e);
        }
    };
    return (
        <div class="panel danger">
            {!asking ? (
                <button type="button" onClick={() => setAsking(true)}>{t('detail.delete')}</button>
            ) : (
                <div role="alertdialog" aria-labelledby="del-q" class="row">
                    <p id="del-q">{t('detail.deleteConfirm', { name: props.v.versionName, code: props.v.versionCode })}</p>
                    <button type="button" onClick={remove}>{t('detail.deleteYes')}</button>
                    <button type="button" onClick={() => setAsking(false)}>{t('common.cancel')}</button>
                </div>
            )}
            {error !== undefined && <ProblemView error={error} />}
        </div>
    );
}
