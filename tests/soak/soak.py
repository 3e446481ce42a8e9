#!/usr/bin/env python3
"""The soak under faults (`make soak`; issue 14, docs/RELIABILITY.md).

A mixed load runs against the release build while faults come on a
schedule, in each mode:

  load   heartbeats, event batches of 20 with unique eventIds (every id
         acknowledged by a 200 is remembered), update checks, downloads of the
         offered artifact (its SHA-256 checked against the catalog's), uploads
         of small packages, admin reads (events listing, versions);
  faults embedded:   SIGKILL of Beacon (then `PRAGMA integrity_check` of the
                     SQLite database while it is down, and a restart), and a
                     full data directory (a 256 MiB tmpfs, filled by a file);
         production: SIGKILL of Beacon, PostgreSQL stopped and resumed, Redis
                     stopped and resumed, the S3 peer stopped and resumed.

It asserts, and writes into bench/results/soak-<stamp>.{json,md}: every event
that got a 200 is stored exactly once; every download matched its SHA-256;
integrity_check said ok after every kill; Beacon answered /readyz 200 again
by itself after every fault (with the time it took); while the disk was full
events and uploads were 503 and reads 200, and nothing half-stored stayed;
the RSS stayed under --max-rss-mib.

    tests/soak/soak.py                         # make soak: 3 minutes per mode
    tests/soak/soak.py --modes embedded --minutes 1

Needs root for the tmpfs of the full-disk fault (skipped, and said so,
otherwise). The peers are tools/test-services' scripts, stopped by PID.
"""

import argparse
import hashlib
import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "tools" / "test-services"
sys.path.insert(0, str(ROOT / "bench" / "load"))
import run as load  # noqa: E402  (free_port, proc_stat, Service: the bench's own helpers)

SECRET = "soak-secret-0123456789abcdef0123456789"
TIMEOUT = 10


