// The console in Debian's Chromium (headless, driven by playwright-core)
// against the real binary on a free loopback port, with seeded data:
//
//   NODE_PATH=build/debug/console/node_modules \
//     node console/tests/browser.test.cjs BINARY SCREENSHOT_DIR [DIST_DIR]
//
// Sign-in (pasted token, one-time link, a refused token), the overview's
// charts from 30 days of data (its render time printed, not asserted), an
// aapt-built APK uploaded and created from its detected metadata, toggled
// while the update check changes, a 412 conflict, a rollout plan halted by
// crashes, the events explorer's filters and paging, a `<script>` payload
// rendered as text, jobs run now, every page in both languages with no
// untranslated string and no serious or critical axe-core violation, and a
// screenshot of every page in SCREENSHOT_DIR.
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const [binary, shotDir, distDir] = process.argv.slice(2);
if (!binary || !shotDir) {
    console.error('usage: browser.test.cjs BINARY SCREENSHOT_DIR');
    process.exit(2);
}
const kSecret = 'console-browser-test-secret-0123456789abcdef';
const kTimeZone = 'Asia/Shanghai';
const en = require('../src/i18n/en.json');
const zh = require('../src/i18n/zh.json');
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'beacon-console-'));
fs.mkdirSync(shotDir, { recursive: true });
let server;
let port = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function beaconEnv(extra = {}) {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BEACON_')));
    return { ...env, BEACON_JWT_SECRET: kSecret, BEACON_RATE_LIMIT: '0', BEACON_TIMEZONE: kTimeZone, ...extra };
}

async function startServer() {
    const portFile = path.join(dir, 'port');
    const log = fs.openSync(path.join(dir, 'server.log'), 'a');
    server = spawn(binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', path.join(dir, 'data'), '--port-file', portFile],
        { env: beaconEnv(), stdio: ['ignore', log, log] });
    process.on('exit', () => server.exitCode === null && server.kill('SIGKILL'));
    for (let i = 0; i < 1000; i++) {
        if (server.exitCode !== null) throw new Error('beacon exited during start');
        try {
            const text = fs.readFileSync(portFile, 'utf8');
            if (text.endsWith('\n')) {
                port = Number(text.trim());
                return;
            }
        } catch {
            // not yet
        }
        await sleep(20);
    }
    throw new Error('beacon did not start');
}

const base = () => `http://127.0.0.1:${port}`;
let adminToken = '';

