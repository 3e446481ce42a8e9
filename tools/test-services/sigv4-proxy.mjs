#!/usr/bin/env node
// A SigV4-verifying reverse proxy for tests, in front of s3rver.
//
// Why: s3rver 3.7.1 accepts any AWS Signature V4 (it only checks that the
// access key exists and that a presigned URL has not expired), so a signer
// bug would pass against it and fail against AWS or MinIO. This proxy
// recomputes the signature of every request with the AWS SDK for
// JavaScript's own signer (@smithy/signature-v4), independent of Beacon's C++
// signer, and answers 403 SignatureDoesNotMatch (S3's XML error) on any
// mismatch. Verified requests are forwarded unchanged to the upstream.
//
// Checked for header-signed requests (Authorization: AWS4-HMAC-SHA256 ...):
//   the signature over exactly the signed headers; host, x-amz-date and
//   x-amz-content-sha256 are signed; the credential's date matches x-amz-date;
//   x-amz-date is within 15 minutes of now (S3's skew rule); a hex
//   x-amz-content-sha256 equals the SHA-256 of the body received
//   (400 XAmzContentSHA256Mismatch otherwise).
// Checked for presigned URLs (X-Amz-Algorithm in the query): the signature,
//   with the payload UNSIGNED-PAYLOAD as S3 defines it. Expiry is left to
//   s3rver, which checks it.
// Requests with neither are refused (403 AccessDenied): Beacon never sends
// anonymous requests.
//
// The canonical path is rebuilt from the received path as S3 does: each
// segment percent-decoded, then encoded with AWS's rules (RFC 3986 unreserved
// kept), not double-encoded.
//
// GET /__proxy/stats answers {"verified": n, "rejected": n} (no bucket can be
// named "__proxy"), so tests can see that requests really were checked.
//
// Usage: node sigv4-proxy.mjs --upstream http://127.0.0.1:PORT [--port 0]
//        [--port-file FILE] [--access-key S3RVER --secret-key S3RVER]
// Logs one line per request to stdout.

import { createHash, timingSafeEqual } from 'node:crypto';
import { writeFileSync, renameSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const MAX_BODY = 64 * 1024 * 1024;
const MAX_SKEW_MS = 15 * 60 * 1000;

function parseArgs(argv) {
  const args = { port: 0, portFile: null, upstream: null, accessKey: 'S3RVER', secretKey: 'S3RVER' };
  for (let i = 2; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`missing value for ${name}`);
    if (name === '--port') args.port = Number(value);
    else if (name === '--port-file') args.portFile = value;
    else if (name === '--upstream') args.upstream = new URL(value);
    else if (name === '--access-key') args.accessKey = value;
    else if (name === '--secret-key') args.secretKey = value;
    else throw new Error(`unknown option ${name}`);
  }
  if (!args.upstream) throw new Error('--upstream is required');
  return args;
}

const args = parseArgs(process.argv);
const secrets = new Map([[args.accessKey, args.secretKey]]);
const stats = { verified: 0, rejected: 0 };

class Rejection extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}
const deny = (message) => new Rejection(403, 'SignatureDoesNotMatch', message);

// AWS URI encoding: everything but A-Z a-z 0-9 - _ . ~ as %XX.
function awsEncode(text) {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function canonicalPath(rawPath) {
  try {
    return rawPath.split('/').map((segment) => awsEncode(decodeURIComponent(segment))).join('/');
  } catch {
    throw deny('path is not valid percent-encoding');
  }
}

// Decoded query as smithy wants it: name -> value, or an array for repeats.
function parseQuery(rawQuery) {
  const query = {};
  if (!rawQuery) return query;
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    let name, value;
    try {
      name = decodeURIComponent(eq < 0 ? pair : pair.slice(0, eq));
      value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw deny('query is not valid percent-encoding');
    }
    if (Object.prototype.hasOwnProperty.call(query, name)) {
      query[name] = [].concat(query[name], value);
    } else {
      query[name] = value;
    }
  }
  return query;
}

