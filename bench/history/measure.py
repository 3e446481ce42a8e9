#!/usr/bin/env python3
"""Times the version queries of issue 11 on a generated history (generate.py).

(a) SQL level, through Python's sqlite3 and psql: 'below' on
    actor_last_sessions and 'adoption' (30 buckets of 1 day, and 168 of 1 h
    over 7 days) on the session starts, plus the variants of each that the
    report compares; every query once on a fresh connection (reported as
    "first": the OS page cache is not dropped, so it is the first run of a new
    connection, not a cold disk) then --runs times (median). With the plans
    (EXPLAIN QUERY PLAN / EXPLAIN (ANALYZE, BUFFERS)).
(b) HTTP level: the release `beacon serve` on the same database, one warm-up
    then --runs requests per endpoint (median); an endpoint that answers 404
    is skipped with a message (it is not on this build yet).

Parameters: platform android; versionCode = the median code of the android
actors in the window (so about half are below, and the adoption share is
neither 0 nor 1); the window is the last 30 days up to now.

Two ways to run it:

    measure.py --sqlite PATH/beacon.db --postgres URL     # databases made already
    measure.py --auto --events 10000000 --actors 1000000  # make bench-history

--auto keeps the databases under build/bench-history/<kind>-<sizes>/ and
generates one when it is missing or its window ended more than --max-age-days
ago; the PostgreSQL one is a cluster of tools/test-services/postgres.sh,
started (or resumed) for the run and stopped by PID afterwards.

Writes bench/results/history-<stamp>.json and .md and prints the table.
"""

import argparse
import json
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "tools" / "test-services"
SECRET = "history-bench-0123456789abcdef01234"
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
SLOW_S = 2.0