async function api(method, p, body, headers = {}) {
    const res = await fetch(base() + p, {
        method,
        // Client routes get no token: its sub would become every event's userId.
        headers: { ...(p.startsWith('/admin') ? { Authorization: `Bearer ${adminToken}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data = null;
    try {
        data = text ? JSON.parse(text) : null;
    } catch {
        data = text;
    }
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${text}`);
    return { data, etag: res.headers.get('etag') };
}

let passed = 0;
async function step(name, f) {
    const t0 = Date.now();
    try {
        await f();
        passed++;
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
        console.log(`FAIL ${name}: ${e.stack || e}`);
        throw e;
    }
}

function assert(cond, message) {
    if (!cond) throw new Error(message);
}

function buildApk(versionCode, versionName) {
    const work = path.join(dir, `apk-${versionCode}`);
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(path.join(work, 'AndroidManifest.xml'), `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.console"
    android:versionCode="${versionCode}" android:versionName="${versionName}">
  <uses-sdk android:minSdkVersion="24"/>
  <application android:label="Console"/>
</manifest>
`);
    const out = path.join(dir, `app-${versionCode}.apk`);
    execFileSync('aapt', ['package', '-f', '-M', 'AndroidManifest.xml', '-I',
        '/usr/share/android-framework-res/framework-res.apk', '-F', out], { cwd: work, stdio: 'pipe' });
    return out;
}

// 30 days of sessions (29 back to today), per platform, with version codes;
// heartbeats for the online figures; the nightly roll-up of the past days.
async function seed() {
    const now = Date.now();
    for (let d = 28; d >= 0; d--) {
        const events = [];
        const n = 20 + ((d * 7) % 15);
        for (let i = 0; i < n; i++) {
            const android = i % 3 !== 0;
            events.push({
                eventName: 'app_session_start',
                installId: `install-${String(i).padStart(4, '0')}`,
                platform: android ? 'android' : 'ios',
                appVersion: android ? '3.0.0' : '1.0.0',
                versionCode: android ? (i % 2 ? 300 : 290) : 100,
                sessionId: `s-${d}-${i}`,
                timestamp: new Date(now - d * 86400000 - 60000).toISOString(),
            });
        }
        await api('POST', '/telemetry/events', { events });
    }
    for (let i = 0; i < 12; i++) {
        await api('POST', '/telemetry/heartbeat', { installId: `install-${String(i).padStart(4, '0')}`, platform: 'android', versionCode: 300 });
    }
    // Page views for the explorer's paging, and one hostile payload.
    const views = [];
    for (let i = 0; i < 25; i++) {
        views.push({ eventName: 'page_view', installId: 'install-0001', platform: 'android', properties: { page: `/p/${i}` } });
    }
    views.push({ eventName: 'xss_probe', installId: 'install-0002', userId: '<script>alert(1)</script>', platform: 'android',
        deviceModel: '<img src=x onerror=alert(2)>', properties: { html: '<script>window.__pwned = 1</script>', nested: { b: '<b>bold</b>' } } });
    await api('POST', '/telemetry/events', { events: views });
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: kTimeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    for (let d = 28; d >= 1; d--) {
        const day = new Date(Date.parse(`${today}T00:00:00Z`) - d * 86400000).toISOString().slice(0, 10);
        await api('POST', `/admin/jobs/nightly-dau/run?day=${day}`);
    }
    await api('POST', '/admin/jobs/online-snapshot/run');
}

async function main() {
    await startServer();
    // The CLI's one-time link, with the server's address as the public base.
    const link = execFileSync(binary, ['token', '--admin', '--console', '--ttl', '1h'],
        { env: beaconEnv({ BEACON_PUBLIC_URL: base(), BEACON_DATA_DIR: path.join(dir, 'cli') }) }).toString().trim();
    const m = /^http:\/\/127\.0\.0\.1:\d+\/console\/#token=([\w.-]+)$/.exec(link);
    assert(m, `beacon token --admin --console printed ${link}`);
    adminToken = m[1];
    await step('seed 30 days of data', seed);

    const browser = await chromium.launch({
        executablePath: process.env.BEACON_CHROMIUM || '/usr/bin/chromium',
        args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync'],
    });
    const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const cspViolations = [];
    const pageErrors = [];
    page.on('console', (msg) => {
        if (/Content Security Policy|Refused to/.test(msg.text())) cspViolations.push(msg.text());
    });
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('dialog', (d) => d.dismiss());
    const nav = page.getByRole('navigation', { name: en['app.pages'], exact: true });

    try {
        await step('sign in with the one-time link; the token leaves the address bar', async () => {
            await page.goto(link);
            await nav.waitFor();
            assert(!page.url().includes('token'), `address still holds the token: ${page.url()}`);
            const stored = await page.evaluate(() => sessionStorage.getItem('beacon.token'));
            assert(stored === adminToken, 'the token is not in sessionStorage');
            const cookies = await context.cookies();
            assert(cookies.length === 0, 'the console set cookies');
        });

        await step('sign out, then sign in with a pasted token', async () => {
            await page.getByRole('button', { name: en['app.signOut'] }).click();
            await page.getByText(en['signin.signedOut']).waitFor();
            await page.getByLabel(en['signin.tokenLabel']).fill('not a token');
            await page.getByRole('button', { name: en['signin.submit'] }).click();
            await page.getByText(en['signin.invalid']).waitFor();
            await page.getByLabel(en['signin.tokenLabel']).fill(adminToken);
            await page.getByRole('button', { name: en['signin.submit'] }).click();
            await nav.waitFor();
        });

        await step('a refused token sends the user back to sign-in with a message', async () => {
            await page.evaluate(() => sessionStorage.setItem('beacon.token', 'eyJhbGciOiJIUzI1NiJ9.eyJyb2xlIjoiYWRtaW4ifQ.bad'));
            await page.goto(`${base()}/console/jobs`);
            await page.getByText(en['signin.unauthorized']).waitFor();
            await page.evaluate((t) => sessionStorage.setItem('beacon.token', t), adminToken);
        });

        await step('overview draws its charts from the seeded data (render time printed)', async () => {
            const t0 = Date.now();
            await page.goto(`${base()}/console/`);
            await page.locator('svg[data-chart="dau"] g.bar').nth(28).waitFor();
            await page.locator('[data-testid="online-now"]').waitFor();
            const ms = Date.now() - t0;
            console.log(`console: overview rendered in ${ms} ms on loopback with 30 days of data`);
            fs.writeFileSync(path.join(shotDir, 'overview-render-ms.txt'), `${ms}\n`);
            const bars = await page.locator('svg[data-chart="dau"] g.bar').count();
            assert(bars === 29, `expected 29 DAU bars, saw ${bars}`);
            const estimates = await page.locator('svg[data-chart="dau"] g.bar.estimate').count();
            assert(estimates >= 1 && estimates < bars, `estimates and exact days not told apart (${estimates} of ${bars})`);
            assert((await page.locator('svg[data-chart="dau"] .errorbar').count()) >= 1, 'no error bar on the estimate');
            const online = await page.locator('[data-testid="online-now"]').textContent();
            assert(online === '12', `online now shows ${online}`);
            await page.locator('svg[data-chart="online-history"]').waitFor();
            await page.locator('svg[data-chart="peaks"]').waitFor();
            assert((await page.getByText(`(time zone ${kTimeZone})`).count()) >= 3, 'the reporting time zone is not shown');
            await page.getByRole('button', { name: en['range.7d'] }).click();
            await page.locator('svg[data-chart="online-history"]').waitFor();
        });

        let versionId = 0;
        let checkUrl = '';
        await step('upload an APK and create the version from its detected metadata', async () => {
            await page.goto(`${base()}/console/versions`);
            await page.getByText(en['versions.empty']).waitFor();
            await page.getByLabel(en['versions.file']).setInputFiles(buildApk(310, '3.1.0'));
            await page.getByRole('button', { name: en['versions.upload'], exact: true }).click();
            await page.locator('[data-testid="detected"]').waitFor();
            const detected = await page.locator('[data-testid="detected"]').textContent();
            assert(detected.includes('com.example.console'), `detected: ${detected}`);
            assert((await page.locator('progress').getAttribute('value')) === '1', 'the progress bar did not reach the end');
            const form = page.getByRole('form', { name: en['versions.createForm'] });
            assert((await form.getByLabel(en['versions.code']).inputValue()) === '310', 'version code not prefilled');
            assert((await form.getByLabel(en['versions.name']).inputValue()) === '3.1.0', 'version name not prefilled');
            await form.getByRole('button', { name: en['versions.create'] }).click();
            const row = page.locator('tr[data-version-id]');
            await row.first().waitFor();
            versionId = Number(await row.first().getAttribute('data-version-id'));
            assert((await row.first().textContent()).includes('3.1.0'), 'the new version is not in the table');
            await page.locator('[data-testid="version-detail"]').waitFor();
            checkUrl = await page.locator('[data-testid="check-url"]').inputValue();
        });

        const check = async () => (await (await fetch(checkUrl)).json()).needUpdate;
        await step('toggle the version and watch the update check change', async () => {
            assert((await check()) === true, 'the update check does not offer the new version');
            await page.getByRole('button', { name: en['detail.disable'] }).click();
            await page.getByText(en['detail.disabledNow']).waitFor();
            let offered = true;
            for (let i = 0; i < 60 && offered; i++) {
                offered = await check();
                if (offered) await sleep(100);
            }
            assert(!offered, 'still offered after disabling');
            await page.getByRole('button', { name: en['detail.enable'] }).click();
            await page.getByText(en['detail.enabledNow']).waitFor();
            let back = false;
            for (let i = 0; i < 60 && !back; i++) {
                back = await check();
                if (!back) await sleep(100);
            }
            assert(back, 'not offered again after enabling');
        });

        await step('a 412 conflict shows what changed and reapplies on request', async () => {
            const edit = page.getByRole('form', { name: en['detail.edit'] });
            await edit.getByLabel(en['versions.name']).fill('3.1.0-console');
            await api('PATCH', `/admin/versions/${versionId}`, { changelog: 'changed elsewhere' });
            await edit.getByRole('button', { name: en['detail.save'] }).click();
            const conflict = page.locator('[data-testid="conflict"]');
            await conflict.waitFor();
            const text = await conflict.textContent();
            assert(text.includes('changelog') && text.includes('changed elsewhere'), `conflict says: ${text}`);
            await conflict.getByRole('button', { name: en['detail.reapply'] }).click();
            // exact: as a substring, "Saved." also matches the conflict's own
            // "Your changes were not saved." and would not wait for the save.
            await page.getByText(en['detail.saved'], { exact: true }).waitFor();
            const v = (await api('GET', `/admin/versions/${versionId}`)).data;
            assert(v.versionName === '3.1.0-console' && v.changelog === 'changed elsewhere', JSON.stringify(v));
        });

        await step('set a rollout plan; crashes halt it, and the console shows it halted', async () => {
            const plan = page.getByRole('form', { name: en['rollout.planForm'] });
            await plan.getByLabel(en['rollout.steps']).fill('10, 100');
            await plan.getByLabel(en['rollout.minSessions']).fill('5');
            await plan.getByLabel(en['rollout.minCrashFree']).fill('0.9');
            await plan.getByRole('button', { name: en['rollout.setPlan'] }).click();
            await page.locator('[data-testid="rollout-summary"]', { hasText: 'running' }).waitFor();
            const events = [];
            for (let i = 0; i < 10; i++) {
                const ctx = { installId: `crash-${String(i).padStart(4, '0')}`, platform: 'android', versionCode: 310, sessionId: `crash-s-${i}` };
                events.push({ ...ctx, eventName: 'app_session_start' });
                if (i < 5) events.push({ ...ctx, eventName: 'app_crash' });
            }
            await api('POST', '/telemetry/events', { events });
            await page.getByRole('link', { name: en['nav.jobs'] }).click();
            await page.getByRole('button', { name: 'Run now: rollout' }).click();
            await page.getByText('rollout ran in').waitFor();
            await page.getByRole('link', { name: en['nav.versions'] }).click();
            await page.getByRole('button', { name: `Details of 3.1.0-console (310)` }).click();
            await page.getByText(en['rollout.haltedText']).waitFor();
            await page.locator('[data-testid="health-verdict"]', { hasText: 'unhealthy' }).waitFor();
            assert((await check()) === false, 'a halted version is still offered');
        });

        await step('events explorer: filters, cursor paging, and hostile text shown as text', async () => {
            await page.goto(`${base()}/console/events`);
            const filters = page.getByRole('form', { name: en['events.filters'] });
            await filters.getByLabel(en['events.eventName']).fill('page_view');
            await filters.getByLabel(en['events.limit']).selectOption('10');
            await filters.getByRole('button', { name: en['events.apply'] }).click();
            await page.getByText('Page 1').waitFor();
            await page.waitForFunction(() => {
                const names = [...document.querySelectorAll('td.event-name')];
                return names.length === 10 && names.every((td) => td.textContent === 'page_view');
            });
            const names = await page.locator('td.event-name').allTextContents();
            assert(names.length === 10 && names.every((n) => n === 'page_view'), `page 1: ${names}`);
            const first = await page.locator('tr[data-event-id]').first().getAttribute('data-event-id');
            const seen = new Set(await page.locator('tr[data-event-id]').evaluateAll((rows) => rows.map((r) => r.dataset.eventId)));
            // A new page: `n` rows, the first not `old` (the old rows are dropped at once, so an
            // empty table in between is not the new page yet).
            const pageOf = (old, n) => page.waitForFunction(([previous, count]) => {
                const rows = document.querySelectorAll('tr[data-event-id]');
                return rows.length === count && rows[0].dataset.eventId !== previous;
            }, [old, n]);
            await page.getByRole('button', { name: en['events.next'] }).click();
            await page.getByText('Page 2').waitFor();
            await pageOf(first, 10);
            const second = await page.locator('tr[data-event-id]').evaluateAll((rows) => rows.map((r) => r.dataset.eventId));
            assert(second.length === 10 && second.every((id) => !seen.has(id)), 'page 2 repeats rows');
            await page.getByRole('button', { name: en['events.next'] }).click();
            await page.getByText('Page 3').waitFor();
            await pageOf(second[0], 5);  // page 3 holds the last 5
            assert(await page.getByRole('button', { name: en['events.next'] }).isDisabled(), 'next enabled on the last page');
            await page.getByRole('button', { name: en['events.previous'] }).click();
            await page.getByRole('button', { name: en['events.previous'] }).click();
            await page.getByText('Page 1').waitFor();
            await page.waitForFunction((id) => document.querySelector('tr[data-event-id]')?.dataset.eventId === id, first);

            await filters.getByLabel(en['events.eventName']).fill('xss_probe');
            await filters.getByRole('button', { name: en['events.apply'] }).click();
            await page.getByText('<script>alert(1)</script>').waitFor();
            await page.getByRole('button', { name: en['events.properties'] }).click();
            const json = await page.locator('[data-testid="properties"]').textContent();
            assert(json.includes('"html": "<script>window.__pwned = 1</script>"'), `properties: ${json}`);
            assert((await page.locator('main script, main img, main b').count()) === 0, 'data became markup');
            assert((await page.evaluate(() => window.__pwned)) === undefined, 'a script from the data ran');
        });

        await step('jobs: last runs listed, run now', async () => {
            await page.goto(`${base()}/console/jobs`);
            await page.locator('tr[data-job="online-snapshot"]').waitFor();
            await page.getByRole('button', { name: 'Run now: online-snapshot' }).click();
            await page.getByText('online-snapshot ran in').waitFor();
        });

        await step('audience: per version, below a version, adoption', async () => {
            await page.goto(`${base()}/console/audience`);
            await page.locator('[data-testid="audience-versions"]').waitFor();
            await page.locator('section[aria-labelledby="below-h"] select').first().selectOption('300');
            const below = page.locator('[data-testid="below"]');
            await below.waitFor();
            assert(/users/.test(await below.textContent()), 'no below figure');
            await page.locator('section[aria-labelledby="adopt-h"] select').selectOption(String(versionId));
            await page.locator('svg[data-chart="adoption"]').waitFor();
        });

        const pages = [['overview', '/console/'], ['audience', '/console/audience'], ['versions', '/console/versions'],
            ['events', '/console/events'], ['jobs', '/console/jobs']];
        const ready = async (name) => {
            if (name === 'overview') await page.locator('svg[data-chart="dau"]').waitFor();
            if (name === 'versions') await page.locator('tr[data-version-id]').first().waitFor();
            if (name === 'events') await page.locator('tr[data-event-id]').first().waitFor();
            if (name === 'jobs') await page.locator('tr[data-job]').first().waitFor();
            if (name === 'audience') await page.locator('[data-testid="audience-versions"]').waitFor();
            await page.waitForLoadState('networkidle');
        };
        // Literal fragments of the English catalog that a Chinese page must
        // not show (placeholders removed; short ones and those the two
        // catalogs share are skipped).
        const englishFragments = Object.keys(en).filter((k) => en[k] !== zh[k])
            .flatMap((k) => en[k].split(/\{\w+\}/)).map((s) => s.trim()).filter((s) => s.length >= 4 && /[a-z]{3}/.test(s));
        for (const [lang, label, catalog] of [['en', 'English', en], ['zh-CN', '简体中文', zh]]) {
            await step(`every page in ${label}: named in the navigation, translated, no serious axe violation, screenshot`, async () => {
                await page.goto(`${base()}/console/`);
                await page.getByRole('combobox', { name: lang === 'en' ? zh['app.language'] : en['app.language'] }).selectOption(lang)
                    .catch(async () => page.locator('.lang select').selectOption(lang));
                for (const [name, url] of pages) {
                    await page.goto(base() + url);
                    await page.getByRole('navigation', { name: catalog['app.pages'], exact: true }).waitFor();
                    await ready(name);
                    const navItems = await page.getByRole('navigation', { name: catalog['app.pages'], exact: true }).getByRole('link').allTextContents();
                    const want = ['overview', 'audience', 'versions', 'events', 'jobs'].map((p) => catalog[`nav.${p}`]);
                    assert(JSON.stringify(navItems) === JSON.stringify(want), `nav: ${navItems}`);
                    assert((await page.locator('h1').textContent()) === catalog[`nav.${name}`], `${name}: h1 is not the page's name`);
                    if (lang === 'zh-CN') {
                        const text = await page.locator('body').innerText();
                        const leaked = englishFragments.filter((f) => text.includes(f));
                        assert(leaked.length === 0, `${name}: untranslated: ${leaked.slice(0, 5).join(' | ')}`);
                        assert(await page.evaluate(() => document.documentElement.lang) === 'zh-CN', 'html lang');
                    }
                    await page.evaluate(axeSource);
                    const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
                    const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
                    assert(bad.length === 0, `${name} (${lang}): axe: ${bad.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`).join('; ')}`);
                    await page.screenshot({ path: path.join(shotDir, `${lang}-${name}.png`), fullPage: true });
                }
            });
        }

        await step('360 px wide and dark mode', async () => {
            const small = await browser.newContext({ locale: 'en-US', viewport: { width: 360, height: 780 }, colorScheme: 'dark' });
            const p = await small.newPage();
            await p.goto(link);
            await p.locator('svg[data-chart="dau"]').waitFor();
            const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert(overflow <= 1, `the overview overflows 360 px by ${overflow} px`);
            const bg = await p.evaluate(() => getComputedStyle(document.body).backgroundColor);
            assert(bg === 'rgb(13, 17, 23)', `dark mode not applied: ${bg}`);
            await p.screenshot({ path: path.join(shotDir, 'en-overview-360-dark.png'), fullPage: true });
            await p.goto(`${base()}/console/versions`);
            await p.locator('tr[data-version-id]').first().waitFor();
            await p.screenshot({ path: path.join(shotDir, 'en-versions-360-dark.png'), fullPage: true });
            await small.close();
        });

        await step('no CSP violation and no page error along the way', async () => {
            assert(cspViolations.length === 0, cspViolations.join('\n'));
            assert(pageErrors.length === 0, pageErrors.join('\n'));
        });
    } finally {
        await browser.close();
    }
    if (distDir) {
        const size = JSON.parse(fs.readFileSync(path.join(distDir, 'size.json'), 'utf8'));
        console.log(`console: JS + CSS ${(size.gzipBytes / 1024).toFixed(1)} KiB gzipped (budget ${size.budgetBytes / 1024} KiB)`);
    }
    console.log(`console: screenshots in ${shotDir}`);
}

main().then(async () => {
    console.log(`console_browser: ${passed} steps passed`);
    server.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
}, (e) => {
    console.error(String(e));
    try {
        console.error(`--- server log ---\n${fs.readFileSync(path.join(dir, 'server.log'), 'utf8').slice(-4000)}`);
    } catch {
        // no log
    }
    server?.kill('SIGKILL');
    process.exit(1);
});