// "20130524T000000Z" -> Date
function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text || '');
  if (!m) throw deny(`malformed x-amz-date '${text}'`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

// "AK/20130524/us-east-1/s3/aws4_request"
function parseCredential(text) {
  const parts = (text || '').split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') throw deny(`malformed credential '${text}'`);
  const [accessKey, date, region, service] = parts;
  const secret = secrets.get(accessKey);
  if (secret === undefined) throw new Rejection(403, 'InvalidAccessKeyId', `unknown access key '${accessKey}'`);
  return { accessKey, secret, date, region, service };
}

function signerFor(credential) {
  return new SignatureV4({
    credentials: { accessKeyId: credential.accessKey, secretAccessKey: credential.secret },
    region: credential.region,
    service: credential.service,
    sha256: Sha256,
    uriEscapePath: false, // S3: the path is encoded once (we pass it encoded)
    applyChecksum: false, // the payload hash is whatever x-amz-content-sha256 says (checked separately)
  });
}

function sameSecret(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function signedHeaderValues(req, names) {
  const headers = {};
  for (const name of names) {
    const value = req.headers[name];
    if (value === undefined) throw deny(`signed header '${name}' is missing`);
    headers[name] = Array.isArray(value) ? value.join(',') : String(value);
  }
  return headers;
}

async function verifyHeaderSigned(req, body, path, query) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
    req.headers.authorization,
  );
  if (!m) throw deny(`malformed Authorization header '${req.headers.authorization}'`);
  const [, credentialText, signedHeadersText, provided] = m;
  const credential = parseCredential(credentialText);
  const names = signedHeadersText.split(';');
  for (const required of ['host', 'x-amz-date', 'x-amz-content-sha256']) {
    if (!names.includes(required)) throw deny(`'${required}' is not signed`);
  }
  const signingDate = parseAmzDate(req.headers['x-amz-date']);
  if (req.headers['x-amz-date'].slice(0, 8) !== credential.date) {
    throw deny('credential date differs from x-amz-date');
  }
  if (Math.abs(Date.now() - signingDate.getTime()) > MAX_SKEW_MS) {
    throw new Rejection(403, 'RequestTimeTooSkewed', 'x-amz-date is more than 15 minutes away from now');
  }

  const payloadHash = req.headers['x-amz-content-sha256'];
  if (/^[0-9a-f]{64}$/.test(payloadHash)) {
    const actual = createHash('sha256').update(body).digest('hex');
    if (actual !== payloadHash) {
      throw new Rejection(400, 'XAmzContentSHA256Mismatch', `body hashes to ${actual}, header says ${payloadHash}`);
    }
  } else if (payloadHash !== 'UNSIGNED-PAYLOAD') {
    throw deny(`unsupported x-amz-content-sha256 '${payloadHash}'`);
  }

  const signed = await signerFor(credential).sign(
    {
      method: req.method,
      protocol: 'http:',
      hostname: req.headers.host,
      path,
      query,
      headers: signedHeaderValues(req, names),
    },
    { signingDate, signingRegion: credential.region, signingService: credential.service },
  );
  const expected = /Signature=([0-9a-f]{64})$/.exec(signed.headers.authorization)[1];
  const expectedNames = /SignedHeaders=([^,]+),/.exec(signed.headers.authorization)[1];
  if (expectedNames !== signedHeadersText) {
    throw deny(`SignedHeaders '${signedHeadersText}' should be '${expectedNames}'`);
  }
  if (!sameSecret(expected, provided)) throw deny(`signature ${provided} should be ${expected}`);
}

