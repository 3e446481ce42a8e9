// An independent check of Beacon's signed offers (API.md 1.1, "Staleness and
// signed answers"), with Node's own Ed25519 (crypto.verify), none of Beacon's
// code: fetches GET /app/version/signing-keys and one update check, rebuilds
// the signed text from the fields of `latest` as the contract describes it,
// and verifies the signature under the listed key of its keyId.
//
//   node verify_offer.mjs <base-url> <update-check query>
//
// Prints "verified <keyId>" and exits 0; else prints why and exits 1. It also
// checks that the same signature does not verify a text with one field
// changed, so a verifier that accepts anything cannot pass.
import { createPublicKey, verify } from 'node:crypto';

function fail(message) {
    console.error(`verify_offer: ${message}`);
    process.exit(1);
}

const [base, query] = process.argv.slice(2);
if (!base || !query) {
    fail('usage: node verify_offer.mjs <base-url> <update-check query>');
}

const keysResponse = await fetch(`${base}/app/version/signing-keys`);
if (keysResponse.status !== 200) {
    fail(`signing-keys answered ${keysResponse.status}`);
}
const { keys } = await keysResponse.json();
if (!Array.isArray(keys) || keys.length === 0) {
    fail('no keys listed');
}

const checkResponse = await fetch(`${base}/app/version/check?${query}`);
if (checkResponse.status !== 200) {
    fail(`the update check answered ${checkResponse.status}`);
}
const { latest } = await checkResponse.json();
if (!latest) {
    fail('the update check offered nothing');
}
const { signature } = latest;
if (!signature || typeof signature.value !== 'string') {
    fail(`latest has no signature: ${JSON.stringify(latest)}`);
}
const key = keys.find((k) => k.keyId === signature.keyId);
if (!key) {
    fail(`no listed key has keyId ${signature.keyId}`);
}
if (key.algorithm !== 'Ed25519') {
    fail(`unexpected algorithm ${key.algorithm}`);
}
const raw = Buffer.from(key.publicKey, 'base64url');
if (raw.length !== 32) {
    fail(`the public key is ${raw.length} bytes, not 32`);
}
const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: key.publicKey }, format: 'jwk' });

const params = new URLSearchParams(query);
const text = (fields) =>
    [
        'beacon-offer-v1',
        fields.platform.toLowerCase(),
        fields.channel.toLowerCase(),
        String(fields.versionCode),
        fields.sha256 ?? '',
        fields.fileSize === null || fields.fileSize === undefined ? '' : String(fields.fileSize),
        fields.downloadUrl,
        fields.signedAt,
    ].join('\n');
const fields = {
    platform: params.get('platform'),
    channel: params.get('channel') ?? 'stable',
    versionCode: latest.versionCode,
    sha256: latest.sha256,
    fileSize: latest.fileSize,
    downloadUrl: latest.downloadUrl,
    signedAt: signature.signedAt,
};
const sig = Buffer.from(signature.value, 'base64url');
if (sig.length !== 64) {
    fail(`the signature is ${sig.length} bytes, not 64`);
}
if (!verify(null, Buffer.from(text(fields), 'utf8'), publicKey, sig)) {
    fail(`the signature does not verify over:\n${text(fields)}`);
}
const swapped = { ...fields, sha256: (fields.sha256 ?? '').replace(/^./, (c) => (c === '0' ? '1' : '0')) || 'x' };
if (verify(null, Buffer.from(text(swapped), 'utf8'), publicKey, sig)) {
    fail('the signature also verifies a text with another sha256');
}
console.log(`verified ${signature.keyId}`);
