// Conformance of the real server to docs/api/openapi.json: starts
// build/<preset>/beacon (embedded mode, a free loopback port), calls every
// documented operation with good and bad inputs, and checks each exchange
// against the document (lib/contract.mjs): the status must be the one
// expected and documented for that operation, the headers, Content-Type and
// body must match the response's schemas, accepted requests must be valid
// per the document and refused ones (400) invalid. Ends by checking that
// every documented operation was called, that the paths the server routes
// (its /metrics route labels) are exactly the documented ones, and that each
// path's 405 `Allow` lists exactly the documented methods.
//
// 503 is reached with Redis presence: a second server on a Redis started for
// it (tools/test-services/redis.sh), which is then stopped.
//
// Known differences between the server and the contract (shared/API.md)
// are `todo` tests: they run and report, without failing the suite, until
// the server follows the contract.
//
// Run by tests/openapi/run.sh conformance BINARY (CTest: openapi_conformance).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';

import { buildApk, buildIpa, buildZip, multipart } from './lib/artifacts.mjs';
import { Contract } from './lib/contract.mjs';
import { BeaconServer, token } from './lib/server.mjs';

const BINARY = process.env.BEACON_BINARY;
const SOURCE = process.env.BEACON_SOURCE_DIR;
assert.ok(BINARY && SOURCE, 'run through tests/openapi/run.sh conformance BINARY');

const DOC_FILE = process.env.BEACON_OPENAPI_FILE ?? join(SOURCE, 'docs/api/openapi.json');
const contract = new Contract(DOC_FILE);
const MAX_ARTIFACT = 8 * 1024 * 1024;

const admin = { Authorization: `Bearer ${token({ sub: 'admin', role: 'admin' })}` };
const user = { Authorization: `Bearer ${token({ sub: 'u-token' })}` };
const forged = { Authorization: `Bearer ${token({ sub: 'admin', role: 'admin' }, 'not-the-servers-secret-0123456789abcdef')}` };

let server;
let work;

before(async () => {
    work = mkdtempSync(join(tmpdir(), 'beacon-openapi-files-'));
    server = new BeaconServer(BINARY, { BEACON_MAX_ARTIFACT_BYTES: String(MAX_ARTIFACT) });
    await server.start();
});

after(async () => {
    const code = await server.stop();
    if (code !== 0) {
        console.error(server.log());
    }
    server.remove();
    rmSync(work, { recursive: true, force: true });
    assert.equal(code, 0, 'beacon did not exit 0 on SIGTERM');
});

const describe = (res) => `${res.status} ${res.headers['content-type'] ?? ''} ${res.body.subarray(0, 600).toString('utf8')}`;

// One exchange, checked against the document. spec:
//   op        "METHOD /template" of the documented operation
//   path      the request target; method (default: the op's) may be HEAD for a GET
//   status    the status this call must get
//   json      a value sent as the JSON body; or body (Buffer/string) with headers
//   blind     a 400 the schemas cannot predict (a range, a cursor, a day before today...)
//   unchecked the request is not checked against the document (said why at the call)
//   srv       another server than the main one
async function call(spec) {
    const srv = spec.srv ?? server;
    const method = spec.method ?? spec.op.split(' ')[0];
    const headers = { ...(spec.headers ?? {}) };
    let body = spec.body;
    if (spec.json !== undefined) {
        body = Buffer.from(JSON.stringify(spec.json));
        headers['Content-Type'] ??= 'application/json';
    }
    const plain = body;
    if (spec.gzip) {
        body = gzipSync(body);
        headers['Content-Encoding'] = 'gzip';
    }
    const res = await srv.request(method, spec.path, { headers, body });
    const problems = [];
    if (res.status !== spec.status) {
        problems.push(`expected ${spec.status}`);
    }
    problems.push(...contract.responseProblems(spec.op, method, res));
    if (!spec.unchecked) {
        const invalid = contract.requestProblems(spec.op, { path: spec.path, headers, body: plain });
        if (res.status < 400 && invalid.length > 0) {
            problems.push(`the server accepted a request that the document calls invalid: ${invalid.join('; ')}`);
        }
        if (res.status === 400 && !spec.blind && invalid.length === 0) {
            problems.push('the server refused (400) a request that the document calls valid');
        }
    }
    contract.record(spec.op, res.status);
    if (problems.length > 0) {
        assert.fail(`${method} ${spec.path} (${spec.op}):\n  - ${problems.join('\n  - ')}\n  response: ${describe(res)}`);
    }
    res.json = () => JSON.parse(res.body.toString('utf8'));
    return res;
}

// An answer that no single operation documents, checked against a response
// of components (NotFound for unknown paths, MethodNotAllowed, ...).
function checkComponentResponse(name, method, res, status) {
    const pointer = `#/components/responses/${name}`;
    const problems = contract.matchResponse(contract.doc.components.responses[name], pointer, method, res);
    if (res.status !== status) {
        problems.unshift(`expected ${status}`);
    }
    if (problems.length > 0) {
        assert.fail(`${name}:\n  - ${problems.join('\n  - ')}\n  response: ${describe(res)}`);
    }
}

const day = (offset = 0) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

test('GET /openapi.json serves the document, byte for byte', async () => {
    const res = await call({ op: 'GET /openapi.json', path: '/openapi.json', status: 200 });
    assert.equal(res.body.toString('utf8'), readFileSync(join(SOURCE, 'docs/api/openapi.json'), 'utf8'),
        'the served document differs from docs/api/openapi.json');
    const head = await call({ op: 'GET /openapi.json', method: 'HEAD', path: '/openapi.json', status: 200 });
    assert.equal(Number(head.headers['content-length']), res.body.length);
});

test('operations: /healthz, /readyz, /metrics', async () => {
    const echoed = await call({ op: 'GET /healthz', path: '/healthz', status: 200, headers: { 'X-Request-Id': 'conformance-1' } });
    assert.equal(echoed.headers['x-request-id'], 'conformance-1');
    const fresh = await call({ op: 'GET /healthz', path: '/healthz', status: 200, headers: { 'X-Request-Id': 'not valid!' } });
    assert.notEqual(fresh.headers['x-request-id'], 'not valid!');
    await call({ op: 'GET /readyz', path: '/readyz', status: 200 });
    await call({ op: 'GET /metrics', path: '/metrics', status: 200 });
    await call({ op: 'GET /metrics', method: 'HEAD', path: '/metrics', status: 200 });
});