def log(msg):
    print(f"[soak {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


class Beacon:
    """beacon serve on a fixed port and data dir, restartable after a SIGKILL."""

    def __init__(self, binary, work, env):
        self.binary, self.work = binary, work
        self.port = load.free_port()
        self.env = dict(os.environ, BEACON_JWT_SECRET=SECRET, BEACON_RATE_LIMIT="0", **env)
        self.data = work / "data"
        self.proc = None
        self.log = open(work / "beacon.log", "a")
        self.start()
        token = subprocess.run([str(binary), "token", "--admin", "--ttl", "6h"], env=self.env, check=True,
                               capture_output=True, text=True, timeout=30).stdout.strip()
        self.admin = {"Authorization": f"Bearer {token}"}

    def start(self):
        self.proc = subprocess.Popen([str(self.binary), "serve", "--data-dir", str(self.data),
                                      "--listen", f"127.0.0.1:{self.port}"], env=self.env,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def request(self, method, path, body=None, headers=None):
        """(status, body bytes); status 0 when the connection failed."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        except (OSError, http.client.HTTPException):
            return 0, b""
        finally:
            conn.close()

    def ready_within(self, seconds):
        """Seconds until /readyz answered 200, or None."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            if self.request("GET", "/readyz")[0] == 200:
                return time.monotonic() - t0
            time.sleep(0.1)
        return None


class Load:
    """The mixed load, on threads, until stop(); tallies what it saw."""

    def __init__(self, beacon, packages):
        self.b = beacon
        self.packages = packages
        self.acked = {}  # eventId -> installId, for every event acknowledged by a 200
        self.counts = {}
        self.bad_downloads = []
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self.heartbeats, self.events, self.events, self.checks, self.uploads,
                                  self.admin_reads)]

    def tally(self, kind, status):
        with self.lock:
            key = f"{kind} {status}"
            self.counts[key] = self.counts.get(key, 0) + 1

    def run(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(timeout=60)

    def loop(self, step, pause):
        while not self.halt.is_set():
            step()
            time.sleep(pause)

    def heartbeats(self):
        def step():
            body = json.dumps({"installId": f"soak-{random.randrange(5000):05d}", "platform": "android",
                               "versionCode": random.choice((1, 2, 3))})
            self.tally("heartbeat", self.b.request("POST", "/telemetry/heartbeat", body,
                                                   {"Content-Type": "application/json"})[0])
        self.loop(step, 0.002)

    def events(self):
        def step():
            install = f"soak-{random.randrange(5000):05d}"
            ids = [str(uuid.uuid4()) for _ in range(20)]
            body = json.dumps({"context": {"installId": install, "platform": "android", "sessionId": ids[0]},
                               "events": [{"eventId": i, "eventName": random.choice(("page_view", "tap")),
                                           "properties": {"n": k}} for k, i in enumerate(ids)]})
            status, answer = self.b.request("POST", "/telemetry/events", body, {"Content-Type": "application/json"})
            self.tally("events", status)
            if status == 200:
                if json.loads(answer).get("accepted") != len(ids):
                    self.tally("events-not-all-accepted", status)
                with self.lock:
                    for i in ids:
                        self.acked[i] = install
        self.loop(step, 0.05)

    def checks(self):
        def step():
            status, body = self.b.request("GET", "/app/version/check?platform=android&current_version_code=1")
            self.tally("update-check", status)
            if status != 200:
                return
            latest = json.loads(body).get("latest")
            if not latest or not latest.get("downloadUrl") or not latest.get("sha256"):
                return
            url = latest["downloadUrl"]
            path = url[url.index("/", url.index("//") + 2):] if url.startswith("http") else url
            if "/files/" not in path:  # an S3 link: fetched from the peer directly
                import urllib.request
                try:
                    with urllib.request.urlopen(url, timeout=TIMEOUT) as r:
                        dstatus, data = r.status, r.read()
                except OSError:
                    dstatus, data = 0, b""
            else:
                dstatus, data = self.b.request("GET", path)
            self.tally("download", dstatus)
            if dstatus == 200 and hashlib.sha256(data).hexdigest() != latest["sha256"]:
                with self.lock:
                    self.bad_downloads.append(latest["versionCode"])
        self.loop(step, 0.02)

    def uploads(self):
        def step():
            data = random.choice(self.packages)
            status, _ = self.b.request("POST", "/admin/versions/upload", data,
                                       dict(self.b.admin, **{"Content-Type": "application/octet-stream",
                                                             "X-File-Name": "soak.zip"}))
            self.tally("upload", status)
        self.loop(step, 0.5)

    def admin_reads(self):
        def step():
            for path in ("/admin/telemetry/events?limit=50", "/admin/versions?platform=android"):
                self.tally("admin-read", self.b.request("GET", path, headers=self.b.admin)[0])
        self.loop(step, 0.1)


def make_packages(work, n=4):
    """Small ZIPs with distinct random payloads (distinct SHA-256s)."""
    out = []
    for i in range(n):
        p = work / f"package-{i}.zip"
        with zipfile.ZipFile(p, "w") as z:
            z.writestr("payload.bin", os.urandom(64 * 1024 + i))
        out.append(p.read_bytes())
    return out


def seed(beacon, packages):
    status, body = beacon.request("POST", "/admin/versions/upload", packages[0],
                                  dict(beacon.admin, **{"Content-Type": "application/octet-stream",
                                                        "X-File-Name": "soak.zip"}))
    if status not in (200, 201):
        raise SystemExit(f"seeding: upload answered {status}: {body[:200]!r}")
    key = json.loads(body)["artifact"]["key"]
    for code in (2, 3):
        v = {"platform": "android", "versionCode": code, "versionName": f"1.{code}", "artifactKey": key}
        status, body = beacon.request("POST", "/admin/versions", json.dumps(v),
                                      dict(beacon.admin, **{"Content-Type": "application/json"}))
        if status != 201:
            raise SystemExit(f"seeding: create answered {status}: {body[:200]!r}")


def stored_counts(mode, beacon, pg_url, acked):
    """{eventId: rows} for the acknowledged ids, from the database itself."""
    rows = {}
    if mode == "embedded":
        db = sqlite3.connect(f"file:{beacon.data / 'beacon.db'}?mode=ro", uri=True, timeout=60)
        try:
            for event_id, n in db.execute("SELECT event_id, count(*) FROM telemetry_events "
                                          "WHERE install_id LIKE 'soak-%' GROUP BY install_id, event_id"):
                rows[event_id] = rows.get(event_id, 0) + n
        finally:
            db.close()
    else:
        out = subprocess.run(["psql", "-At", "-F", " ", pg_url, "-c",
                              "SELECT event_id, count(*) FROM telemetry_events WHERE install_id LIKE 'soak-%' "
                              "GROUP BY install_id, event_id"], capture_output=True, text=True, check=True,
                             timeout=600)
        for line in out.stdout.splitlines():
            event_id, n = line.rsplit(" ", 1)
            rows[event_id] = rows.get(event_id, 0) + int(n)
    return {i: rows.get(i, 0) for i in acked}


def integrity_ok(beacon):
    db = sqlite3.connect(f"file:{beacon.data / 'beacon.db'}?mode=ro", uri=True, timeout=60)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()


def fill_disk(path):
    """Writes a filler file until the file system is full; returns it."""
    filler = path / "filler.bin"
    block = b"\0" * (1 << 20)
    with open(filler, "wb") as f:
        try:
            while True:
                f.write(block)
                f.flush()
        except OSError:
            pass
    return filler


def disk_full_phase(beacon, load_):
    """While the data dir is full: writes 503, reads 200. Then free it and recover."""
    filler = fill_disk(beacon.data)
    time.sleep(2)
    # SQLite may still commit into WAL pages it already holds: such a 200 is a
    # real commit (its events join the acknowledged ones, checked at the end),
    # so batches of 500 go on until the space is gone and a 503 comes.
    statuses = []
    for _ in range(40):
        ids = [str(uuid.uuid4()) for _ in range(500)]
        body = json.dumps({"context": {"installId": "soak-full-0001"},
                           "events": [{"eventId": i, "eventName": "tap", "properties": {"pad": "x" * 900}}
                                      for i in ids]})
        statuses.append(beacon.request("POST", "/telemetry/events", body, {"Content-Type": "application/json"})[0])
        if statuses[-1] == 200:
            with load_.lock:
                load_.acked.update((i, "soak-full-0001") for i in ids)
        else:
            break
    results = {"events": statuses[-1], "events_committed_before": statuses.count(200),
               "upload": beacon.request("POST", "/admin/versions/upload", load_.packages[1],
                                        dict(beacon.admin, **{"Content-Type": "application/octet-stream",
                                                              "X-File-Name": "full.zip"}))[0],
               "online": beacon.request("GET", "/telemetry/online")[0],
               "versions": beacon.request("GET", "/admin/versions?platform=android", headers=beacon.admin)[0],
               "update-check": beacon.request("GET", "/app/version/check?platform=android&current_version_code=1")[0]}
    filler.unlink()
    recovered = beacon.ready_within(60)
    incoming = list((beacon.data / "artifacts" / "incoming").glob("*")) if (beacon.data / "artifacts").exists() else []
    return {"answers": results, "recovered_s": recovered, "temp_files_left": len(incoming)}


def run_mode(mode, args, work):
    report = {"mode": mode, "faults": [], "rss_mib_max": 0}
    services = {}
    env = {}
    mounted = False
    data = work / "data"
    data.mkdir(parents=True)
    try:
        if mode == "embedded":
            if os.geteuid() == 0:
                subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256m", "tmpfs", str(data)], check=True)
                mounted = True
            else:
                log("not root: no tmpfs, so no full-disk fault")
        else:
            for kind in ("postgres", "redis", "s3"):
                services[kind] = load.Service(kind, work)
            e = {**services["postgres"].env, **services["redis"].env, **services["s3"].env}
            key = work / "signing-key.pem"
            subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True,
                           capture_output=True, timeout=30)
            env = {"BEACON_DATABASE_URL": e["BEACON_TEST_PG_URL"], "BEACON_REDIS_URL": e["BEACON_TEST_REDIS_URL"],
                   "BEACON_STORAGE_URL": f"s3://{e['BEACON_TEST_S3_BUCKET']}/soak?endpoint="
                                         f"{e['BEACON_TEST_S3_ENDPOINT']}&region={e['BEACON_TEST_S3_REGION']}",
                   "AWS_ACCESS_KEY_ID": e["BEACON_TEST_S3_ACCESS_KEY"],
                   "AWS_SECRET_ACCESS_KEY": e["BEACON_TEST_S3_SECRET_KEY"],
                   "BEACON_SIGNING_KEY_FILE": str(key)}
            report["pg_url"] = e["BEACON_TEST_PG_URL"]
        beacon = Beacon(args.beacon, work, env)
        if beacon.ready_within(60) is None:
            raise SystemExit(f"{mode}: beacon did not become ready; see {work / 'beacon.log'}")
        packages = make_packages(work)
        seed(beacon, packages)
        load_ = Load(beacon, packages)
        load_.run()

        faults = ["kill", "disk-full"] if mode == "embedded" else ["kill", "postgres", "redis", "s3"]
        if mode == "embedded" and not mounted:
            faults.remove("disk-full")
        end = time.monotonic() + args.minutes * 60
        k = 0
        while time.monotonic() < end:
            for _ in range(int(args.every)):
                time.sleep(1)
                if beacon.proc.poll() is None:
                    rss = load.proc_stat(beacon.proc.pid)[1] / 1024
                    report["rss_mib_max"] = max(report["rss_mib_max"], round(rss, 1))
            fault = faults[k % len(faults)]
            k += 1
            entry = {"fault": fault, "at_s": round(args.minutes * 60 - (end - time.monotonic()), 1)}
            if fault == "kill":
                beacon.kill()
                if mode == "embedded":
                    entry["integrity_check_ok"] = integrity_ok(beacon)
                beacon.start()
            elif fault == "disk-full":
                entry.update(disk_full_phase(beacon, load_))
            else:
                services[fault].stop()
                time.sleep(3)
                subprocess.run([str(SERVICES / f"{fault}.sh"), "resume", str(services[fault].dir)], check=True,
                               stdout=subprocess.DEVNULL, timeout=120)
            entry.setdefault("recovered_s", beacon.ready_within(60))
            if entry["recovered_s"] is not None:
                entry["recovered_s"] = round(entry["recovered_s"], 2)
            log(f"{mode}: {entry}")
            report["faults"].append(entry)

        load_.stop()
        time.sleep(1)
        beacon.stop()
        stored = stored_counts(mode, beacon, report.get("pg_url"), load_.acked)
        report["events_acked"] = len(stored)
        report["events_lost"] = sum(1 for n in stored.values() if n == 0)
        report["events_duplicated"] = sum(1 for n in stored.values() if n > 1)
        report["requests"] = dict(sorted(load_.counts.items()))
        report["bad_downloads"] = len(load_.bad_downloads)
        if mode == "embedded":
            report["final_integrity_check_ok"] = integrity_ok(beacon)
    finally:
        try:
            beacon.stop()
        except NameError:
            pass
        for s in services.values():
            s.stop()
        if mounted:
            subprocess.run(["umount", "-l", str(data)], check=False)
    return report


