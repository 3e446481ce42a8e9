#!/usr/bin/env python3
"""make bench's load half: Beacon over loopback under wrk, against the
machine's own ceiling measured in the same run.

For each mode (embedded: SQLite + in-process presence; production:
PostgreSQL + Redis, both started here with tools/test-services/*.sh) it starts
the release binary, seeds a catalog of 200 versions, and drives four
scenarios with wrk (keep-alive, 64 connections, one wrk thread, a warm-up
first): heartbeat, events (batches of 50), GET /telemetry/online and the
update check. The ceiling is nginx answering a fixed 204 on the same
connection count, once with wrk's static request and once with each scenario's
own Lua script (what the load generator costs). The floor for events is
bench/baseline/raw_ingest.cpp writing the same rows straight into the same
schema, and again into a bare table with only the key and the idempotency
key (the physical limit). Every figure is the median of --runs runs. Also measured: idle RSS,
peak RSS (VmHWM), CPU per 1k requests, and RSS growth while a 1 GiB artifact
is uploaded.

Writes bench/results/load-<stamp>.json (every run) and .md (the table), and
prints the table. Only loopback; every wait is bounded.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOAD = ROOT / "bench" / "load"
SERVICES = ROOT / "tools" / "test-services"
SECRET = "bench-secret-0123456789abcdef0123456789"
EVENTS_PER_BATCH = 50
CLK_TCK = os.sysconf("SC_CLK_TCK")

SCENARIOS = {
    # name: (script, path for wrk's URL)
    "heartbeat": ("heartbeat.lua", "/telemetry/heartbeat"),
    "online": ("static_get.lua", "/telemetry/online"),
    "update_check": ("update_check.lua", "/app/version/check"),
    "events": ("events.lua", "/telemetry/events"),
}

# Issue 15's targets, as a share of the nginx 204 ceiling (None: not a ratio target).
TARGETS = {
    ("embedded", "heartbeat"): 0.70,
    ("production", "heartbeat"): 0.60,
    ("embedded", "update_check"): 0.75,
    ("production", "update_check"): 0.75,
    ("embedded", "online"): 0.80,
    ("production", "online"): 0.80,
}
# Events against the floors: the raw floor (the same rows into the real
# schema) and the bare floor (into a table with only the key and the
# idempotency key: the physical limit).
RAW_TARGETS = {"embedded": 2.0, "production": 0.90}
BARE_TARGET = 0.5


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout_s=30, want=200):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == want:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} not answering {want} within {timeout_s}s")


def proc_stat(pid):
    """(cpu seconds used so far, VmRSS KiB, VmHWM KiB) of a process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return cpu, rss, hwm


# ---- wrk ----------------------------------------------------------------

def wrk(url, script, seconds, connections, threads):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
           "--timeout", "10s", "-s", str(LOAD / script), url]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line[len("BENCH_RESULT "):])
    raise RuntimeError(f"wrk printed no result: {out.stdout}\n{out.stderr}")


def measure(url, script, args, pid=None, label=""):
    """Warm-up, then --runs runs; each run's rate, latency and (with pid) CPU.
    Returns (runs, requests answered in all wrk invocations, warm-up included)."""
    answered = wrk(url, script, args.warmup, args.connections, args.threads)["requests"]
    runs = []
    for i in range(args.runs):
        before = proc_stat(pid) if pid else None
        r = wrk(url, script, args.duration, args.connections, args.threads)
        answered += r["requests"]
        errors = sum(r["errors"].values())
        run = {
            "requests": r["requests"],
            "rps": r["requests"] / (r["duration_us"] / 1e6),
            "errors": errors,
            "latency_us": r["latency_us"],
        }
        if pid:
            after = proc_stat(pid)
            run["cpu_ms_per_1k"] = (after[0] - before[0]) * 1000 / max(r["requests"] / 1000, 1e-9)
            run["rss_kib"] = after[1]
        runs.append(run)
        log(f"{label} run {i + 1}: {run['rps']:.0f} req/s, p99 {r['latency_us']['p99'] / 1000:.2f} ms"
            + (f", {errors} errors" if errors else ""))
    return runs, answered


def median_of(runs, key, sub=None):
    vals = [(r[key][sub] if sub else r[key]) for r in runs if key in r]
    return statistics.median(vals) if vals else None


