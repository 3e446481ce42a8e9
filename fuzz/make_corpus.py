#!/usr/bin/env python3
"""Writes the seed corpus of every harness in fuzz/ into OUT/<harness>/:
valid inputs (so that the fuzzer starts deep inside each parser) and a few
near misses. Made here, not downloaded: the APK by Debian's aapt, the binary
plist by plistutil, the gzip by Python's zlib, the tokens by Python's hmac.

    fuzz/make_corpus.py build/fuzz/seeds
"""

import base64
import gzip
import hashlib
import hmac
import io
import json
import shutil
import struct
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

FRAMEWORK = "/usr/share/android-framework-res/framework-res.apk"
JWT_SECRET = b"fuzz-secret-0123456789abcdef0123456789"  # jwt_fuzz.cpp's
NOW = 1_795_600_000  # jwt_fuzz.cpp's clock, in seconds


def write(out, harness, items):
    d = out / harness
    d.mkdir(parents=True, exist_ok=True)
    for i, data in enumerate(items):
        (d / f"seed-{i:03d}").write_bytes(data if isinstance(data, bytes) else data.encode())


def heartbeats():
    yield json.dumps({"installId": "install-0001", "platform": "android", "appVersion": "2.1.0", "region": "de"})
    yield json.dumps({"installId": "install-0002", "userId": "user-7", "platform": "ios", "versionCode": 210})
    yield json.dumps({"installId": "a" * 129})
    yield json.dumps({"installId": "install-0003", "versionCode": -1, "region": "DEU"})
    yield "{}"
    yield "[]"


def batches():
    context = {"installId": "install-0001", "userId": "user-1", "platform": "android", "appVersion": "2.1.0",
               "osVersion": "14", "deviceModel": "Pixel 8", "region": "CN", "versionCode": 210}
    events = [
        {"eventId": "0f8fad5b-d9cb-469f-a165-70867728950e", "name": "app_session_start",
         "timestamp": "2026-11-25T09:40:00.000Z", "sessionId": "s-1", "properties": {"coldStart": True}},
        {"eventId": "7c9e6679-7425-40de-944b-e07fc1f90ae7", "name": "page_view",
         "timestamp": "2026-11-25T09:40:02Z", "sessionId": "s-1", "properties": {"page": "home", "n": 1.5}},
        {"eventId": "16fd2706-8baf-433b-82eb-8c7fada847da", "name": "app_crash",
         "timestamp": "2026-11-25T09:41:00+08:00", "sessionId": "s-1", "versionCode": 211,
         "properties": {"exception": "NullPointerException", "fatal": True, "stack": ["a", "b"]}},
    ]
    yield json.dumps({"context": context, "events": events})
    yield json.dumps({"context": {"installId": "install-0002"}, "events": [{"eventId": "x", "name": "<script>"}]})
    yield json.dumps({"context": context, "events": [{"name": "a", "properties": {"k": {"k": {"k": [1, [2, [3]]]}}}}]})
    yield json.dumps({"events": []})


def gzips():
    for text in list(heartbeats())[:2] + list(batches())[:1]:
        yield gzip.compress(text.encode())
    yield gzip.compress(b"\0" * 100_000)  # expands far past the small limit
    yield b"\x1f\x8b\x08\x00\x00\x00\x00\x00"  # a header, then nothing


def multiparts():
    boundary = "----beacon7MA4YWxkTrZu0gW"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"app.apk\"\r\n"
            f"Content-Type: application/vnd.android.package-archive\r\n\r\n"
            + "PK\x03\x04" + "x" * 300 + f"\r\n--{boundary}--\r\n")
    for first in (b"\x00", b"\x07", b"\x3f"):
        yield first + f"multipart/form-data; boundary={boundary}\n{body}".encode()
    yield b"\x01multipart/form-data; boundary=\"quoted b\"\n--quoted b\r\n\r\n--quoted b--"
    yield b"\x02text/plain\nnothing"


def android_package(tmp):
    manifest = tmp / "AndroidManifest.xml"
    manifest.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.fuzz"\n'
        '    android:versionCode="210" android:versionName="2.1.0">\n'
        '  <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="34"/>\n'
        '  <application android:label="Fuzz"/>\n'
        '</manifest>\n')
    apk = tmp / "app.apk"
    subprocess.run(["aapt", "package", "-f", "-M", str(manifest), "-I", FRAMEWORK, "-F", str(apk)], check=True,
                   capture_output=True)
    return apk.read_bytes()


def plists(tmp):
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">\n'
           '<plist version="1.0"><dict>'
           '<key>CFBundleIdentifier</key><string>com.example.fuzz</string>'
           '<key>CFBundleShortVersionString</key><string>2.1.0</string>'
           '<key>CFBundleVersion</key><string>210</string>'
           '<key>MinimumOSVersion</key><string>15.0</string>'
           '<key>UIDeviceFamily</key><array><integer>1</integer><integer>2</integer></array>'
           '</dict></plist>\n')
    src, binary = tmp / "Info.plist.xml", tmp / "Info.plist"
    src.write_text(xml)
    subprocess.run(["plistutil", "-i", str(src), "-o", str(binary), "-f", "bin"], check=True, capture_output=True)
    return xml.encode(), binary.read_bytes()


