// Real APK, IPA and ZIP files for uploads, made with the tools the C++
// end-to-end tests use too (tests/support/release_fixtures.cpp): aapt with
// Debian's framework-res.apk, and zip. `tools/install-deps.sh test` installs them.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FRAMEWORK = '/usr/share/android-framework-res/framework-res.apk';

export function buildApk(dir, name, { pkg = 'com.example.conformance', versionCode = 210, versionName = '2.1.0', minSdk = '24' } = {}) {
    const work = join(dir, `apk-src-${name}`);
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'AndroidManifest.xml'), `<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="${pkg}"
    android:versionCode="${versionCode}" android:versionName="${versionName}">
  <uses-sdk android:minSdkVersion="${minSdk}"/>
  <application android:label="Conformance"/>
</manifest>
`);
    const out = join(dir, name);
    execFileSync('aapt', ['package', '-f', '-M', 'AndroidManifest.xml', '-I', FRAMEWORK, '-F', out], { cwd: work, stdio: 'pipe' });
    return readFileSync(out);
}

// An IPA with an XML Info.plist holding `keys` (string values).
export function buildIpa(dir, name, keys) {
    const work = join(dir, `ipa-src-${name}`);
    const app = join(work, 'Payload', 'Conformance.app');
    mkdirSync(app, { recursive: true });
    const entries = Object.entries(keys).map(([k, v]) => `  <key>${k}</key><string>${v}</string>`).join('\n');
    writeFileSync(join(app, 'Info.plist'), `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
${entries}
</dict>
</plist>
`);
    writeFileSync(join(app, 'executable'), `${name}\n`.repeat(64));
    const out = join(dir, name);
    execFileSync('zip', ['-q', '-r', out, 'Payload'], { cwd: work, stdio: 'pipe' });
    return readFileSync(out);
}

// A ZIP holding one text file: neither an APK nor an IPA.
export function buildZip(dir, name, content) {
    const work = join(dir, `zip-src-${name}`);
    mkdirSync(work, { recursive: true });
    writeFileSync(join(work, 'readme.txt'), content);
    const out = join(dir, name);
    execFileSync('zip', ['-q', out, 'readme.txt'], { cwd: work, stdio: 'pipe' });
    return readFileSync(out);
}

// A multipart/form-data body with one file part named `field`.
export function multipart(boundary, field, fileName, bytes) {
    return Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\n` +
            'Content-Type: application/octet-stream\r\n\r\n'),
        bytes,
        Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
}
