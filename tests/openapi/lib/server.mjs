// The real `beacon serve` as a child process on a free loopback port (as
// tests/support/server_process.cpp does it: --listen 127.0.0.1:0 and
// --port-file), an HTTP client for it, and HS256 tokens signed with its
// secret.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const JWT_SECRET = 'openapi-conformance-secret-0123456789abcdef';

export class BeaconServer {
    // env: extra variables; every BEACON_* of the test's environment is dropped.
    constructor(binary, env = {}) {
        this.binary = binary;
        this.env = env;
        this.dir = mkdtempSync(join(tmpdir(), 'beacon-openapi-'));
        this.port = 0;
        this.child = null;
        this.exited = null;
    }

    async start(timeoutMs = 20000) {
        const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('BEACON_')));
        // The whole run comes from 127.0.0.1: no per-client rate limit unless a test sets one.
        Object.assign(env, { BEACON_JWT_SECRET: JWT_SECRET, BEACON_RATE_LIMIT: '0' }, this.env);
        const log = openSync(join(this.dir, 'server.log'), 'a');
        const portFile = join(this.dir, 'port');
        this.child = spawn(this.binary, ['serve', '--listen', '127.0.0.1:0', '--data-dir', join(this.dir, 'data'),
            '--port-file', portFile], { env, stdio: ['ignore', log, log] });
        this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
        // Never outlive the test, however it ends (Node cannot set PR_SET_PDEATHSIG).
        const child = this.child;
        process.on('exit', () => {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill('SIGKILL');
            }
        });
        const deadline = Date.now() + timeoutMs;
        while (Date.now() < deadline) {
            if (this.child.exitCode !== null) {
                throw new Error(`beacon exited during start (${this.child.exitCode}):\n${this.log()}`);
            }
            try {
                const text = readFileSync(portFile, 'utf8');
                if (text.endsWith('\n')) {
                    this.port = Number(text.trim());
                    return;
                }
            } catch {
                // not written yet
            }
            await sleep(20);
        }
        this.child.kill('SIGKILL');
        throw new Error(`beacon did not write its port within ${timeoutMs} ms:\n${this.log()}`);
    }

    // SIGTERM by PID; SIGKILL after killAfterMs. Resolves to the exit code
    // (128 + signal when killed).
    async stop(killAfterMs = 35000) {
        if (!this.child || this.child.exitCode !== null || this.child.signalCode !== null) {
            return this.child?.exitCode ?? -1;
        }
        process.kill(this.child.pid, 'SIGTERM');
        const timer = setTimeout(() => process.kill(this.child.pid, 'SIGKILL'), killAfterMs);
        const { code, signal } = await this.exited;
        clearTimeout(timer);
        return code ?? 128 + ({ SIGKILL: 9, SIGTERM: 15 }[signal] ?? 0);
    }

    log() {
        try {
            return readFileSync(join(this.dir, 'server.log'), 'utf8');
        } catch {
            return '';
        }
    }

    remove() {
        rmSync(this.dir, { recursive: true, force: true });
    }

    // One request on its own connection. body: Buffer | string | undefined.
    // Resolves to {status, headers, body: Buffer}.
    request(method, path, { headers = {}, body, timeoutMs = 15000 } = {}) {
        return new Promise((resolve, reject) => {
            const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: false }, (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
                res.on('error', reject);
            });
            req.setTimeout(timeoutMs, () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
            req.on('error', reject);
            if (body !== undefined) {
                req.end(body);
            } else {
                req.end();
            }
        });
    }

    // Sends only the header section (declaring a body it never sends) and
    // reads the answer: for limits checked before the body is read.
    headersOnly(method, path, headers) {
        return new Promise((resolve, reject) => {
            const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers, agent: false }, (res) => {
                const chunks = [];
                res.on('data', (c) => chunks.push(c));
                res.on('end', () => {
                    resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) });
                    req.destroy();
                });
            });
            req.setTimeout(15000, () => req.destroy(new Error(`${method} ${path}: no answer in 15 s`)));
            req.on('error', reject);
            req.flushHeaders();
        });
    }

    // Writes raw bytes and parses the one response (status line, headers, a
    // Content-Length body); for requests Node's client will not send.
    raw(bytes) {
        return new Promise((resolve, reject) => {
            const socket = net.connect(this.port, '127.0.0.1');
            const chunks = [];
            socket.setTimeout(15000, () => socket.destroy(new Error('raw request: no answer in 15 s')));
            socket.on('data', (c) => chunks.push(c));
            socket.on('error', reject);
            socket.on('close', () => {
                const all = Buffer.concat(chunks);
                const end = all.indexOf('\r\n\r\n');
                if (end < 0) {
                    reject(new Error(`raw request: no response header in ${JSON.stringify(all.toString())}`));
                    return;
                }
                const [statusLine, ...lines] = all.subarray(0, end).toString('latin1').split('\r\n');
                const headers = {};
                for (const line of lines) {
                    const colon = line.indexOf(':');
                    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
                }
                const length = Number(headers['content-length'] ?? 0);
                resolve({ status: Number(statusLine.split(' ')[1]), headers, body: all.subarray(end + 4, end + 4 + length) });
            });
            socket.end(bytes);
        });
    }
}

const b64url = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

// An HS256 JWT over `claims` (exp one hour ahead unless given).
export function token(claims, secret = JWT_SECRET) {
    const body = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ exp: Math.floor(Date.now() / 1000) + 3600, ...claims })}`;
    return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}