test('every path, and nothing else, is routed; 405 lists exactly the documented methods', async () => {
    const metrics = (await call({ op: 'GET /metrics', path: '/metrics', status: 200 })).body.toString('utf8');
    const routed = new Set([...metrics.matchAll(/beacon_http_request_duration_seconds_count\{route="([^"]+)"\}/g)]
        .map((m) => m[1]).filter((r) => r !== 'unmatched')
        // The web console's pages and assets (docs/decisions/0011) are not
        // part of the API this document describes for SDK generators; their
        // routes are in docs/API.md and tests/unit/http/console_routes_test.cpp.
        .filter((r) => r !== '/console' && !r.startsWith('/console/')));
    const documented = new Set(Object.keys(contract.doc.paths));
    assert.deepEqual({ undocumented: [...routed].filter((r) => !documented.has(r)), unrouted: [...documented].filter((d) => !routed.has(d)) },
        { undocumented: [], unrouted: [] }, 'the routes the server has (its /metrics route labels) are not the documented paths');

    for (const path of documented) {
        const target = path.replace('{id}', '1').replace('{name}', path.startsWith('/files') ? `${'0'.repeat(64)}.apk` : 'cleanup')
            .replace('{kind}', 'android');
        const allowed = contract.allowed(target);
        const method = ['PUT', 'DELETE', 'PATCH', 'POST', 'GET'].find((m) => !allowed.has(m));
        const res = await server.request(method, target, { headers: admin });
        checkComponentResponse('MethodNotAllowed', method, res, 405);
        const got = new Set(res.headers.allow.split(',').map((m) => m.trim()));
        assert.deepEqual([...got].sort(), [...allowed].sort(), `Allow of ${target}`);
    }
});

test('answers of any route: unknown path 404, oversized headers 431, malformed request 400', async () => {
    checkComponentResponse('NotFound', 'GET', await server.request('GET', '/no/such/path'), 404);
    checkComponentResponse('NotFound', 'GET', await server.request('GET', '/admin/versions/1/nope', { headers: admin }), 404);
    checkComponentResponse('RequestHeaderFieldsTooLarge', 'GET',
        await server.request('GET', '/healthz', { headers: { 'X-Padding': 'x'.repeat(9000) } }), 431);
    checkComponentResponse('BadRequest', 'GET', await server.raw('NOT A REQUEST\r\n\r\n'), 400);
});

test('POST /telemetry/heartbeat', async () => {
    const op = 'POST /telemetry/heartbeat';
    const path = '/telemetry/heartbeat';
    const good = { installId: 'i-conformance-1', userId: 'u-1', platform: 'android', appVersion: '2.1.0', region: 'cn' };
    await call({ op, path, json: good, status: 200 });
    await call({ op, path, json: { installId: 'i-conformance-2' }, headers: user, status: 200 });
    await call({ op, path, json: good, gzip: true, status: 200 });
    await call({ op, path, json: { installId: 'short' }, status: 400 });
    await call({ op, path, json: { installId: 'i-conformance-1', platform: 'symbian' }, status: 400 });
    await call({ op, path, json: { installId: 'i-conformance-1', region: 'CHN' }, status: 400 });
    await call({ op, path, json: { userId: 'u-1' }, status: 400 });
    await call({ op, path, json: [good], status: 400 });
    await call({ op, path, body: '{"installId":', headers: { 'Content-Type': 'application/json' }, status: 400 });
    await call({ op, path, json: good, headers: forged, status: 401 });
    await call({ op, path, json: { ...good, pad: 'x'.repeat(5000) }, status: 413, unchecked: true /* over the limit: not read */ });
    await call({ op, path, body: JSON.stringify(good), headers: { 'Content-Type': 'text/plain' }, status: 415 });
    await call({ op, path, body: JSON.stringify(good), headers: { 'Content-Type': 'application/json', 'Content-Encoding': 'br' }, status: 415 });
});

test('contract: userId and the short texts are counted in characters, not bytes', async () => {
    const wide = 'é'.repeat(100); // 100 characters, 200 bytes of UTF-8
    await call({ op: 'POST /telemetry/heartbeat', path: '/telemetry/heartbeat', json: { installId: 'i-conformance-1', userId: wide, appVersion: wide }, status: 200 });
    const res = await call({ op: 'POST /telemetry/events', path: '/telemetry/events', status: 200,
        json: { context: { installId: 'i-conformance-1', osVersion: wide }, events: [{ eventName: 'page_view', eventId: 'é'.repeat(40) }] } });
    assert.deepEqual(res.json().rejected, []);
});

test('docs/API.md: appVersion of a heartbeat has no control characters', async () => {
    await call({ op: 'POST /telemetry/heartbeat', path: '/telemetry/heartbeat', json: { installId: 'i-conformance-1', appVersion: '2.1\u0001' }, status: 400 });
});

test('GET /telemetry/online', async () => {
    await sleep(1100); // a count cached before the heartbeats (for at most 1 s) has expired
    const res = await call({ op: 'GET /telemetry/online', path: '/telemetry/online', status: 200 });
    assert.ok(res.json().online >= 2, `${res.json().online} online after heartbeats of 2 actors`);
});

test('POST /telemetry/events', async () => {
    const op = 'POST /telemetry/events';
    const path = '/telemetry/events';
    const now = Date.now();
    const batch = {
        context: { installId: 'i-conformance-1', userId: 'u-1', platform: 'android', appVersion: '2.1.0', osVersion: '14', deviceModel: 'Pixel 8', region: 'CN', sessionId: 's-1' },
        events: [
            { eventId: 'e-1', eventName: 'app_session_start', timestamp: new Date(now).toISOString(), properties: { coldStart: true } },
            { eventId: 'e-2', eventName: 'page_view', timestamp: now - 1000, properties: { page: '/coupons', nested: { a: [1, 2.5] } } },
            { eventName: 'page_view', platform: 'ios', region: 'us' },
            // Schema-valid, refused by a rule the schema cannot state (10 minutes ahead at most).
            { eventName: 'page_view', timestamp: now + 3600 * 1000 },
        ],
    };
    const res = await call({ op, path, json: batch, status: 200 });
    assert.deepEqual([res.json().accepted, res.json().duplicates, res.json().rejected.length], [3, 0, 1]);
    const again = await call({ op, path, json: { ...batch, events: batch.events.slice(0, 2) }, headers: user, status: 200 });
    assert.equal(again.json().duplicates, 2);
    await call({ op, path, json: { events: [{ installId: 'i-conformance-3', eventName: 'app_session_start' }] }, gzip: true, status: 200 });
    await call({ op, path, json: { context: batch.context, events: [] }, status: 400 });
    await call({ op, path, json: { context: batch.context, events: Array(501).fill({ eventName: 'x' }) }, status: 400 });
    await call({ op, path, json: { context: { installId: 'bad id' }, events: batch.events }, status: 400 });
    await call({ op, path, json: { events: 'none' }, status: 400 });
    await call({ op, path, json: batch, headers: forged, status: 401 });
    await call({ op, path, json: { ...batch, pad: 'x'.repeat(1024 * 1024) }, status: 413, unchecked: true /* not read */ });
    await call({ op, path, body: JSON.stringify(batch), headers: { 'Content-Type': 'text/plain' }, status: 415 });
});

test('versionCode on heartbeats and events (contract 1.1, versions in telemetry)', async () => {
    const hb = { op: 'POST /telemetry/heartbeat', path: '/telemetry/heartbeat' };
    await call({ ...hb, json: { installId: 'i-versions-0', platform: 'android', versionCode: 210 }, status: 200 });
    await call({ ...hb, json: { installId: 'i-versions-0', platform: 'android', versionCode: null }, status: 200 });
    await call({ ...hb, json: { installId: 'i-versions-0', versionCode: -1 }, status: 400 });
    await call({ ...hb, json: { installId: 'i-versions-0', versionCode: 2147483648 }, status: 400 });
    await call({ ...hb, json: { installId: 'i-versions-0', versionCode: '210' }, status: 400 });
    await call({ ...hb, body: '{"installId":"i-versions-0","versionCode":2.0}', headers: { 'Content-Type': 'application/json' }, status: 400, blind: true /* an integral number not written as an integer */ });

    const op = 'POST /telemetry/events';
    const path = '/telemetry/events';
    const res = await call({ op, path, status: 200, json: {
        context: { installId: 'i-versions-0', platform: 'android', versionCode: 210 },
        events: [{ eventId: 'v-1', eventName: 'page_view' }, { eventId: 'v-2', eventName: 'page_view', versionCode: 220 }, { eventId: 'v-3', eventName: 'page_view', versionCode: null }],
    } });
    assert.deepEqual([res.json().accepted, res.json().rejected], [3, []]);
    await call({ op, path, json: { context: { installId: 'i-versions-0', versionCode: 1.5 }, events: [{ eventName: 'page_view' }] }, status: 400 });
    await call({ op, path, json: { context: { installId: 'i-versions-0', versionCode: '210' }, events: [{ eventName: 'page_view' }] }, status: 400 });
    const one = await call({ op, path, status: 200, unchecked: true /* a bad event is refused on its own: the document calls the whole batch invalid */,
        json: { context: { installId: 'i-versions-0' }, events: [{ eventName: 'page_view', versionCode: -1 }] } });
    assert.deepEqual([one.json().accepted, one.json().rejected.map((r) => r.field)], [0, ['events[0].versionCode']]);

    const listed = await call({ op: 'GET /admin/telemetry/events', path: '/admin/telemetry/events?installId=i-versions-0', headers: admin, status: 200 });
    const codes = Object.fromEntries(listed.json().events.map((e) => [e.eventId, e.versionCode]));
    assert.deepEqual(codes, { 'v-1': 210, 'v-2': 220, 'v-3': 210 });
});

test('contract 1.1: properties is measured on its bytes as received, whitespace included', async () => {
    // 8,008 bytes compact, 8,508 as sent.
    const body = `{"events":[{"installId":"i-conformance-1","eventName":"page_view","properties":{"k":"${'x'.repeat(8000)}"${' '.repeat(500)}}}]}`;
    const res = await call({ op: 'POST /telemetry/events', path: '/telemetry/events', body, headers: { 'Content-Type': 'application/json' }, status: 200 });
    assert.deepEqual(res.json().rejected.map((r) => r.field), ['events[0].properties']);
});

test('GET /admin/telemetry/realtime', async () => {
    const op = 'GET /admin/telemetry/realtime';
    const res = await call({ op, path: '/admin/telemetry/realtime', headers: admin, status: 200 });
    assert.ok(res.json().dauApprox >= 1);
    await call({ op, path: '/admin/telemetry/realtime', status: 401 });
    await call({ op, path: '/admin/telemetry/realtime', headers: forged, status: 401 });
    await call({ op, path: '/admin/telemetry/realtime', headers: user, status: 403 });
});

test('GET /admin/jobs and POST /admin/jobs/{name}/run', async () => {
    await call({ op: 'GET /admin/jobs', path: '/admin/jobs', headers: admin, status: 200 });
    await call({ op: 'GET /admin/jobs', path: '/admin/jobs', status: 401 });
    await call({ op: 'GET /admin/jobs', path: '/admin/jobs', headers: user, status: 403 });
    const op = 'POST /admin/jobs/{name}/run';
    for (const name of ['online-snapshot', 'cleanup', 'nightly-dau', 'rolling-dau', 'rollout']) {
        await call({ op, path: `/admin/jobs/${name}/run`, headers: admin, status: 200 });
    }
    await call({ op, path: `/admin/jobs/nightly-dau/run?day=${day(-1)}`, headers: admin, status: 200 });
    await call({ op, path: `/admin/jobs/nightly-dau/run?day=${day(0)}`, headers: admin, status: 400, blind: true /* before today */ });
    await call({ op, path: '/admin/jobs/nightly-dau/run?day=tomorrow', headers: admin, status: 400 });
    await call({ op, path: `/admin/jobs/cleanup/run?day=${day(-1)}`, headers: admin, status: 400, blind: true /* nightly-dau only */ });
    await call({ op, path: '/admin/jobs/no-such-job/run', headers: admin, status: 404 });
    await call({ op, path: '/admin/jobs/cleanup/run', status: 401 });
    await call({ op, path: '/admin/jobs/cleanup/run', headers: user, status: 403 });
    const listed = await call({ op: 'GET /admin/jobs', path: '/admin/jobs', headers: admin, status: 200 });
    assert.ok(listed.json().jobs.every((j) => j.lastRunAt !== null));
});

test('GET /admin/webhooks/deliveries and POST /admin/webhooks/ping', async () => {
    const list = 'GET /admin/webhooks/deliveries';
    const ping = 'POST /admin/webhooks/ping';
    await call({ op: list, path: '/admin/webhooks/deliveries', headers: admin, status: 200 });
    await call({ op: list, path: '/admin/webhooks/deliveries?limit=0', headers: admin, status: 400 });
    await call({ op: list, path: '/admin/webhooks/deliveries?limit=501', headers: admin, status: 400 });
    await call({ op: list, path: '/admin/webhooks/deliveries', status: 401 });
    await call({ op: list, path: '/admin/webhooks/deliveries', headers: user, status: 403 });
    await call({ op: ping, path: '/admin/webhooks/ping', headers: admin, status: 409 }); // no BEACON_WEBHOOK_URL
    await call({ op: ping, path: '/admin/webhooks/ping', status: 401 });
    await call({ op: ping, path: '/admin/webhooks/ping', headers: user, status: 403 });
    // With a URL (nothing listens there: the delivery fails and waits for its retry).
    const srv = new BeaconServer(BINARY, { BEACON_WEBHOOK_URL: 'http://127.0.0.1:9/hook', BEACON_WEBHOOK_SECRET: 'conformance' });
    try {
        await srv.start();
        const queued = await call({ srv, op: ping, path: '/admin/webhooks/ping', headers: admin, status: 202 });
        assert.equal(queued.json().type, 'ping');
        const listed = await call({ srv, op: list, path: '/admin/webhooks/deliveries?limit=1', headers: admin, status: 200 });
        assert.equal(listed.json().deliveries[0].id, queued.json().id);
    } finally {
        const code = await srv.stop();
        srv.remove();
        assert.equal(code, 0, 'the webhook beacon did not exit 0 on SIGTERM');
    }
});

test('GET /admin/telemetry/dau', async () => {
    const op = 'GET /admin/telemetry/dau';
    const res = await call({ op, path: '/admin/telemetry/dau', headers: admin, status: 200 });
    assert.ok(res.json().days.length >= 1, 'no day listed after the rolling job ran');
    await call({ op, path: `/admin/telemetry/dau?from=${day(-7)}&to=${day(0)}`, headers: admin, status: 200 });
    await call({ op, path: `/admin/telemetry/dau?from=${day(0)}&to=${day(-1)}`, headers: admin, status: 400, blind: true /* order */ });
    await call({ op, path: `/admin/telemetry/dau?from=${day(-400)}&to=${day(0)}`, headers: admin, status: 400, blind: true /* 366 days */ });
    await call({ op, path: '/admin/telemetry/dau?from=last-week', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/dau', status: 401 });
    await call({ op, path: '/admin/telemetry/dau', headers: user, status: 403 });
});

test('GET /admin/telemetry/events', async () => {
    const op = 'GET /admin/telemetry/events';
    const first = await call({ op, path: '/admin/telemetry/events?limit=1', headers: admin, status: 200 });
    const cursor = first.json().nextCursor;
    assert.ok(cursor, 'no nextCursor on a page of 1 of several events');
    await call({ op, path: `/admin/telemetry/events?limit=500&cursor=${encodeURIComponent(cursor)}`, headers: admin, status: 200 });
    const from = new Date(Date.now() - 3600e3).toISOString();
    await call({ op, path: `/admin/telemetry/events?eventName=page_view&installId=i-conformance-1&userId=u-1&from=${from}&to=${Date.now() + 1000}`, headers: admin, status: 200 });
    await call({ op, path: '/admin/telemetry/events?limit=0', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/events?limit=501', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/events?from=2026-11-25T08:00:00', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/events?cursor=bogus', headers: admin, status: 400, blind: true /* opaque cursor */ });
    await call({ op, path: '/admin/telemetry/events', status: 401 });
    await call({ op, path: '/admin/telemetry/events', headers: user, status: 403 });
});

test('GET /admin/telemetry/online/history', async () => {
    const op = 'GET /admin/telemetry/online/history';
    const res = await call({ op, path: '/admin/telemetry/online/history?interval=1m', headers: admin, status: 200 });
    assert.ok(res.json().points.length >= 1, 'no point after the snapshot job ran');
    await call({ op, path: '/admin/telemetry/online/history', headers: admin, status: 200 });
    await call({ op, path: `/admin/telemetry/online/history?interval=1h&from=${Date.now() - 86400e3}&to=${new Date().toISOString()}`, headers: admin, status: 200 });
    await call({ op, path: '/admin/telemetry/online/history?interval=2m', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/online/history?interval=1m&from=0', headers: admin, status: 400, blind: true /* 10,000 buckets */ });
    await call({ op, path: '/admin/telemetry/online/history?from=noon', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/online/history', status: 401 });
    await call({ op, path: '/admin/telemetry/online/history', headers: user, status: 403 });
});

// Filled by the upload test, used by the versions tests.
const artifacts = {};

test('POST /admin/versions/upload', async () => {
    const op = 'POST /admin/versions/upload';
    const path = '/admin/versions/upload';
    const apk = buildApk(work, 'app.apk', { versionCode: 210 });
    const raw = { ...admin, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'app-release.apk' };
    const created = await call({ op, path, body: apk, headers: raw, status: 201 });
    artifacts.apk = created.json().artifact;
    assert.equal(created.json().detected.versionCode, 210);
    await call({ op, path, body: apk, headers: { ...raw, 'X-File-Name': 'renamed.apk' }, status: 200 });

    const apk2 = buildApk(work, 'app2.apk', { versionCode: 220, versionName: '2.2.0' });
    const viaType = await call({ op, path, body: apk2, headers: { ...admin, 'Content-Type': 'application/vnd.android.package-archive', 'X-File-Name': 'app2.apk' }, status: 201 });
    artifacts.apk2 = viaType.json().artifact;

    const ipa = buildIpa(work, 'app.ipa', { CFBundleIdentifier: 'com.example.conformance.ios', CFBundleVersion: '42', CFBundleShortVersionString: '4.2.0', MinimumOSVersion: '15.0' });
    const boundary = 'conformance-boundary';
    const mp = await call({ op, path, body: multipart(boundary, 'file', 'App.ipa', ipa), headers: { ...admin, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, status: 201 });
    artifacts.ipa = mp.json().artifact;
    assert.equal(mp.json().detected.platform, 'ios');

    const zip = await call({ op, path, body: buildZip(work, 'plain.zip', 'not a package'), headers: { ...raw, 'X-File-Name': 'plain.zip' }, status: 201 });
    assert.equal(zip.json().detected, null);

    await call({ op, path, body: 'this is not a zip archive', headers: raw, status: 422 });
    await call({ op, path, body: Buffer.from('--conformance-boundary\r\nContent-Disposition: form-data; name="file"; filename="a.apk"\r\n\r\nPK'), headers: { ...admin, 'Content-Type': `multipart/form-data; boundary=${boundary}` }, status: 400, blind: true /* truncated multipart */ });
    await call({ op, path, body: apk, headers: { ...admin, 'Content-Type': 'text/plain' }, status: 415 });
    await call({ op, path, body: apk, headers: { 'Content-Type': 'application/octet-stream', 'X-File-Name': 'app-release.apk' }, status: 401 });
    await call({ op, path, body: apk, headers: { ...raw, ...user }, status: 403 });

    const tooLarge = await server.headersOnly('POST', path, { ...raw, 'Content-Length': String(MAX_ARTIFACT + 1) });
    const problems = contract.responseProblems(op, 'POST', tooLarge);
    contract.record(op, tooLarge.status);
    assert.deepEqual([tooLarge.status, problems], [413, []], describe(tooLarge));
});

test('contract 1.1: a missing Info.plist key gives null in detected, never a refusal', async () => {
    const ipa = buildIpa(work, 'nokeys.ipa', { CFBundleShortVersionString: '1.0' });
    const res = await call({ op: 'POST /admin/versions/upload', path: '/admin/versions/upload', body: ipa, headers: { ...admin, 'Content-Type': 'application/octet-stream', 'X-File-Name': 'nokeys.ipa' }, status: 201 });
    assert.equal(res.json().detected.packageName, null);
});

const versions = {};

test('POST /admin/versions', async () => {
    const op = 'POST /admin/versions';
    const path = '/admin/versions';
    const res = await call({ op, path, headers: admin, status: 201, json: { platform: 'android', versionCode: 210, versionName: '2.1.0', changelog: 'First', artifactKey: artifacts.apk.key, minSupportedVersionCode: 100, releasedAt: '2026-01-01T00:00:00+01:00' } });
    versions.apk = res.json();
    assert.equal(res.headers.location, `/admin/versions/${versions.apk.id}`);
    versions.apk2 = (await call({ op, path, headers: admin, status: 201, json: { platform: 'android', versionCode: 220, versionName: '2.2.0', artifactKey: artifacts.apk2.key, rolloutPercent: 50, releasedAt: Date.now() } })).json();
    versions.external = (await call({ op, path, headers: admin, status: 201, json: { platform: 'ios', versionCode: 42, versionName: '4.2.0', channel: 'beta', externalUrl: 'https://apps.example.com/app/42' } })).json();
    versions.draft = (await call({ op, path, headers: admin, status: 201, json: { platform: 'ios', versionCode: 43, versionName: '4.3.0', isEnabled: false } })).json();

    await call({ op, path, headers: admin, status: 409, json: { platform: 'android', versionCode: 210, versionName: 'again' } });
    await call({ op, path, headers: admin, status: 422, json: { platform: 'android', versionCode: 230, versionName: '2.3.0', artifactKey: `android/${'0'.repeat(64)}.apk` } });
    await call({ op, path, headers: admin, status: 422, json: { platform: 'ios', versionCode: 44, versionName: '4.4.0', artifactKey: artifacts.ipa.key, externalUrl: 'https://apps.example.com/app/44' } });
    await call({ op, path, headers: admin, status: 422, json: { platform: 'android', versionCode: 210, versionName: '2.1.0', channel: 'beta', artifactKey: artifacts.apk2.key } });
    await call({ op, path, headers: admin, status: 422, json: { platform: 'android', versionCode: 5, versionName: '0.5', minSupportedVersionCode: 6 } });
    await call({ op, path, headers: admin, status: 400, json: { platform: 'android', versionCode: 5 } });
    await call({ op, path, headers: admin, status: 400, json: { platform: 'web', versionCode: 5, versionName: '0.5' } });
    await call({ op, path, headers: admin, status: 400, json: { platform: 'android', versionCode: 5, versionName: '0.5', rolloutPercent: 101 } });
    await call({ op, path, headers: admin, status: 400, json: { platform: 'android', versionCode: 5, versionName: '0.5', channel: 'Beta!' } });
    await call({ op, path, headers: admin, status: 400, json: { platform: 'android', versionCode: -1, versionName: '0.5' } });
    await call({ op, path, headers: admin, status: 400, json: { platform: 'android', versionCode: 5, versionName: '0.5', externalUrl: 'ftp://example.com/x' } });
    await call({ op, path, headers: { ...admin, 'Content-Type': 'application/json' }, status: 400, body: '{"platform"' });
    await call({ op, path, headers: { ...admin, 'Content-Type': 'text/plain' }, status: 415, body: '{}' });
    await call({ op, path, headers: admin, status: 413, json: { changelog: 'x'.repeat(70000) }, unchecked: true /* not read */ });
    await call({ op, path, status: 401, json: { platform: 'android', versionCode: 5, versionName: '0.5' } });
    await call({ op, path, headers: user, status: 403, json: { platform: 'android', versionCode: 5, versionName: '0.5' } });
});

test('GET /admin/versions', async () => {
    const op = 'GET /admin/versions';
    const all = await call({ op, path: '/admin/versions', headers: admin, status: 200 });
    assert.equal(all.json().versions.length, 4);
    const page = await call({ op, path: '/admin/versions?limit=1', headers: admin, status: 200 });
    await call({ op, path: `/admin/versions?limit=1&cursor=${encodeURIComponent(page.json().nextCursor)}`, headers: admin, status: 200 });
    await call({ op, path: '/admin/versions?platform=ios&channel=beta&isEnabled=true', headers: admin, status: 200 });
    await call({ op, path: '/admin/versions?platform=web', headers: admin, status: 400 });
    await call({ op, path: '/admin/versions?isEnabled=maybe', headers: admin, status: 400 });
    await call({ op, path: '/admin/versions?limit=0', headers: admin, status: 400 });
    await call({ op, path: '/admin/versions?channel=Beta!', headers: admin, status: 400 });
    await call({ op, path: '/admin/versions?cursor=bogus', headers: admin, status: 400, blind: true /* opaque cursor */ });
    await call({ op, path: '/admin/versions', status: 401 });
    await call({ op, path: '/admin/versions', headers: user, status: 403 });
});

test('GET, PATCH /admin/versions/{id}; POST /admin/versions/{id}/toggle', async () => {
    const op = 'GET /admin/versions/{id}';
    const got = await call({ op, path: `/admin/versions/${versions.apk.id}`, headers: admin, status: 200 });
    assert.equal(got.headers.etag, `"${versions.apk.revision}"`);
    await call({ op, path: '/admin/versions/999999', headers: admin, status: 404 });
    await call({ op, path: '/admin/versions/abc', headers: admin, status: 404 });
    await call({ op, path: `/admin/versions/${versions.apk.id}`, status: 401 });
    await call({ op, path: `/admin/versions/${versions.apk.id}`, headers: user, status: 403 });

    const patch = 'PATCH /admin/versions/{id}';
    const id = versions.apk.id;
    const p1 = await call({ op: patch, path: `/admin/versions/${id}`, headers: { ...admin, 'If-Match': got.headers.etag }, json: { changelog: 'Second', rolloutPercent: 100 }, status: 200 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: admin, json: { changelog: null, externalUrl: null }, status: 200 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: { ...admin, 'If-Match': got.headers.etag }, json: { changelog: 'stale' }, status: 412 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: { ...admin, 'If-Match': 'yesterday' }, json: {}, status: 400 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: admin, json: { rolloutPercent: -1 }, status: 400 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: admin, json: { isEnabled: 'yes' }, status: 400 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: admin, json: { minSupportedVersionCode: 999 }, status: 422 });
    await call({ op: patch, path: `/admin/versions/${versions.draft.id}`, headers: admin, json: { versionCode: 42, channel: 'beta' }, status: 409 });
    await call({ op: patch, path: '/admin/versions/999999', headers: admin, json: {}, status: 404 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: { ...admin, 'Content-Type': 'text/plain' }, body: '{}', status: 415 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: admin, json: { changelog: 'x'.repeat(70000) }, status: 413, unchecked: true /* not read */ });
    await call({ op: patch, path: `/admin/versions/${id}`, json: {}, status: 401 });
    await call({ op: patch, path: `/admin/versions/${id}`, headers: user, json: {}, status: 403 });

    const toggle = 'POST /admin/versions/{id}/toggle';
    const t1 = await call({ op: toggle, path: `/admin/versions/${versions.draft.id}/toggle`, headers: admin, status: 200 });
    await call({ op: toggle, path: `/admin/versions/${versions.draft.id}/toggle`, headers: { ...admin, 'If-Match': t1.headers.etag }, status: 200 });
    await call({ op: toggle, path: `/admin/versions/${versions.draft.id}/toggle`, headers: { ...admin, 'If-Match': t1.headers.etag }, status: 412 });
    await call({ op: toggle, path: `/admin/versions/${versions.draft.id}/toggle`, headers: { ...admin, 'If-Match': '"x"' }, status: 400 });
    await call({ op: toggle, path: '/admin/versions/999999/toggle', headers: admin, status: 404 });
    await call({ op: toggle, path: `/admin/versions/${id}/toggle`, status: 401 });
    await call({ op: toggle, path: `/admin/versions/${id}/toggle`, headers: user, status: 403 });
    assert.ok(p1.json().revision > versions.apk.revision);
});

// Filled by the download test: a signed /files link of versions.apk2.
let fileLink;

test('GET /app/version/check', async () => {
    const op = 'GET /app/version/check';
    const offered = await call({ op, path: '/app/version/check?platform=android&current_version_code=200', status: 200 });
    assert.equal(offered.json().latest.id, versions.apk.id, 'without installId only versions at 100% cover');
    let staged;
    for (let i = 0; i < 200 && !staged; ++i) {
        const r = await call({ op, path: `/app/version/check?platform=android&current_version_code=200&installId=i-rollout-${String(i).padStart(4, '0')}`, status: 200 });
        staged = r.json().latest?.id === versions.apk2.id ? r.json() : undefined;
    }
    assert.ok(staged, 'no install of 200 was inside the 50% rollout');
    fileLink = new URL(staged.latest.downloadUrl);
    await call({ op, path: '/app/version/check?platform=ANDROID&current_version_code=200', status: 200, unchecked: true /* any case: the document lists lower case */ });
    const forced = await call({ op, path: '/app/version/check?platform=android&current_version_code=1', status: 200 });
    assert.equal(forced.json().forceUpdate, true, 'below minSupportedVersionCode, the update is not forced');
    await call({ op, path: '/app/version/check?platform=ios&current_version_code=1&channel=beta', headers: user, status: 200 });
    const none = await call({ op, path: '/app/version/check?platform=android&current_version_code=999', status: 200 });
    assert.equal(none.json().latest, null);
    await call({ op, path: '/app/version/check?platform=android&currentVersionCode=200', status: 200, unchecked: true /* the camelCase alias alone */ });
    await call({ op, path: '/app/version/check?platform=web&current_version_code=1', status: 400 });
    await call({ op, path: '/app/version/check?platform=android&current_version_code=-1', status: 400 });
    await call({ op, path: '/app/version/check?platform=android&current_version_code=1.5', status: 400 });
    await call({ op, path: '/app/version/check?current_version_code=1', status: 400 });
    await call({ op, path: '/app/version/check?platform=android', status: 400 });
});

test('contract 1.1: the update check has an ETag, a 304 on If-None-Match, and signed offers', async () => {
    const op = 'GET /app/version/check';
    const path = '/app/version/check?platform=android&current_version_code=200';
    const first = await call({ op, path, status: 200 });
    const etag = first.headers.etag;
    assert.match(etag, /^"[0-9a-f]{32}"$/);
    assert.equal(first.headers['cache-control'], 'private, no-cache');
    // The signed answer changes once a window: a 200 here means it moved.
    let again = await srv304(op, path, etag);
    if (again.status === 200) {
        again = await srv304(op, path, again.headers.etag);
    }
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    await call({ op, path, headers: { 'If-None-Match': '"0000"' }, status: 200 });

    const keysOp = 'GET /app/version/signing-keys';
    const keys = await call({ op: keysOp, path: '/app/version/signing-keys', status: 200 });
    assert.equal(keys.json().keys[0].keyId, first.json().latest.signature.keyId);
});

async function srv304(op, path, etag) {
    const r = await server.request('GET', path, { headers: { 'If-None-Match': etag } });
    if (r.status === 304) {
        return call({ op, path, headers: { 'If-None-Match': etag }, status: 304 });
    }
    return r;
}

test('contract 1.1: forceAfterDays is 1 to 3650 or null', async () => {
    const op = 'POST /admin/versions';
    const base = { platform: 'android', versionName: 'stale', channel: 'stale', externalUrl: 'https://example.com/stale' };
    const made = await call({ op, path: '/admin/versions', headers: admin, json: { ...base, versionCode: 5, forceAfterDays: 30 }, status: 201 });
    assert.equal(made.json().forceAfterDays, 30);
    await call({ op, path: '/admin/versions', headers: admin, json: { ...base, versionCode: 6, forceAfterDays: 0 }, status: 400 });
    await call({ op, path: '/admin/versions', headers: admin, json: { ...base, versionCode: 6, forceAfterDays: 3651 }, status: 400 });
    const patch = 'PATCH /admin/versions/{id}';
    const cleared = await call({ op: patch, path: `/admin/versions/${made.json().id}`, headers: admin, json: { forceAfterDays: null }, status: 200 });
    assert.equal(cleared.json().forceAfterDays, null);
    await call({ op: patch, path: `/admin/versions/${made.json().id}`, headers: admin, json: { forceAfterDays: 1.5 }, status: 400 });
});

test('contract 1.1: an invalid Bearer token is a 401 on the update check', async () => {
    await call({ op: 'GET /app/version/check', path: '/app/version/check?platform=android&current_version_code=1', headers: forged, status: 401 });
});

test('GET /admin/versions/{id}/download and GET, HEAD /files/{kind}/{name}', async () => {
    const op = 'GET /admin/versions/{id}/download';
    const res = await call({ op, path: `/admin/versions/${versions.apk.id}/download`, headers: admin, status: 302 });
    const link = new URL(res.headers.location);
    const external = await call({ op, path: `/admin/versions/${versions.external.id}/download`, headers: admin, status: 302 });
    assert.equal(external.headers.location, 'https://apps.example.com/app/42');
    await call({ op, path: `/admin/versions/${versions.draft.id}/download`, headers: admin, status: 404 });
    await call({ op, path: '/admin/versions/999999/download', headers: admin, status: 404 });
    await call({ op, path: `/admin/versions/${versions.apk.id}/download`, status: 401 });
    await call({ op, path: `/admin/versions/${versions.apk.id}/download`, headers: user, status: 403 });

    const get = 'GET /files/{kind}/{name}';
    const target = `${link.pathname}${link.search}`;
    const whole = await call({ op: get, path: target, status: 200 });
    assert.equal(whole.body.length, artifacts.apk.fileSize);
    assert.equal(whole.headers.etag, `"${artifacts.apk.sha256}"`);
    const part = await call({ op: get, path: target, headers: { Range: 'bytes=0-99' }, status: 206 });
    assert.equal(part.body.length, 100);
    await call({ op: get, path: target, headers: { Range: `bytes=${artifacts.apk.fileSize}-` }, status: 416 });
    await call({ op: get, path: target, headers: { Range: 'bytes=0-1', 'If-Range': '"other"' }, status: 200 });
    await call({ op: 'HEAD /files/{kind}/{name}', path: target, status: 200 });
    await call({ op: 'HEAD /files/{kind}/{name}', path: target, headers: { Range: 'bytes=10-19' }, status: 206 });
    await call({ op: 'HEAD /files/{kind}/{name}', path: target, headers: { Range: `bytes=${artifacts.apk.fileSize}-` }, status: 416 });
    await call({ op: get, path: `${link.pathname}?expires=${link.searchParams.get('expires')}&sig=${'0'.repeat(64)}`, status: 403 });
    await call({ op: get, path: link.pathname, status: 403 });
    await call({ op: get, path: `/files/android/%zz.apk${link.search}`, status: 400 });
    await call({ op: 'HEAD /files/{kind}/{name}', path: `${link.pathname}?expires=1&sig=${link.searchParams.get('sig')}`, status: 403 });
    await call({ op: get, path: `${fileLink.pathname}${fileLink.search}`, status: 200 });
});

test('DELETE /admin/versions/{id}', async () => {
    const op = 'DELETE /admin/versions/{id}';
    const current = (await call({ op: 'GET /admin/versions/{id}', path: `/admin/versions/${versions.apk2.id}`, headers: admin, status: 200 })).headers.etag;
    await call({ op, path: `/admin/versions/${versions.apk2.id}`, headers: { ...admin, 'If-Match': '"999"' }, status: 412 });
    await call({ op, path: `/admin/versions/${versions.apk2.id}`, headers: { ...admin, 'If-Match': 'W/x' }, status: 400 });
    await call({ op, path: `/admin/versions/${versions.apk2.id}`, status: 401 });
    await call({ op, path: `/admin/versions/${versions.apk2.id}`, headers: user, status: 403 });
    await call({ op, path: `/admin/versions/${versions.apk2.id}`, headers: { ...admin, 'If-Match': current }, status: 204 });
    await call({ op, path: `/admin/versions/${versions.apk2.id}`, headers: admin, status: 404 });
    // Its artifact was used by no other version: it is gone, and so are its links.
    await call({ op: 'GET /files/{kind}/{name}', path: `${fileLink.pathname}${fileLink.search}`, status: 404 });
    await call({ op: 'HEAD /files/{kind}/{name}', path: `${fileLink.pathname}${fileLink.search}`, status: 404 });
});

// Session starts at the versions of the catalog (versions.apk: android 210)
// and beside them, for the reports of versions in telemetry.
async function sendVersionedSessions() {
    const heartbeat = (installId, versionCode) => call({ op: 'POST /telemetry/heartbeat', path: '/telemetry/heartbeat', status: 200,
        json: { installId, platform: 'android', ...(versionCode === undefined ? {} : { versionCode }) } });
    await heartbeat('i-versions-1', 210);
    await heartbeat('i-versions-2', 200);
    await heartbeat('i-versions-3');
    const res = await call({ op: 'POST /telemetry/events', path: '/telemetry/events', status: 200, json: { context: { platform: 'android' }, events: [
        { installId: 'i-versions-1', eventName: 'app_session_start', versionCode: 210 },
        { installId: 'i-versions-2', eventName: 'app_session_start', versionCode: 200 },
        { installId: 'i-versions-3', eventName: 'app_session_start' },
    ] } });
    assert.equal(res.json().accepted, 3);
}

test('GET /admin/telemetry/versions', async () => {
    const op = 'GET /admin/telemetry/versions';
    await sendVersionedSessions();
    const res = await call({ op, path: '/admin/telemetry/versions?platform=android', headers: admin, status: 200 });
    const rows = res.json().versions;
    const codes = rows.map((r) => r.versionCode);
    assert.deepEqual(codes, [...codes.filter((c) => c !== null).sort((a, b) => b - a), ...codes.filter((c) => c === null)],
        'not highest versionCode first, null last');
    const v210 = rows.find((r) => r.versionCode === 210);
    assert.ok(v210 && v210.online >= 1 && v210.dauApprox >= 1, JSON.stringify(rows));
    assert.equal(v210.versionName, '2.1.0', 'the catalog name of android 210');
    assert.equal(rows.find((r) => r.versionCode === 200)?.versionName, null);
    assert.ok(codes.includes(null), 'no null group after a heartbeat without versionCode');
    await call({ op, path: '/admin/telemetry/versions?platform=web', headers: admin, status: 200 });
    await call({ op, path: '/admin/telemetry/versions?platform=Android', headers: admin, status: 200, unchecked: true /* any case: the document lists lower case */ });
    await call({ op, path: '/admin/telemetry/versions', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/versions?platform=symbian', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/versions?platform=android', status: 401 });
    await call({ op, path: '/admin/telemetry/versions?platform=android', headers: forged, status: 401 });
    await call({ op, path: '/admin/telemetry/versions?platform=android', headers: user, status: 403 });
});

test('GET /admin/telemetry/versions/below', async () => {
    const op = 'GET /admin/telemetry/versions/below';
    const path = '/admin/telemetry/versions/below';
    const res = await call({ op, path: `${path}?platform=android&versionCode=210`, headers: admin, status: 200 });
    const r = res.json();
    assert.equal(r.days, 7, 'days defaults to 7');
    assert.ok(r.actors >= 3 && r.below >= 1 && r.unknown >= 1, JSON.stringify(r));
    assert.equal(r.share, Math.round((r.below / r.actors) * 1e6) / 1e6);
    await call({ op, path: `${path}?platform=android&versionCode=0&days=1`, headers: admin, status: 200 });
    await call({ op, path: `${path}?platform=ios&versionCode=2147483647&days=90`, headers: admin, status: 200 });
    await call({ op, path: `${path}?platform=IOS&versionCode=1`, headers: admin, status: 200, unchecked: true /* any case: the document lists lower case */ });
    await call({ op, path: `${path}?versionCode=210`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=symbian&versionCode=210`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=android`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=android&versionCode=-1`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=android&versionCode=2147483648`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=android&versionCode=abc`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=android&versionCode=210&days=0`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=android&versionCode=210&days=91`, headers: admin, status: 400 });
    await call({ op, path: `${path}?platform=android&versionCode=210`, status: 401 });
    await call({ op, path: `${path}?platform=android&versionCode=210`, headers: user, status: 403 });
});

test('GET /admin/versions/{id}/health', async () => {
    const op = 'GET /admin/versions/{id}/health';
    const path = `/admin/versions/${versions.apk.id}/health`;
    const res = await call({ op, path, headers: admin, status: 200 });
    assert.equal(res.json().version.versionCode, 210);
    assert.ok(['healthy', 'unhealthy', 'insufficient-data'].includes(res.json().verdict), JSON.stringify(res.json()));
    await call({ op, path: `${path}?window=1h`, headers: admin, status: 200 });
    await call({ op, path: `${path}?window=30d`, headers: admin, status: 200 });
    await call({ op, path: `${path}?window=59m`, headers: admin, status: 400, blind: true /* 1 h..30 d */ });
    await call({ op, path: `${path}?window=soon`, headers: admin, status: 400, blind: true /* duration syntax */ });
    await call({ op, path: '/admin/versions/999999/health', headers: admin, status: 404 });
    await call({ op, path, status: 401 });
    await call({ op, path, headers: user, status: 403 });
});

test('GET /admin/versions/{id}/rollout; POST .../rollout/pause, resume, advance', async () => {
    const create = 'POST /admin/versions';
    const planned = (await call({ op: create, path: '/admin/versions', headers: admin, status: 201,
        json: { platform: 'android', versionCode: 5000, versionName: '5.0', channel: 'rollout', externalUrl: 'https://apps.example.com/5000',
                rolloutPlan: { steps: [10, 50, 100], stepEvery: '1h' } } })).json();
    assert.equal(planned.rolloutState, 'running');
    assert.equal(planned.rolloutPercent, 10);
    await call({ op: 'PATCH /admin/versions/{id}', path: `/admin/versions/${planned.id}`, headers: admin, status: 409, json: { rolloutPercent: 40 } });
    await call({ op: create, path: '/admin/versions', headers: admin, status: 400,
        json: { platform: 'android', versionCode: 5001, versionName: '5.0.1', rolloutPlan: { steps: [50, 20, 100] } }, blind: true /* strictly increasing */ });
    const op = 'GET /admin/versions/{id}/rollout';
    const base = `/admin/versions/${planned.id}/rollout`;
    const view = await call({ op, path: base, headers: admin, status: 200 });
    assert.equal(view.json().decisions[0].action, 'start');
    await call({ op, path: `/admin/versions/${versions.external.id}/rollout`, headers: admin, status: 200 });
    await call({ op, path: '/admin/versions/999999/rollout', headers: admin, status: 404 });
    await call({ op, path: base, status: 401 });
    await call({ op, path: base, headers: user, status: 403 });
    const pause = 'POST /admin/versions/{id}/rollout/pause';
    await call({ op: pause, path: `${base}/pause`, headers: { ...admin, 'If-Match': '"99"' }, status: 412 });
    await call({ op: pause, path: `${base}/pause`, headers: { ...admin, 'If-Match': '"x"' }, status: 400 });
    await call({ op: pause, path: `${base}/pause`, headers: { ...admin, 'If-Match': view.headers.etag }, status: 200 });
    await call({ op: pause, path: `${base}/pause`, headers: admin, status: 409 });
    await call({ op: pause, path: '/admin/versions/999999/rollout/pause', headers: admin, status: 404 });
    await call({ op: pause, path: `${base}/pause`, status: 401 });
    await call({ op: pause, path: `${base}/pause`, headers: user, status: 403 });
    const advance = 'POST /admin/versions/{id}/rollout/advance';
    const advanced = await call({ op: advance, path: `${base}/advance`, headers: admin, status: 200 });
    assert.deepEqual([advanced.json().rolloutPercent, advanced.json().state], [50, 'paused']);
    await call({ op: advance, path: `/admin/versions/${versions.external.id}/rollout/advance`, headers: admin, status: 409 });
    await call({ op: advance, path: `${base}/advance`, headers: { ...admin, 'If-Match': '"x"' }, status: 400 });
    await call({ op: advance, path: `${base}/advance`, headers: { ...admin, 'If-Match': '"99"' }, status: 412 });
    await call({ op: advance, path: '/admin/versions/999999/rollout/advance', headers: admin, status: 404 });
    await call({ op: advance, path: `${base}/advance`, status: 401 });
    await call({ op: advance, path: `${base}/advance`, headers: user, status: 403 });
    const resume = 'POST /admin/versions/{id}/rollout/resume';
    const resumed = await call({ op: resume, path: `${base}/resume`, headers: admin, status: 200 });
    assert.equal(resumed.json().state, 'running');
    await call({ op: resume, path: `${base}/resume`, headers: admin, status: 409 });
    await call({ op: resume, path: `${base}/resume`, headers: { ...admin, 'If-Match': '"x"' }, status: 400 });
    await call({ op: resume, path: `${base}/resume`, headers: { ...admin, 'If-Match': '"99"' }, status: 412 });
    await call({ op: resume, path: '/admin/versions/999999/rollout/resume', headers: admin, status: 404 });
    await call({ op: resume, path: `${base}/resume`, status: 401 });
    await call({ op: resume, path: `${base}/resume`, headers: user, status: 403 });
});

test('GET /admin/versions/{id}/adoption', async () => {
    const op = 'GET /admin/versions/{id}/adoption';
    const path = `/admin/versions/${versions.apk.id}/adoption`;
    const res = await call({ op, path, headers: admin, status: 200 });
    assert.deepEqual([res.json().versionId, res.json().platform, res.json().versionCode, res.json().interval],
        [versions.apk.id, 'android', 210, '1h'], 'the version, and interval defaulting to 1h');
    const last = res.json().points.at(-1);
    assert.ok(last && last.installs >= 1 && last.share > 0, JSON.stringify(res.json().points));
    await call({ op, path: `${path}?interval=1d`, headers: admin, status: 200 });
    await call({ op, path: `${path}?interval=1h&from=${Date.now() - 86400e3}&to=${new Date(Date.now() + 3600e3).toISOString()}`, headers: admin, status: 200 });
    await call({ op, path: `/admin/versions/${versions.external.id}/adoption`, headers: admin, status: 200 });
    await call({ op, path: `${path}?interval=2h`, headers: admin, status: 400 });
    await call({ op, path: `${path}?from=noon`, headers: admin, status: 400 });
    await call({ op, path: `${path}?to=2026-11-25T08:00:00`, headers: admin, status: 400 });
    await call({ op, path: `${path}?from=${Date.now()}&to=${Date.now() - 3600e3}`, headers: admin, status: 400, blind: true /* order */ });
    await call({ op, path: `${path}?interval=1h&from=0`, headers: admin, status: 400, blind: true /* 1,000 buckets */ });
    await call({ op, path: '/admin/versions/999999/adoption', headers: admin, status: 404 });
    await call({ op, path: '/admin/versions/abc/adoption', headers: admin, status: 404 });
    await call({ op, path, status: 401 });
    await call({ op, path, headers: user, status: 403 });
});

test('GET /admin/telemetry/online/peaks', async () => {
    const op = 'GET /admin/telemetry/online/peaks';
    await call({ op: 'POST /admin/jobs/{name}/run', path: '/admin/jobs/online-snapshot/run', headers: admin, status: 200 });
    const res = await call({ op, path: '/admin/telemetry/online/peaks', headers: admin, status: 200 });
    const today = res.json().days.find((d) => d.day === day(0));
    assert.ok(today && today.peak >= 1, `no peak today after a snapshot: ${JSON.stringify(res.json())}`);
    await call({ op, path: `/admin/telemetry/online/peaks?from=${day(-7)}&to=${day(0)}`, headers: admin, status: 200 });
    await call({ op, path: `/admin/telemetry/online/peaks?from=${day(0)}&to=${day(-1)}`, headers: admin, status: 400, blind: true /* order */ });
    await call({ op, path: `/admin/telemetry/online/peaks?from=${day(-400)}&to=${day(0)}`, headers: admin, status: 400, blind: true /* 366 days */ });
    await call({ op, path: '/admin/telemetry/online/peaks?from=last-week', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/online/peaks?to=2026-13-01', headers: admin, status: 400 });
    await call({ op, path: '/admin/telemetry/online/peaks', status: 401 });
    await call({ op, path: '/admin/telemetry/online/peaks', headers: user, status: 403 });
});

test('503 with Retry-After when a backend is down (Redis presence, stopped)', async (t) => {
    if (!existsSync('/usr/bin/redis-server')) {
        t.skip('redis-server is not installed (tools/install-deps.sh test installs it)');
        return;
    }
    const redisState = mkdtempSync(join(tmpdir(), 'beacon-openapi-redis-'));
    const redisSh = join(SOURCE, 'tools/test-services/redis.sh');
    const url = execFileSync(redisSh, ['start', redisState], { encoding: 'utf8' }).trim();
    const stopRedis = () => execFileSync(redisSh, ['stop', redisState]);
    process.on('exit', stopRedis); // even when the test process dies here
    const srv = new BeaconServer(BINARY, { BEACON_REDIS_URL: url });
    try {
        await srv.start();
        const hb = { installId: 'i-conformance-9' };
        await call({ srv, op: 'POST /telemetry/heartbeat', path: '/telemetry/heartbeat', json: hb, status: 200 });
        stopRedis();
        let res;
        for (let i = 0; i < 150; ++i) {
            res = await srv.request('POST', '/telemetry/heartbeat', { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(hb) });
            if (res.status === 503) {
                break;
            }
            await sleep(200);
        }
        assert.equal(res.status, 503, 'heartbeats never answered 503 with Redis stopped');
        await sleep(1100); // the online count may be cached for 1 s
        await call({ srv, op: 'POST /telemetry/heartbeat', path: '/telemetry/heartbeat', json: hb, status: 503 });
        await call({ srv, op: 'GET /telemetry/online', path: '/telemetry/online', status: 503 });
        await call({ srv, op: 'GET /admin/telemetry/realtime', path: '/admin/telemetry/realtime', headers: admin, status: 503 });
        await call({ srv, op: 'GET /admin/telemetry/versions', path: '/admin/telemetry/versions?platform=android', headers: admin, status: 503 });
        const ready = await call({ srv, op: 'GET /readyz', path: '/readyz', status: 503 });
        assert.match(ready.json().checks.presence, /^down: /);
    } finally {
        const code = await srv.stop();
        stopRedis();
        process.off('exit', stopRedis);
        rmSync(redisState, { recursive: true, force: true });
        srv.remove();
        assert.equal(code, 0, 'the Redis-backed beacon did not exit 0 on SIGTERM');
    }
});

// 429 is reached on a second server with a limit of one request per 100 s
// (the main one runs without a limit: the whole run comes from 127.0.0.1).
test('rate limits: 429 rate-limited with Retry-After; the probes are never limited', async () => {
    const srv = new BeaconServer(BINARY, { BEACON_RATE_LIMIT: '0.01/1' });
    await srv.start();
    try {
        const check = '/app/version/check?platform=android&current_version_code=1';
        await call({ srv, op: 'GET /app/version/check', path: check, status: 200 });
        const limited = await call({ srv, op: 'GET /app/version/check', path: check, status: 429 });
        assert.ok(Number(limited.headers['retry-after']) >= 1, describe(limited));
        await call({ srv, op: 'POST /telemetry/heartbeat', path: '/telemetry/heartbeat', json: { installId: 'i-rate-limited-1' }, status: 429 });
        await call({ srv, op: 'GET /admin/versions', path: '/admin/versions', status: 429 });
        await call({ srv, op: 'GET /admin/versions', path: '/admin/versions', headers: admin, status: 200 });
        for (let i = 0; i < 5; i++) {
            await call({ srv, op: 'GET /healthz', path: '/healthz', status: 200 });
            await call({ srv, op: 'GET /metrics', path: '/metrics', status: 200 });
            await call({ srv, op: 'GET /readyz', path: '/readyz', status: 200 });
        }
    } finally {
        const code = await srv.stop();
        srv.remove();
        assert.equal(code, 0, 'the rate-limited beacon did not exit 0 on SIGTERM');
    }
});

test('contract 1.1: numbers in responses are plain JSON decimals, never exponent notation', {
    todo: 'server deviation: Boost.JSON writes doubles as 2E0 or 2.5E0 (online/history avg, event properties)',
}, () => {
    assert.deepEqual(contract.exponents, []);
});

test('every documented operation was exercised', (t) => {
    const missing = contract.operations().filter((op) => !contract.seen.has(op));
    assert.deepEqual(missing, [], 'operations no test called');
    for (const op of contract.operations()) {
        const { operation } = contract.operation(op);
        const unseen = Object.keys(operation.responses).filter((s) => !contract.seen.get(op).has(s));
        if (unseen.length > 0) {
            t.diagnostic(`${op}: documented but not reached here: ${unseen.join(', ')}`);
        }
    }
});