def failures(report, max_rss):
    bad = []
    for r in report["modes"]:
        m = r["mode"]
        if r.get("events_lost") or r.get("events_duplicated"):
            bad.append(f"{m}: {r['events_lost']} acknowledged events lost, {r['events_duplicated']} stored twice")
        if r.get("bad_downloads"):
            bad.append(f"{m}: {r['bad_downloads']} downloads did not match their SHA-256")
        for f in r["faults"]:
            if f.get("recovered_s") is None:
                bad.append(f"{m}: no recovery after {f['fault']} at {f['at_s']} s")
            if f.get("integrity_check_ok") is False:
                bad.append(f"{m}: integrity_check failed after the kill at {f['at_s']} s")
            if f["fault"] == "disk-full":
                a = f["answers"]
                if a["events"] != 503 or a["upload"] != 503:  # (events: after the space SQLite held was used)
                    bad.append(f"{m}: full disk answered events {a['events']}, upload {a['upload']} (want 503)")
                if any(a[k] != 200 for k in ("online", "versions", "update-check")):
                    bad.append(f"{m}: reads during the full disk: {a}")
                if f["temp_files_left"]:
                    bad.append(f"{m}: {f['temp_files_left']} half-stored upload files left")
        if r["rss_mib_max"] > max_rss:
            bad.append(f"{m}: RSS reached {r['rss_mib_max']} MiB (over {max_rss})")
        if r.get("final_integrity_check_ok") is False:
            bad.append(f"{m}: integrity_check failed at the end")
    return bad