def zip_of(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            z.writestr(name, data)
    return buf.getvalue()


def jwt(header, claims, secret=JWT_SECRET):
    def b64(d):
        return base64.urlsafe_b64encode(json.dumps(d, separators=(",", ":")).encode()).rstrip(b"=").decode()
    signing = f"{b64(header)}.{b64(claims)}"
    sig = base64.urlsafe_b64encode(hmac.new(secret, signing.encode(), hashlib.sha256).digest()).rstrip(b"=")
    return f"{signing}.{sig.decode()}"


def tokens():
    h = {"alg": "HS256", "typ": "JWT"}
    yield jwt(h, {"sub": "admin", "role": "admin", "exp": NOW + 3600, "iat": NOW})
    yield jwt(h, {"sub": "u", "roles": ["admin", "x"], "exp": NOW + 60, "nbf": NOW - 10})
    yield jwt(h, {"sub": "u", "exp": NOW - 3600})
    yield jwt({"alg": "none"}, {"sub": "u", "exp": NOW + 60})
    yield jwt(h, {"sub": "u", "exp": "soon"}, secret=b"another-secret-0123456789abcdef0123")
    yield "a.b"


def times():
    return ["2026-11-25T09:46:17.123Z", "2026-11-25T09:46:17+05:30", "2026-11-25", "1970-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999Z", "90", "15m", "24h", "7d", "1.5h", "MTIz", "bm9wZQ", "-0"]


def queries():
    return ["/admin/telemetry/events?from=2026-11-01T00:00:00Z&to=2026-11-25T00:00:00Z&limit=100&name=page_view",
            "/admin/telemetry/dau?from=2026-11-01&to=2026-11-30",
            "/x?from=%32%30%32%36-11-01&limit=1001&limit=2&name=%3Cscript%3E",
            "/x?from=&to=&limit=-1", "/x?a&b=&=c&%zz"]


def s3_inputs():
    return ['<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The key does not exist'
            '</Message></Error>',
            "<InitiateMultipartUploadResult><Bucket>b</Bucket><Key>k</Key><UploadId>abc&amp;def</UploadId>"
            "</InitiateMultipartUploadResult>",
            '<CompleteMultipartUploadResult><ETag>"3858f62230ac3c915f300c664312c11f-9"</ETag>'
            "</CompleteMultipartUploadResult>",
            "s3://artifacts/beacon?endpoint=http://127.0.0.1:9000&region=eu-central-1",
            "s3://bucket", "<Code><Code></Code>"]


def configs():
    toml = ('listen = "127.0.0.1:8080"\ndata_dir = "/tmp/beacon"\nonline_window = 180\n'
            'storage_url = "s3://b/p?endpoint=http://127.0.0.1:9000"\ntimezone = "Europe/Berlin"\n'
            'max_artifact_bytes = "2G"\nsigning_public_keys = "/a.pub,/b.pub"\n')
    yield "postgres://beacon:pw@127.0.0.1:5432/beacon\n" + toml
    yield "90m\n" + "listen = 8080\n"
    yield "https://hooks.example.com/T0/B0/xyz\n[table]\nkey = 1\n"
    yield "Asia/Shanghai"
    yield "200/400\ntrusted_proxies = \"10.0.0.0/8, ::1/128\"\nrate_limit = \"0.5\"\n"


def forwarded():
    yield "10.0.0.0/8, 127.0.0.1/32, ::1/128\n203.0.113.7, 10.0.0.2\n10.0.0.3"
    yield "2001:db8::/32\n[2001:db8::1]:443, 198.51.100.9:4711\nunknown, 2001:db8::2"
    yield "https://console.example.com, http://127.0.0.1:8080\n, ,\n"
    yield "0.0.0.0/0\n" + ", ".join(f"10.0.0.{i}" for i in range(50))


def ranges():
    for size, header in ((1000, "bytes=0-99"), (1000, "bytes=-500"), (1000, "bytes=900-"), (1000, "bytes=0-0,5-9"),
                         (0, "bytes=0-"), (1 << 31, "bytes=2147483647-"), (10, "items=0-1"), (10, "bytes= 1 - 2")):
        yield struct.pack("<Q", size) + header.encode()


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    shutil.rmtree(out, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix="beacon-corpus-"))
    try:
        apk = android_package(tmp)
        with zipfile.ZipFile(io.BytesIO(apk)) as z:
            manifest = z.read("AndroidManifest.xml")
        plist_xml, plist_bin = plists(tmp)
        write(out, "heartbeat", heartbeats())
        write(out, "json_body", list(heartbeats()) + [' { "a" : true , "b":null,"c":-12, "d":"x" } ', '{"a":1,"a":2}'])
        write(out, "event_batch", batches())
        write(out, "gzip", gzips())
        write(out, "multipart", multiparts())
        write(out, "axml", [manifest, manifest[: len(manifest) // 2], manifest[:8]])
        write(out, "plist", [plist_xml, plist_bin, plist_bin[: len(plist_bin) - 20], b"210", b"2.1.0.7"])
        write(out, "package", [apk, zip_of([("Payload/Fuzz.app/Info.plist", plist_bin)]),
                               zip_of([("Payload/Fuzz.app/Info.plist", plist_xml), ("Payload/x", b"")]),
                               zip_of([("AndroidManifest.xml", b"not binary xml")]), apk[:200]])
        write(out, "jwt", tokens())
        write(out, "time", times())
        write(out, "query", queries())
        write(out, "s3", s3_inputs())
        write(out, "config", configs())
        write(out, "byte_range", ranges())
        write(out, "forwarded_for", forwarded())
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"seed corpora in {out}: " + ", ".join(f"{d.name} {len(list(d.iterdir()))}" for d in sorted(out.iterdir())))


if __name__ == "__main__":
    main()