async function verifyPresigned(req, path, query) {
  if (query['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') throw deny('X-Amz-Algorithm must be AWS4-HMAC-SHA256');
  for (const name of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (typeof query[name] !== 'string') throw deny(`${name} is missing or repeated`);
  }
  const credential = parseCredential(query['X-Amz-Credential']);
  const signingDate = parseAmzDate(query['X-Amz-Date']);
  if (query['X-Amz-Date'].slice(0, 8) !== credential.date) throw deny('credential date differs from X-Amz-Date');
  const expiresIn = Number(query['X-Amz-Expires']);
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > 604800) throw deny('X-Amz-Expires out of range');
  const names = query['X-Amz-SignedHeaders'].split(';');
  if (!names.includes('host')) throw deny("'host' is not signed");
  const provided = query['X-Amz-Signature'];

  const unsignedQuery = { ...query };
  delete unsignedQuery['X-Amz-Signature'];
  const presigned = await signerFor(credential).presign(
    {
      method: req.method === 'HEAD' ? 'HEAD' : req.method,
      protocol: 'http:',
      hostname: req.headers.host,
      path,
      query: unsignedQuery,
      headers: { ...signedHeaderValues(req, names), 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
    },
    {
      signingDate,
      expiresIn,
      signingRegion: credential.region,
      signingService: credential.service,
      unsignableHeaders: new Set(['x-amz-content-sha256']),
      unhoistableHeaders: new Set(['x-amz-content-sha256']),
    },
  );
  if (presigned.query['X-Amz-SignedHeaders'] !== query['X-Amz-SignedHeaders']) {
    throw deny(`X-Amz-SignedHeaders should be '${presigned.query['X-Amz-SignedHeaders']}'`);
  }
  if (!sameSecret(presigned.query['X-Amz-Signature'], provided)) {
    throw deny(`signature ${provided} should be ${presigned.query['X-Amz-Signature']}`);
  }
}

async function verify(req, body) {
  const q = req.url.indexOf('?');
  const rawPath = q < 0 ? req.url : req.url.slice(0, q);
  const rawQuery = q < 0 ? '' : req.url.slice(q + 1);
  const path = canonicalPath(rawPath);
  const query = parseQuery(rawQuery);
  const headerSigned = req.headers.authorization !== undefined;
  const presigned = 'X-Amz-Algorithm' in query;
  if (headerSigned && presigned) throw new Rejection(400, 'InvalidArgument', 'only one auth mechanism allowed');
  if (headerSigned) return verifyHeaderSigned(req, body, path, query);
  if (presigned) return verifyPresigned(req, path, query);
  throw new Rejection(403, 'AccessDenied', 'anonymous request');
}

function xmlEscape(s) {
  return String(s).replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]);
}

const agent = new http.Agent({ keepAlive: true });

function forward(req, res, body) {
  const headers = { ...req.headers };
  delete headers['transfer-encoding'];
  if (body.length > 0 || headers['content-length'] !== undefined) headers['content-length'] = String(body.length);
  const upstream = http.request(
    {
      host: args.upstream.hostname,
      port: args.upstream.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    },
    (upRes) => {
      res.writeHead(upRes.statusCode, upRes.headers);
      upRes.pipe(res);
    },
  );
  upstream.on('error', (err) => {
    console.log(`upstream error: ${err.message}`);
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end(`upstream error: ${err.message}`);
  });
  upstream.end(body);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__proxy/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  const chunks = [];
  let size = 0;
  let tooLarge = false;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY) {
      tooLarge = true;
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', async () => {
    if (tooLarge) {
      res.writeHead(413, { 'content-type': 'text/plain', connection: 'close' });
      res.end('body too large for the verifying proxy');
      return;
    }
    const body = Buffer.concat(chunks);
    try {
      await verify(req, body);
    } catch (err) {
      const status = err instanceof Rejection ? err.status : 500;
      const code = err instanceof Rejection ? err.code : 'InternalError';
      stats.rejected += 1;
      console.log(`${req.method} ${req.url} -> REJECTED ${status} ${code}: ${err.message}`);
      const xml =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        `<Error><Code>${code}</Code><Message>${xmlEscape(err.message)}</Message>` +
        '<Resource>' + xmlEscape(req.url.split('?')[0]) + '</Resource></Error>';
      res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(req.method === 'HEAD' ? undefined : xml);
      return;
    }
    stats.verified += 1;
    console.log(`${req.method} ${req.url} -> verified`);
    forward(req, res, body);
  });
});

server.listen(args.port, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(`sigv4-proxy listening on 127.0.0.1:${port}, upstream ${args.upstream.origin}`);
  if (args.portFile) {
    // Written atomically so a reader never sees a partial number.
    writeFileSync(`${args.portFile}.tmp`, `${port}\n`);
    renameSync(`${args.portFile}.tmp`, args.portFile);
  }
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    agent.destroy();
    process.exit(0);
  });
}