def markdown(report):
    lines = [f"# make soak, {report['started']}", "", f"`{report['command']}`", ""]
    for r in report["modes"]:
        kills = sum(1 for f in r["faults"] if f["fault"] == "kill")
        rec = [f["recovered_s"] for f in r["faults"] if f.get("recovered_s") is not None]
        lines += [f"## {r['mode']}", "",
                  f"- events acknowledged {r['events_acked']:,}; stored exactly once: "
                  f"{r['events_acked'] - r['events_lost'] - r['events_duplicated']:,}; lost {r['events_lost']}; "
                  f"stored twice {r['events_duplicated']}",
                  f"- faults {len(r['faults'])} (kills {kills}); recovery to /readyz 200: "
                  + (f"median {sorted(rec)[len(rec) // 2]:.2f} s, max {max(rec):.2f} s" if rec else "none"),
                  f"- downloads not matching their SHA-256: {r['bad_downloads']}; RSS at most {r['rss_mib_max']} MiB",
                  "", "| at s | fault | recovered s | details |", "|---:|---|---:|---|"]
        for f in r["faults"]:
            details = {k: v for k, v in f.items() if k not in ("fault", "at_s", "recovered_s")}
            lines.append(f"| {f['at_s']} | {f['fault']} | {f.get('recovered_s')} | {json.dumps(details)} |")
        lines += ["", "Requests by answer: " + ", ".join(f"{k}: {v:,}" for k, v in r["requests"].items()), ""]
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--modes", default="embedded,production")
    p.add_argument("--minutes", type=float, default=3.0, help="per mode")
    p.add_argument("--every", type=float, default=15.0, help="seconds between faults")
    p.add_argument("--max-rss-mib", type=float, default=400.0)
    p.add_argument("--beacon", type=Path, default=ROOT / "build/release/beacon")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results")
    args = p.parse_args()
    if not args.beacon.exists():
        p.error(f"{args.beacon} not found (make release)")
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    report = {"started": stamp, "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]), "modes": []}
    work = Path(tempfile.mkdtemp(prefix="beacon-soak-"))
    os.chmod(work, 0o755)
    for mode in [m for m in args.modes.split(",") if m]:
        log(f"{mode}: {args.minutes} min, a fault every {args.every} s")
        report["modes"].append(run_mode(mode, args, work / mode))
    report["failures"] = failures(report, args.max_rss_mib)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"soak-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    md = markdown(report) + ("\n**Failures:**\n\n" + "\n".join(f"- {b}" for b in report["failures"])
                             if report["failures"] else "\nNo failures.\n")
    (args.out / f"soak-{stamp}.md").write_text(md)
    print(md)
    if report["failures"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