def summarize(runs):
    return {
        "rps": median_of(runs, "rps"),
        "p50_ms": median_of(runs, "latency_us", "p50") / 1000,
        "p99_ms": median_of(runs, "latency_us", "p99") / 1000,
        "p999_ms": median_of(runs, "latency_us", "p999") / 1000,
        "cpu_ms_per_1k": median_of(runs, "cpu_ms_per_1k"),
        "errors": sum(r["errors"] for r in runs),
    }


# ---- processes ------------------------------------------------------------

class Nginx:
    """nginx on one loopback port: by default answering 204 to everything;
    `location` and `http` (extra directives) make it something else, such as
    replicas.py's load balancer. Ready when `ready` (path, status) answers."""

    def __init__(self, work, name="nginx", location="return 204;", http="", workers="auto", ready=("/", 204)):
        self.dir = work / name
        self.dir.mkdir()
        self.port = free_port()
        conf = self.dir / "nginx.conf"
        temp = {k: self.dir / k for k in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
        conf.write_text(f"""
daemon off;
worker_processes {workers};
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    client_body_temp_path {temp['body']};
    proxy_temp_path {temp['proxy']};
    fastcgi_temp_path {temp['fastcgi']};
    uwsgi_temp_path {temp['uwsgi']};
    scgi_temp_path {temp['scgi']};
{http}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{ {location} }}
    }}
}}
""")
        self.proc = subprocess.Popen(["nginx", "-c", str(conf), "-p", str(self.dir)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(self.url(ready[0]), want=ready[1])

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Service:
    """A PostgreSQL or Redis peer started by tools/test-services, stopped by PID."""

    def __init__(self, kind, work):
        self.kind = kind
        self.dir = work / kind
        subprocess.run([str(SERVICES / f"{kind}.sh"), "start", str(self.dir)], check=True,
                       stdout=subprocess.DEVNULL, timeout=120)
        self.env = {}
        for line in (self.dir / "env").read_text().splitlines():
            if line.startswith("export "):
                k, v = line[len("export "):].split("=", 1)
                self.env[k] = v.strip("'\"")

    def stop(self):
        subprocess.run([str(SERVICES / f"{self.kind}.sh"), "stop", str(self.dir)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


class Beacon:
    def __init__(self, binary, work, mode, database_url=None, redis_url=None, signing_key=None):
        self.dir = work / f"beacon-{mode}"
        self.dir.mkdir()
        self.port = free_port()
        # The load comes from one loopback address: no per-client rate limit.
        self.env = dict(os.environ, BEACON_JWT_SECRET=SECRET, BEACON_RATE_LIMIT="0")
        self.args = [str(binary), "serve", "--data-dir", str(self.dir / "data"),
                     "--listen", f"127.0.0.1:{self.port}"]
        if database_url:
            self.args += ["--database-url", database_url]
            # Production refuses to start without the key that signs offers.
            key = signing_key or self.dir / "signing-key.pem"
            if not signing_key:
                subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True,
                               capture_output=True, timeout=30)
            self.env["BEACON_SIGNING_KEY_FILE"] = str(key)
        if redis_url:
            self.args += ["--redis-url", redis_url]
        self.log = open(self.dir / "beacon.log", "w")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        wait_http(self.url("/readyz"))
        time.sleep(1)  # let start-up work (jobs' first ticks) settle before reading idle RSS
        self.idle_rss_kib = proc_stat(self.proc.pid)[1]
        token = subprocess.run([str(binary), "token", "--admin", "--ttl", "2h"], env=self.env,
                               capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        self.admin = {"Authorization": f"Bearer {token}"}

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method, path, body=None, headers=None, timeout=60):
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        h = dict(self.admin)
        if body is not None and not isinstance(body, bytes):
            h["Content-Type"] = "application/json"
        h.update(headers or {})
        req = urllib.request.Request(self.url(path), data=data, method=method, headers=h)
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def seed_catalog(beacon, work, codes=100):
    """2 x codes versions (android and ios, codes 1..codes; 200 by default),
    all on one stored artifact so every offer carries a signed URL; the top
    ten in staged rollout, one forced (code codes - 20)."""
    art = work / "artifact.zip"
    with zipfile.ZipFile(art, "w") as z:
        z.writestr("README.txt", "make bench artifact\n")
    _, up = beacon.request("POST", "/admin/versions/upload", art.read_bytes(),
                           {"Content-Type": "application/octet-stream", "X-File-Name": "bench.zip"})
    key = up["artifact"]["key"]
    for platform in ("android", "ios"):
        for code in range(1, codes + 1):
            staged = code - (codes - 10)  # 1..10 for the top ten
            body = {"platform": platform, "versionCode": code, "versionName": f"1.{code}.0",
                    "changelog": f"Release {code}: fixes and improvements.", "artifactKey": key,
                    "rolloutPercent": 100 if staged <= 0 else staged * 10 - 5,
                    "isForceUpdate": code == codes - 20, "minSupportedVersionCode": 20 if code > codes // 2 else None}
            beacon.request("POST", "/admin/versions", body)


def upload_rss_growth(beacon, work, size_mib):
    """Uploads a size_mib ZIP as a raw body (streamed by curl) while sampling
    Beacon's RSS every 20 ms; returns (growth KiB, seconds)."""
    big = work / "big.zip"
    chunk = os.urandom(1 << 20)
    with zipfile.ZipFile(big, "w", compression=zipfile.ZIP_STORED) as z:
        with z.open("payload.bin", "w", force_zip64=True) as f:
            for _ in range(size_mib):
                f.write(chunk)
    pid = beacon.proc.pid
    base = proc_stat(pid)[1]
    peak = base
    stop = threading.Event()

    def sample():
        nonlocal peak
        while not stop.is_set():
            peak = max(peak, proc_stat(pid)[1])
            time.sleep(0.02)

    t = threading.Thread(target=sample)
    t.start()
    t0 = time.monotonic()
    out = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST",
                          "-H", f"Authorization: {beacon.admin['Authorization']}",
                          "-H", "Content-Type: application/octet-stream", "-H", "X-File-Name: big.zip",
                          "-T", str(big), beacon.url("/admin/versions/upload")],
                         capture_output=True, text=True, timeout=600)
    secs = time.monotonic() - t0
    stop.set()
    t.join()
    big.unlink()
    if out.stdout not in ("200", "201"):
        raise RuntimeError(f"upload answered {out.stdout}: {out.stderr}")
    return peak - base, secs


def count_events(mode, beacon, pg_url):
    if mode == "embedded":
        db = sqlite3.connect(f"file:{beacon.dir / 'data' / 'beacon.db'}?mode=ro", uri=True, timeout=30)
        try:
            return db.execute("SELECT count(*) FROM telemetry_events").fetchone()[0]
        finally:
            db.close()
    out = subprocess.run(["psql", "-At", pg_url, "-c", "SELECT count(*) FROM telemetry_events"],
                         capture_output=True, text=True, check=True, timeout=120)
    return int(out.stdout.strip())


# ---- raw floors -------------------------------------------------------------

def raw_ingest(args, work, backend, pg=None, bare=False):
    runs = []
    kind = "bare" if bare else "raw"
    for i in range(args.runs):
        env = dict(os.environ, BEACON_JWT_SECRET=SECRET)
        if backend == "sqlite":
            d = work / f"{kind}-sqlite-{i}"
            subprocess.run([str(args.beacon), "migrate", "--data-dir", str(d)], env=env, check=True,
                           capture_output=True, timeout=60)
            target = str(d / "beacon.db")
        else:
            db = f"beacon_{kind}_{os.getpid()}_{i}"
            subprocess.run(["psql", "-q", pg, "-c", f"CREATE DATABASE {db}"], check=True,
                           capture_output=True, timeout=60)
            target = pg.rsplit("/", 1)[0] + "/" + db
            subprocess.run([str(args.beacon), "migrate", "--database-url", target], env=env, check=True,
                           capture_output=True, timeout=60)
        out = subprocess.run([str(args.raw_ingest), backend, target, str(args.raw_rows), "500",
                              *(["bare"] if bare else [])],
                             capture_output=True, text=True, timeout=900)
        if out.returncode != 0:
            raise RuntimeError(f"{kind} {backend} ingest failed: {out.stderr.strip()}")
        r = json.loads(out.stdout)
        runs.append(r)
        log(f"{kind} {backend} run {i + 1}: {r['rows_per_s']:.0f} rows/s")
        if backend == "sqlite":
            shutil.rmtree(d, ignore_errors=True)
    return {"runs": runs, "rows_per_s": statistics.median(r["rows_per_s"] for r in runs)}


# ---- the run ----------------------------------------------------------------

def run_mode(mode, args, work, ceiling, pg_url=None, redis_url=None):
    beacon = Beacon(args.beacon, work, mode, pg_url, redis_url)
    result = {"idle_rss_mib": beacon.idle_rss_kib / 1024, "scenarios": {}}
    try:
        log(f"{mode}: idle RSS {result['idle_rss_mib']:.1f} MiB; seeding 200 versions")
        seed_catalog(beacon, work)
        for name, (script, path) in SCENARIOS.items():
            if name not in args.scenarios:
                continue
            runs, answered = measure(beacon.url(path), script, args, beacon.proc.pid, f"{mode} {name}")
            s = summarize(runs)
            s["peak_rss_mib"] = proc_stat(beacon.proc.pid)[2] / 1024
            s["vs_nginx_204"] = s["rps"] / ceiling["static"]["rps"]
            if name in ceiling:
                s["vs_nginx_same_script"] = s["rps"] / ceiling[name]["rps"]
            if name == "events":
                s["events_per_s"] = s["rps"] * EVENTS_PER_BATCH
                # Every acknowledged event must be stored. A few more may be: wrk
                # stops counting at the deadline while requests are in flight.
                s["events_acknowledged"] = answered * EVENTS_PER_BATCH
                s["events_stored"] = count_events(mode, beacon, pg_url)
                if s["events_stored"] < s["events_acknowledged"]:
                    raise RuntimeError(f"{mode}: {s['events_acknowledged']} events acknowledged, "
                                       f"only {s['events_stored']} stored")
            s["runs"] = runs
            result["scenarios"][name] = s
        if args.upload_mib:
            growth, secs = upload_rss_growth(beacon, work, args.upload_mib)
            result["upload"] = {"mib": args.upload_mib, "rss_growth_mib": growth / 1024, "seconds": secs}
            log(f"{mode}: {args.upload_mib} MiB upload: RSS +{growth / 1024:.1f} MiB in {secs:.1f}s")
        result["peak_rss_mib"] = proc_stat(beacon.proc.pid)[2] / 1024
    finally:
        beacon.stop()
    return result


def table(report):
    lines = ["| mode | scenario | req/s | events/s | vs nginx 204 | vs nginx, same script | target | "
             "p50 ms | p99 ms | p99.9 ms | CPU ms/1k req | peak RSS MiB |",
             "|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    c = report["ceiling"]
    for name, s in c.items():
        lines.append(f"| nginx | {name} | {s['rps']:.0f} | | {s['rps'] / c['static']['rps']:.2f} | | | "
                     f"{s['p50_ms']:.2f} | "
                     f"{s['p99_ms']:.2f} | {s['p999_ms']:.2f} | | |")
    for mode, m in report["modes"].items():
        for name, s in m["scenarios"].items():
            target = TARGETS.get((mode, name))
            verdict = "" if target is None else (
                f"≥{target:.0%} {'met' if s['vs_nginx_204'] >= target else 'MISSED'}")
            if name == "events":
                backend = "sqlite" if mode == "embedded" else "postgres"
                parts = []
                for kind, want in (("raw", RAW_TARGETS[mode]), ("bare", BARE_TARGET)):
                    floor = report.get(kind, {}).get(backend)
                    if floor:
                        share = s["events_per_s"] / floor["rows_per_s"]
                        parts.append(f"≥{want:.2f} x {kind}: {share:.2f} {'met' if share >= want else 'MISSED'}")
                verdict = "; ".join(parts)
            same = f"{s['vs_nginx_same_script']:.2f}" if "vs_nginx_same_script" in s else ""
            ev = f"{s['events_per_s']:.0f}" if "events_per_s" in s else ""
            lines.append(f"| {mode} | {name} | {s['rps']:.0f} | {ev} | {s['vs_nginx_204']:.2f} | {same} | "
                         f"{verdict} | {s['p50_ms']:.2f} | {s['p99_ms']:.2f} | {s['p999_ms']:.2f} | "
                         f"{s['cpu_ms_per_1k']:.0f} | {s['peak_rss_mib']:.0f} |")
    lines.append("")
    for backend, r in report["raw"].items():
        lines.append(f"- raw {backend} insert of the same rows ({report['args']['raw_rows']} rows, "
                     f"500 per transaction): {r['rows_per_s']:.0f} rows/s (median of {len(r['runs'])})")
    for backend, r in report.get("bare", {}).items():
        lines.append(f"- bare {backend} insert of the same rows (a table with only the key and the idempotency "
                     f"key): {r['rows_per_s']:.0f} rows/s (median of {len(r['runs'])})")
    for mode, m in report["modes"].items():
        extra = f"- {mode}: idle RSS {m['idle_rss_mib']:.1f} MiB, peak RSS {m['peak_rss_mib']:.1f} MiB"
        if "upload" in m:
            u = m["upload"]
            extra += f", {u['mib']} MiB upload grew RSS by {u['rss_growth_mib']:.1f} MiB ({u['seconds']:.1f} s)"
        lines.append(extra)
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--modes", default="embedded,production")
    p.add_argument("--scenarios", default=",".join(SCENARIOS))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--duration", type=int, default=10, help="seconds per measured run")
    p.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before each scenario")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--raw-rows", type=int, default=300000)
    p.add_argument("--upload-mib", type=int, default=1024, help="0 skips the upload measurement")
    p.add_argument("--beacon", type=Path, default=ROOT / "build/release/beacon")
    p.add_argument("--raw-ingest", type=Path, default=ROOT / "build/release/bench/baseline/beacon_raw_ingest")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results")
    args = p.parse_args()
    args.modes = [m for m in args.modes.split(",") if m]
    args.scenarios = [s for s in args.scenarios.split(",") if s]
    for m in args.modes:
        if m not in ("embedded", "production"):
            p.error(f"--modes: unknown mode {m}")
    for s in args.scenarios:
        if s not in SCENARIOS:
            p.error(f"--scenarios: unknown scenario {s}")

    work = Path(tempfile.mkdtemp(prefix="beacon-bench-"))
    work.chmod(0o711)  # postgres.sh runs the cluster as its own user, which must reach work/postgres
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    report = {"started": stamp, "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
              "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
              "ceiling": {}, "raw": {}, "bare": {}, "modes": {}}
    services = []
    nginx = None
    try:
        nginx = Nginx(work)
        log(f"nginx 204 ceiling on port {nginx.port}")
        report["ceiling"]["static"] = summarize(measure(nginx.url("/"), "static_get.lua", args, None, "nginx static")[0])
        for name in args.scenarios:
            script = SCENARIOS[name][0]
            if script != "static_get.lua":
                runs, _ = measure(nginx.url(SCENARIOS[name][1]), script, args, None, f"nginx {name} script")
                report["ceiling"][name] = summarize(runs)
        nginx.stop()
        nginx = None

        if "embedded" in args.modes:
            report["raw"]["sqlite"] = raw_ingest(args, work, "sqlite")
            report["bare"]["sqlite"] = raw_ingest(args, work, "sqlite", bare=True)
            report["modes"]["embedded"] = run_mode("embedded", args, work, report["ceiling"])
        if "production" in args.modes:
            pg = Service("postgres", work)
            services.append(pg)
            redis = Service("redis", work)
            services.append(redis)
            pg_url, redis_url = pg.env["BEACON_TEST_PG_URL"], redis.env["BEACON_TEST_REDIS_URL"]
            report["raw"]["postgres"] = raw_ingest(args, work, "postgres", pg_url)
            report["bare"]["postgres"] = raw_ingest(args, work, "postgres", pg_url, bare=True)
            report["modes"]["production"] = run_mode("production", args, work, report["ceiling"], pg_url, redis_url)
    finally:
        if nginx:
            nginx.stop()
        for s in reversed(services):
            s.stop()
        shutil.rmtree(work, ignore_errors=True)

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"load-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    md = table(report)
    (args.out / f"load-{stamp}.md").write_text(
        f"# make bench, {stamp}\n\nMedians of {args.runs} runs of {args.duration} s, wrk -t{args.threads} "
        f"-c{args.connections}, on {os.cpu_count()} CPUs shared by wrk and the server.\n\n{md}\n")
    print(md)
    print(f"\nresults: {args.out / f'load-{stamp}.json'}")


if __name__ == "__main__":
    main()
