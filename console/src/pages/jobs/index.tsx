// Jobs: each job's last run, duration and error, and "run now".
import { useState } from 'preact/hooks';
import { Empty, Loading, ProblemView, Tz, useAsync } from '../../components/common';
import { call, get } from '../../lib/api';
import { dateTime, num, t } from '../../lib/i18n';

interface Job {
    name: string;
    schedule: string;
    lastRunAt: string | null;
    lastDurationMs: number | null;
    lastError: string | null;
    nextRunAt: string | null;
}

export function Jobs() {
    const jobs = useAsync(() => get<{ jobs: Job[] }>('/admin/jobs'), []);
    const [running, setRunning] = useState<string | null>(null);
    const [result, setResult] = useState<{ name: string; durationMs: number } | null>(null);
    const [error, setError] = useState<unknown>(undefined);
    const run = async (name: string) => {
        setRunning(name);
        setError(undefined);
        try {
            const a = await call<{ name: string; durationMs: number }>('POST', `/admin/jobs/${encodeURIComponent(name)}/run`);
            setResult(a.data);
            jobs.reload();
        } catch (e) {
            setError(e);
        } finally {
            setRunning(null);
        }
    };
    return (
        <main id="main">
            <h1>{t('nav.jobs')}</h1>
            {error !== undefined && <ProblemView error={error} />}
            {result && <p class="notice" role="status">{t('jobs.ran', { name: result.name, ms: result.durationMs })}</p>}
            {jobs.error !== undefined && <ProblemView error={jobs.error} />}
            {jobs.loading && !jobs.data && <Loading />}
            {jobs.data && (jobs.data.jobs.length === 0 ? <Empty>{t('jobs.empty')}</Empty> : (
                <div class="scroll">
                    <table data-testid="jobs">
                        <caption>{t('jobs.caption')} <Tz /></caption>
                        <thead>
                            <tr>
                                <th scope="col">{t('jobs.name')}</th>
                                <th scope="col">{t('jobs.schedule')}</th>
                                <th scope="col">{t('jobs.lastRun')}</th>
                                <th scope="col">{t('jobs.duration')}</th>
                                <th scope="col">{t('jobs.error')}</th>
                                <th scope="col">{t('jobs.nextRun')}</th>
                                <th scope="col"><span class="visually-hidden">{t('common.actions')}</span></th>
                            </tr>
                        </thead>
                        <tbody>
                            {jobs.data.jobs.map((j) => (
                                <tr key={j.name} data-job={j.name}>
                                    <td><code>{j.name}</code></td>
                                    <td>{j.schedule}</td>
                                    <td>{j.lastRunAt ? dateTime(j.lastRunAt) : t('jobs.never')}</td>
                                    <td class="n">{j.lastDurationMs === null ? '–' : t('jobs.ms', { ms: num(j.lastDurationMs) })}</td>
                                    <td>{j.lastError ?? t('jobs.noError')}</td>
                                    <td>{dateTime(j.nextRunAt)}</td>
                                    <td>
                                        <button type="button" disabled={running !== null} onClick={() => run(j.name)}
                                            aria-label={t('jobs.runLabel', { name: j.name })}>
                                            {running === j.name ? t('jobs.running') : t('jobs.run')}
                                        </button>
                                    </td>
                                </tr>
                            ))}
                        </tbody>
                    </table>
                </div>
            ))}
        </main>
    );
}