def log(msg):
    print(f"[measure {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def buckets(now_ms, width_ms, count):
    """count buckets of width_ms aligned in UTC, the last one holding now."""
    last = now_ms - now_ms % width_ms
    return [(last - (count - 1 - i) * width_ms, last - (count - 2 - i) * width_ms) for i in range(count)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- the queries ------------------------------------------------------------------

SQLITE_BELOW = ("SELECT COUNT(*), SUM(version_code < ?), SUM(version_code IS NULL) FROM actor_last_sessions "
                "WHERE platform = ? AND event_time >= ?")
SQLITE_BUCKETS = "WITH b(s, e) AS (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1)) "
SQLITE_ADOPTION = {
    "as specified": SQLITE_BUCKETS + (
        "SELECT b.s, COUNT(DISTINCT t.install_id), COUNT(DISTINCT CASE WHEN t.version_code = ?3 THEN t.install_id END) "
        "FROM b JOIN telemetry_events t ON t.event_name = 'app_session_start' AND t.platform = ?2 "
        "AND t.event_time >= b.s AND t.event_time < b.e GROUP BY b.s ORDER BY b.s"),
    # One row per (bucket, install) first, then counted: one sorter instead of two distinct sets per bucket.
    "group by bucket, install first": SQLITE_BUCKETS + (
        "SELECT s, COUNT(*), SUM(hit) FROM (SELECT b.s AS s, t.install_id, MAX(t.version_code = ?3) AS hit "
        "FROM b JOIN telemetry_events t ON t.event_name = 'app_session_start' AND t.platform = ?2 "
        "AND t.event_time >= b.s AND t.event_time < b.e GROUP BY b.s, t.install_id) GROUP BY s ORDER BY s"),
    # A correlated subquery per bucket: no sorter over every row of the window
    # for the GROUP BY, only the two distinct sets of one bucket at a time
    # (both counts in one scan, as a JSON pair; empty buckets give [0,0]).
    "per-bucket subquery": SQLITE_BUCKETS + (
        "SELECT b.s, (SELECT json_array(COUNT(DISTINCT t.install_id), "
        "COUNT(DISTINCT CASE WHEN t.version_code = ?3 THEN t.install_id END)) FROM telemetry_events t "
        "WHERE t.event_name = 'app_session_start' AND t.platform = ?2 AND t.event_time >= b.s "
        "AND t.event_time < b.e) FROM b ORDER BY b.s"),
}
# SQLite 3.40 does not count a partial index's own WHERE column as covered, so
# ix_telemetry_events_sessions (no event_name column) is read with a table row
# lookup per entry. The same index with event_name appended is covering: the
# "as specified" and "per-bucket subquery" queries with it, on an index created
# for the run and dropped after.
SQLITE_COVERING_INDEX = ("CREATE INDEX ix_bench_sessions_covering ON telemetry_events "
                         "(platform, event_time, install_id, version_code, event_name) "
                         "WHERE event_name = 'app_session_start'")
PG_BELOW = ("SELECT count(*), count(*) FILTER (WHERE version_code < $2), count(*) FILTER (WHERE version_code IS NULL) "
            "FROM actor_last_sessions WHERE platform = $1 AND event_time >= $3")
PG_ADOPTION = {
    "as specified": (
        "SELECT b.s, count(DISTINCT t.install_id), count(DISTINCT CASE WHEN t.version_code = $4 THEN t.install_id END) "
        "FROM unnest($1::timestamptz[], $2::timestamptz[]) AS b(s, e) JOIN telemetry_events t "
        "ON t.event_name = 'app_session_start' AND t.platform = $3 AND t.event_time >= b.s AND t.event_time < b.e "
        "GROUP BY b.s ORDER BY b.s"),
    # The planner cannot know the buckets' widths (parameters of a join), so it
    # expects far more rows than there are and JIT-compiles the query, which can
    # be most of its time: the same with jit off (Beacon could SET LOCAL jit = off).
    "as specified, jit off": (
        "SELECT b.s, count(DISTINCT t.install_id), count(DISTINCT CASE WHEN t.version_code = $4 THEN t.install_id END) "
        "FROM unnest($1::timestamptz[], $2::timestamptz[]) AS b(s, e) JOIN telemetry_events t "
        "ON t.event_name = 'app_session_start' AND t.platform = $3 AND t.event_time >= b.s AND t.event_time < b.e "
        "GROUP BY b.s ORDER BY b.s"),
    "group by bucket, install first": (
        "SELECT s, count(*), count(*) FILTER (WHERE hit) FROM (SELECT b.s, t.install_id, "
        "bool_or(t.version_code = $4) AS hit FROM unnest($1::timestamptz[], $2::timestamptz[]) AS b(s, e) "
        "JOIN telemetry_events t ON t.event_name = 'app_session_start' AND t.platform = $3 "
        "AND t.event_time >= b.s AND t.event_time < b.e GROUP BY b.s, t.install_id) x GROUP BY s ORDER BY s"),
    # One aggregate per bucket (LATERAL): no sort of every row of the window by
    # bucket, and small per-bucket estimates (empty buckets give 0 rows counted).
    "per-bucket lateral": (
        "SELECT b.s, x.installs, x.at_version FROM unnest($1::timestamptz[], $2::timestamptz[]) AS b(s, e) "
        "CROSS JOIN LATERAL (SELECT count(DISTINCT t.install_id) AS installs, "
        "count(DISTINCT CASE WHEN t.version_code = $4 THEN t.install_id END) AS at_version "
        "FROM telemetry_events t WHERE t.event_name = 'app_session_start' AND t.platform = $3 "
        "AND t.event_time >= b.s AND t.event_time < b.e) x ORDER BY b.s"),
    # The same per bucket, but each install's row first (GROUP BY install_id,
    # which the planner hashes: no sort, so no collation-aware comparison of
    # every install id), then counted.
    "per-bucket lateral, hashed installs": (
        "SELECT b.s, x.installs, x.at_version FROM unnest($1::timestamptz[], $2::timestamptz[]) AS b(s, e) "
        "CROSS JOIN LATERAL (SELECT count(*) AS installs, count(*) FILTER (WHERE g.hit) AS at_version "
        "FROM (SELECT bool_or(t.version_code = $4) AS hit FROM telemetry_events t "
        "WHERE t.event_name = 'app_session_start' AND t.platform = $3 "
        "AND t.event_time >= b.s AND t.event_time < b.e GROUP BY t.install_id) g) x ORDER BY b.s"),
    "per-bucket lateral, hashed installs, jit off": (
        "SELECT b.s, x.installs, x.at_version FROM unnest($1::timestamptz[], $2::timestamptz[]) AS b(s, e) "
        "CROSS JOIN LATERAL (SELECT count(*) AS installs, count(*) FILTER (WHERE g.hit) AS at_version "
        "FROM (SELECT bool_or(t.version_code = $4) AS hit FROM telemetry_events t "
        "WHERE t.event_name = 'app_session_start' AND t.platform = $3 "
        "AND t.event_time >= b.s AND t.event_time < b.e GROUP BY t.install_id) g) x ORDER BY b.s"),
}


# ---- SQLite ---------------------------------------------------------------------

def sqlite_params(path, now_ms, days):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        since = now_ms - days * DAY_MS
        n = db.execute("SELECT count(*) FROM actor_last_sessions WHERE platform = 'android' AND event_time >= ? "
                       "AND version_code IS NOT NULL", (since,)).fetchone()[0]
        row = db.execute("SELECT version_code FROM actor_last_sessions WHERE platform = 'android' AND event_time >= ? "
                         "AND version_code IS NOT NULL ORDER BY version_code LIMIT 1 OFFSET ?",
                         (since, n // 2)).fetchone()
        code = row[0] if row else 0
        vid = db.execute("SELECT id FROM app_versions WHERE platform = 'android' AND channel = 'stable' "
                         "AND version_code = ?", (code,)).fetchone()
        return code, (vid[0] if vid else None)
    finally:
        db.close()


def sqlite_time(path, sql, params, runs):
    """First run on a fresh connection, then `runs` more; seconds, and the first result."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        times, result = [], None
        for i in range(runs + 1):
            t0 = time.perf_counter()
            rows = db.execute(sql, params).fetchall()
            times.append(time.perf_counter() - t0)
            result = result or rows
        plan = [r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall()]
        return times, result, plan
    finally:
        db.close()


def measure_sqlite(path, args, now_ms):
    code, vid = sqlite_params(path, now_ms, 30)
    since = now_ms - 30 * DAY_MS
    day_b = buckets(now_ms, DAY_MS, 30)
    hour_b = buckets(now_ms, HOUR_MS, 168)
    queries = [("below", None, SQLITE_BELOW, (code, "android", since))]
    for variant, sql in SQLITE_ADOPTION.items():
        queries.append(("adoption 30 x 1d", variant, sql, (json.dumps(day_b), "android", code)))
        queries.append(("adoption 168 x 1h", variant, sql, (json.dumps(hour_b), "android", code)))
    out = []

    def run(name, variant, sql, params):
        times, result, plan = sqlite_time(path, sql, params, args.runs)
        out.append(entry(name, variant, times, result, plan))
        log(f"sqlite {name} [{variant or '-'}]: first {times[0] * 1000:.0f} ms, median "
            f"{out[-1]['median_ms']:.0f} ms")

    for q in queries:
        run(*q)
    if args.sqlite_index_variant:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            t0 = time.monotonic()
            db.execute(SQLITE_COVERING_INDEX)
            db.execute("ANALYZE ix_bench_sessions_covering")
            log(f"sqlite: covering index built in {time.monotonic() - t0:.0f}s")
            for name, variant, sql, params in queries:
                if variant in ("as specified", "per-bucket subquery"):
                    run(name, f"{variant}, index with event_name (covering)", sql, params)
        finally:
            db.execute("DROP INDEX IF EXISTS ix_bench_sessions_covering")
            db.execute("DELETE FROM sqlite_stat1 WHERE idx = 'ix_bench_sessions_covering'")
            db.close()
    return {"version_code": code, "version_id": vid, "queries": out}


def entry(name, variant, times, result, plan):
    rest = times[1:]
    return {"query": name, "variant": variant, "first_ms": round(times[0] * 1000, 1),
            "median_ms": round(statistics.median(rest) * 1000, 1), "runs_ms": [round(t * 1000, 1) for t in rest],
            "result_rows": len(result), "result_head": [list(r) for r in result[:3]], "plan": plan}


# ---- PostgreSQL -------------------------------------------------------------------

def psql(url, script, timeout=1800):
    out = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", url, "-f", "-"], input=script,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout


def pg_array(ms_list):
    return "'{" + ",".join(f'"{iso(ms)}"' for ms in ms_list) + "}'"


def pg_params(url, now_ms):
    since = iso(now_ms - 30 * DAY_MS)
    code = psql(url, f"""
        SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY version_code) FROM actor_last_sessions
         WHERE platform = 'android' AND event_time >= '{since}' AND version_code IS NOT NULL;""").strip()
    code = int(code) if code else 0
    vid = psql(url, f"SELECT id FROM app_versions WHERE platform = 'android' AND channel = 'stable' "
                    f"AND version_code = {code};").strip()
    return code, (int(vid) if vid else None)


def pg_time(url, prepare, execute, runs):
    """PREPARE once, EXECUTE runs + 1 times in one fresh session (custom plans,
    as libpq's unnamed statements get); psql's \\timing per run, and the plan."""
    script = "SET plan_cache_mode = force_custom_plan;\n" + prepare + ";\n\\timing on\n" + \
        "\n".join([execute + ";"] * (runs + 1)) + "\n\\timing off\n" + \
        "EXPLAIN (ANALYZE, BUFFERS) " + execute + ";\n"
    out = psql(url, script)
    times = [float(m) / 1000 for m in re.findall(r"^Time: ([0-9.]+) ms", out, re.M)]
    if len(times) != runs + 1:
        raise RuntimeError(f"expected {runs + 1} timings from psql, got {out[-2000:]}")
    lines = [line for line in out.splitlines()
             if line and not line.startswith("Time: ") and line not in ("Timing is on.", "Timing is off.")]
    plan_start = next(i for i, line in enumerate(lines) if "->" in line or "(cost=" in line)
    result = [line.split("|") for line in lines[:plan_start] if line not in ("SET", "PREPARE")]
    first_rows = result[: len(result) // (runs + 1)] if result else []
    return times, first_rows, lines[plan_start:]


def measure_postgres(url, args, now_ms):
    code, vid = pg_params(url, now_ms)
    since = iso(now_ms - 30 * DAY_MS)
    day_b = buckets(now_ms, DAY_MS, 30)
    hour_b = buckets(now_ms, HOUR_MS, 168)
    queries = [("below", None, f"PREPARE q(text, integer, timestamptz) AS {PG_BELOW}",
                f"EXECUTE q('android', {code}, '{since}')")]
    for variant, sql in PG_ADOPTION.items():
        for name, b in (("adoption 30 x 1d", day_b), ("adoption 168 x 1h", hour_b)):
            settings = "SET jit = off;\n" if "jit off" in variant else ""
            queries.append((name, variant, settings + f"PREPARE q(timestamptz[], timestamptz[], text, integer) AS {sql}",
                            f"EXECUTE q({pg_array([s for s, _ in b])}, {pg_array([e for _, e in b])}, "
                            f"'android', {code})"))
    out = []
    for name, variant, prepare, execute in queries:
        times, result, plan = pg_time(url, prepare, execute, args.runs)
        out.append(entry(name, variant, times, result, plan))
        log(f"postgres {name} [{variant or '-'}]: first {times[0] * 1000:.0f} ms, median "
            f"{out[-1]['median_ms']:.0f} ms")
    return {"version_code": code, "version_id": vid, "queries": out}


def pg_size(url):
    out = psql(url, """
        SELECT 'database', pg_database_size(current_database())
        UNION ALL SELECT 'telemetry_events (all partitions, with indexes)',
               sum(pg_total_relation_size(inhrelid)) FROM pg_inherits
         WHERE inhparent = 'telemetry_events'::regclass
        UNION ALL SELECT 'event_keys', pg_total_relation_size('event_keys')
        UNION ALL SELECT 'actor_last_sessions', pg_total_relation_size('actor_last_sessions');""")
    return {k: int(v) for k, v in (line.split("|") for line in out.splitlines())}


def pg_rows(url):
    out = psql(url, """
        SELECT 'telemetry_events', count(*) FROM telemetry_events
        UNION ALL SELECT 'actor_last_sessions', count(*) FROM actor_last_sessions
        UNION ALL SELECT 'app_versions', count(*) FROM app_versions
        UNION ALL SELECT 'online_snapshots', count(*) FROM online_snapshots;""")
    return {k: int(v) for k, v in (line.split("|") for line in out.splitlines())}


def sqlite_rows(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("telemetry_events", "actor_last_sessions", "app_versions", "online_snapshots")}
    finally:
        db.close()


# ---- HTTP ---------------------------------------------------------------------------

class Beacon:
    """The release binary serving the generated database on a loopback port."""

    def __init__(self, binary, work, sqlite_path=None, database_url=None, extra_args=()):
        self.port = free_port()
        # The measurements come from one loopback address: no per-client rate limit.
        self.env = dict(os.environ, BEACON_JWT_SECRET=SECRET, BEACON_RATE_LIMIT="0")
        if sqlite_path:
            data_dir = Path(sqlite_path).parent
            if Path(sqlite_path).name != "beacon.db":
                raise RuntimeError("beacon serve needs the SQLite file named beacon.db in its data dir")
        else:
            data_dir = work / "data"
        self.args = [str(binary), "serve", "--data-dir", str(data_dir), "--listen", f"127.0.0.1:{self.port}"]
        self.args += list(extra_args)
        if database_url:
            self.args += ["--database-url", database_url]
            # Production refuses to start without the key that signs offers.
            key = work / "signing-key.pem"
            if not key.exists():
                subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True,
                               capture_output=True, timeout=30)
            self.env["BEACON_SIGNING_KEY_FILE"] = str(key)
        self.log_path = work / f"beacon-{'sqlite' if sqlite_path else 'postgres'}.log"
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.args, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(self.url("/readyz"), timeout=2) as r:
                    if r.status == 200:
                        self.ready_at = time.monotonic()  # (growth.py: startup time)
                        break
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            if self.proc.poll() is not None or time.monotonic() > end:
                raise RuntimeError(f"beacon serve did not get ready; see {self.log_path}")
            time.sleep(0.02)
        time.sleep(2)  # the jobs' first ticks
        token = subprocess.run([str(binary), "token", "--admin", "--ttl", "2h"], env=self.env,
                               capture_output=True, text=True, check=True, timeout=30).stdout.strip()
        self.auth = {"Authorization": f"Bearer {token}"}

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def get(self, path):
        req = urllib.request.Request(self.url(path), headers=self.auth)
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                body = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            body = e.read()
            status = e.code
        return status, time.perf_counter() - t0, body

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def measure_http(kind, args, work, now_ms, code, vid, sqlite_path=None, database_url=None):
    frm, to = iso(now_ms - 30 * DAY_MS), iso(now_ms)
    q = urllib.parse.quote
    paths = [("below", f"/admin/telemetry/versions/below?platform=android&versionCode={code}&days=30")]
    if vid is not None:
        paths.append(("adoption 1d x 30 days", f"/admin/versions/{vid}/adoption?interval=1d&from={q(frm)}&to={q(to)}"))
        paths.append(("adoption 1h x 7 days",
                      f"/admin/versions/{vid}/adoption?interval=1h&from={q(iso(now_ms - 7 * DAY_MS))}&to={q(to)}"))
        # Release health (issue 12) of the median version over 24 h and over
        # the whole 30 days (its most sessions in one window).
        paths.append(("health 24h", f"/admin/versions/{vid}/health?window=24h"))
        paths.append(("health 30d", f"/admin/versions/{vid}/health?window=30d"))
    paths.append(("versions", "/admin/telemetry/versions?platform=android"))
    paths.append(("online peaks", "/admin/telemetry/online/peaks"))
    beacon = Beacon(args.beacon, work, sqlite_path, database_url)
    out = []
    try:
        for name, path in paths:
            status, _, body = beacon.get(path)  # warm-up
            # Anything but a 200 (a 404 from a build without the endpoint, a
            # 503 past the statement timeout) is recorded, not timed, and the
            # run goes on to the next endpoint.
            times = []
            for _ in range(args.runs if status == 200 else 0):
                status, secs, body = beacon.get(path)
                if status != 200:
                    break
                times.append(secs)
            if status != 200:
                log(f"{kind} HTTP {name}: {status} on {path.split('?')[0]}, not timed: "
                    f"{body[:200].decode(errors='replace')}")
                out.append({"endpoint": name, "path": path, "skipped": str(status),
                            "body": body[:300].decode(errors="replace")})
                continue
            out.append({"endpoint": name, "path": path, "median_ms": round(statistics.median(times) * 1000, 1),
                        "runs_ms": [round(t * 1000, 1) for t in times], "body_head": body[:300].decode(errors="replace")})
            log(f"{kind} HTTP {name}: median {out[-1]['median_ms']:.0f} ms")
    finally:
        beacon.stop()
    return out


# ---- --auto: the databases under build/bench-history --------------------------------

def read_env(path):
    env = {}
    for line in path.read_text().splitlines():
        if line.startswith("export "):
            k, v = line[len("export "):].split("=", 1)
            env[k] = v.strip("'\"")
    return env


def fresh(meta_path, max_age_days):
    if not meta_path.exists():
        return False
    meta = json.loads(meta_path.read_text())
    end = datetime.fromisoformat(meta["window"]["to"].replace("Z", "+00:00")).timestamp()
    age = (time.time() - end) / 86400
    if age > max_age_days:
        log(f"{meta_path.parent.name}: its window ended {age:.1f} days ago: generating it again")
        return False
    return True


def generate(args, target, meta):
    cmd = [sys.executable, str(ROOT / "bench/history/generate.py"), *target, "--events", str(args.events),
           "--actors", str(args.actors), "--days", str(args.days), "--seed", str(args.seed),
           "--beacon", str(args.beacon), "--meta", str(meta)]
    log("generating: " + " ".join(cmd[1:]))
    subprocess.run(cmd, check=True, timeout=4 * 3600)


class PgCluster:
    """The --auto PostgreSQL: a postgres.sh cluster kept in DIR between runs.
    `fill(url, meta_path)` fills a new cluster's empty database and writes
    meta_path (default: generate.py with args' sizes; health.py gives its own)."""

    def __init__(self, state, args, fill=None):
        self.state = state
        self.script = str(SERVICES / "postgres.sh")
        meta = state / "meta.json"
        if fresh(meta, args.max_age_days) and (state / "pg" / "pgdata" / "PG_VERSION").exists() and not args.regenerate:
            # Resume on a port free now (the old one may have been taken meanwhile).
            port = free_port()
            (state / "postgres.port").write_text(f"{port}\n")
            subprocess.run([self.script, "resume", str(state)], check=True, timeout=120)
            url = read_env(state / "env")["BEACON_TEST_PG_URL"]
            self.url = re.sub(r"@127\.0\.0\.1:\d+/", f"@127.0.0.1:{port}/", url)
            log(f"postgres: resumed the cluster in {state}")
        else:
            meta.unlink(missing_ok=True)
            subprocess.run([self.script, "stop", str(state)], timeout=120)
            self.url = subprocess.run([self.script, "start", str(state)], check=True, capture_output=True,
                                      text=True, timeout=120).stdout.strip()
            if fill:
                fill(self.url, meta)
            else:
                generate(args, ["--postgres", self.url], meta)
        self.meta = json.loads(meta.read_text())

    def stop(self):
        subprocess.run([self.script, "stop", str(self.state)], timeout=120)


def add_generated_args(p):
    """The options that name the databases --auto generated (storage.py, growth.py)."""
    p.add_argument("--root", type=Path, default=ROOT / "build/bench-history")
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--actors", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--kinds", default="sqlite,postgres")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results")


def on_generated(p, args, fn):
    """fn(kind, target) for each of args.kinds on the generated databases (a
    SQLite path, or the URL of the PostgreSQL cluster, resumed for fn and
    stopped after); {kind: what fn returned}."""
    tag = f"e{args.events}-a{args.actors}-d{args.days}-s{args.seed}"
    out = {}
    if "sqlite" in args.kinds:
        db = args.root / f"sqlite-{tag}" / "beacon.db"
        if not db.exists():
            p.error(f"{db} not found: run make bench-history first")
        out["sqlite"] = fn("sqlite", str(db.resolve()))
    if "postgres" in args.kinds:
        state = args.root / f"pg-{tag}"
        if not (state / "meta.json").exists():
            p.error(f"{state} not found: run make bench-history first")
        cluster = PgCluster(state, argparse.Namespace(max_age_days=float("inf"), regenerate=False))
        try:
            out["postgres"] = fn("postgres", cluster.url)
        finally:
            cluster.stop()
    return out


# ---- report ----------------------------------------------------------------------------

def table(report):
    lines = []
    for kind, r in report["databases"].items():
        data = r["data"]
        size = data["size_bytes"]
        lines.append(f"### {kind}: {data['rows']['telemetry_events']:,} events, "
                     f"{data['rows']['actor_last_sessions']:,} actor_last_sessions rows, "
                     f"{data['rows']['app_versions']:,} versions, {data['rows']['online_snapshots']:,} snapshots; "
                     f"{size['database'] / 2**30:.2f} GiB on disk"
                     + (f"; generated in {data['generated_seconds']:.0f} s" if data.get("generated_seconds") else ""))
        lines.append("")
        lines.append(f"versionCode {r['sql']['version_code']} (android median), version id {r['sql']['version_id']}")
        lines.append("")
        lines.append("| query | variant | first ms | median ms | runs ms | rows |")
        lines.append("|---|---|---:|---:|---|---:|")
        for q in r["sql"]["queries"]:
            flag = " (over 2 s)" if q["median_ms"] > SLOW_S * 1000 else ""
            lines.append(f"| {q['query']} | {q['variant'] or ''} | {q['first_ms']:.1f} | {q['median_ms']:.1f}{flag} | "
                         f"{', '.join(f'{t:.0f}' for t in q['runs_ms'])} | {q['result_rows']} |")
        if r.get("http"):
            lines.append("")
            lines.append("| HTTP endpoint | median ms | runs ms |")
            lines.append("|---|---:|---|")
            for h in r["http"]:
                if "skipped" in h:
                    lines.append(f"| {h['endpoint']} | skipped: {h['skipped']} | |")
                else:
                    lines.append(f"| {h['endpoint']} | {h['median_ms']:.1f} | "
                                 f"{', '.join(f'{t:.0f}' for t in h['runs_ms'])} |")
        lines.append("")
        lines.extend(plan_lines(r["sql"]["queries"]))
    return "\n".join(lines)


def plan_lines(queries):
    """A report's "Plans:" block: each statement's plan, fenced (also health.py's)."""
    lines = ["Plans:", ""]
    for q in queries:
        lines += [f"- {q['query']} [{q['variant'] or '-'}]:", "", "  ```"]
        lines.extend("  " + p for p in q["plan"])
        lines.append("  ```")
    lines.append("")
    return lines


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sqlite", type=Path, help="a generated SQLite database (named beacon.db for --http)")
    p.add_argument("--postgres", help="a generated PostgreSQL database's URL")
    p.add_argument("--auto", action="store_true", help="generate (when missing) and measure both kinds")
    p.add_argument("--kinds", default="sqlite,postgres", help="with --auto")
    p.add_argument("--root", type=Path, default=ROOT / "build/bench-history", help="with --auto")
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--actors", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--max-age-days", type=float, default=2.0)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--no-http", action="store_true")
    p.add_argument("--generate-only", action="store_true", help="with --auto: make the databases, measure nothing")
    p.add_argument("--no-index-variant", dest="sqlite_index_variant", action="store_false",
                   help="skip the SQLite variant that builds (and then drops) a covering session index")
    p.add_argument("--beacon", type=Path, default=ROOT / "build/release/beacon")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results")
    args = p.parse_args()
    if not (args.auto or args.sqlite or args.postgres):
        p.error("give --sqlite and/or --postgres, or --auto")
    if not args.beacon.exists():
        p.error(f"{args.beacon} not found (cmake --build --preset release --target beacon)")

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    report = {"started": stamp, "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())},
              "runs": args.runs, "databases": {}}
    work = Path(tempfile.mkdtemp(prefix="beacon-history-"))
    cluster = None
    try:
        targets = []
        if args.auto:
            tag = f"e{args.events}-a{args.actors}-d{args.days}-s{args.seed}"
            kinds = [k for k in args.kinds.split(",") if k]
            if "sqlite" in kinds:
                d = args.root / f"sqlite-{tag}"
                if args.regenerate or not fresh(d / "meta.json", args.max_age_days):
                    (d / "meta.json").unlink(missing_ok=True)
                    generate(args, ["--sqlite", str(d / "beacon.db"), "--force"], d / "meta.json")
                targets.append(("sqlite", d / "beacon.db", json.loads((d / "meta.json").read_text())))
            if "postgres" in kinds:
                args.root.mkdir(parents=True, exist_ok=True)
                cluster = PgCluster(args.root / f"pg-{tag}", args)
                targets.append(("postgres", cluster.url, cluster.meta))
            if args.generate_only:
                log("generated: " + ", ".join(str(t) for _, t, _ in targets))
                return
        else:
            if args.sqlite:
                targets.append(("sqlite", args.sqlite, None))
            if args.postgres:
                targets.append(("postgres", args.postgres, None))

        for kind, target, meta in targets:
            now_ms = int(time.time() * 1000)
            r = {}
            if kind == "sqlite":
                path = str(Path(target).resolve())
                rows = sqlite_rows(path)
                size = {"database": sum(Path(path + s).stat().st_size for s in ("", "-wal") if Path(path + s).exists())}
                r["sql"] = measure_sqlite(path, args, now_ms)
                if not args.no_http:
                    r["http"] = measure_http(kind, args, work, now_ms, r["sql"]["version_code"],
                                             r["sql"]["version_id"], sqlite_path=path)
            else:
                rows = pg_rows(target)
                size = pg_size(target)
                r["sql"] = measure_postgres(target, args, now_ms)
                if not args.no_http:
                    r["http"] = measure_http(kind, args, work, now_ms, r["sql"]["version_code"],
                                             r["sql"]["version_id"], database_url=target)
            r["data"] = {"rows": rows, "size_bytes": size,
                         "window": meta["window"] if meta else None,
                         "generated_seconds": meta["seconds"] if meta else None,
                         "generate_steps_seconds": meta["steps_seconds"] if meta else None}
            report["databases"][kind] = r
    finally:
        if cluster:
            cluster.stop()

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"history-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    md = table(report)
    (args.out / f"history-{stamp}.md").write_text(
        f"# make bench-history, {stamp}\n\nFirst run on a fresh connection (OS page cache warm), then the "
        f"median of {args.runs}; {os.cpu_count()} CPUs shared with other work, so times are noisy.\n\n{md}\n")
    print(md)
    print(f"\nresults: {args.out / f'history-{stamp}.json'}")


if __name__ == "__main__":
    main()
