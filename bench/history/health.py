#!/usr/bin/env python3
"""Times release health (issue 12: "the health query for a version with 1 M
sessions in its window under 1 s on both databases") on SQLite and PostgreSQL.

The data (one database per kind, made by generate.py's loaders from the model
below): an android candidate, versionCode 210, and its control, 200 (released
earlier), both in the catalog, with --sessions session starts each (default
1,000,000) spread over the --span hours (default 48) before the generation
time; every session is an app_session_start and then an app_session_end, or an
app_crash with the same sessionId for about 1.6% (candidate) / 1.5% (control)
of them, optionally with --page-views page_view events between the two. The
sessions belong to --actors actors (default 1,000,000; 30% with a userId).
Nothing else is in the event log, so the window holds exactly the sessions
of the two versions.

The measurement: `beacon serve` (release build) on each database, then
GET /admin/versions/{id}/health?window=<--window> (default 7d, so that all the
sessions stay inside it while the data is reused): the first call, then the
median of --runs. The counts the endpoint answers are checked against the
ones the model made. Then the two statements Beacon runs (read from
src/backends/<kind>/queries.hpp, so they are the ones built) in SQL, with
their plans: SQLite EXPLAIN QUERY PLAN, PostgreSQL EXPLAIN (ANALYZE, BUFFERS),
and PostgreSQL once more with jit off.

The databases are kept under build/bench-history/health-<kind>-<sizes>/ and
reused while every session still lies inside the window (again with
--regenerate); the PostgreSQL one is a tools/test-services/postgres.sh
cluster, resumed for the run and stopped afterwards (measure.PgCluster).

    health.py                                   # make bench-health
    health.py --kinds sqlite --sessions 100000  # a quick look

Writes bench/results/health-<stamp>.json and .md and prints the table.
"""

import argparse
import bisect
import json
import os
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from argparse import Namespace
from array import array
from pathlib import Path

import generate
import measure

ROOT = Path(__file__).resolve().parents[2]
DAY_MS = generate.DAY_MS
HOUR_MS = generate.HOUR_MS
TARGET_MS = 1000.0
CANDIDATE, CONTROL = 210, 200
CRASH_SHARE = {CANDIDATE: 0.016, CONTROL: 0.015}
USER_SHARE = generate.USER_SHARE
MAX_SESSION_MS = 600_000  # a session ends (or crashes) within 10 minutes of its start
REUSE_MARGIN_MS = HOUR_MS  # a database is reused while its oldest session is this far inside the window


def log(msg):
    print(f"[health {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def duration_ms(text):
    """The settings' durations (API.md): seconds, or a number with s, m, h or d."""
    m = re.fullmatch(r"(\d+)([smhd]?)", text)
    if not m:
        raise argparse.ArgumentTypeError(f"{text!r}: a duration such as 3600, 90m, 24h or 7d")
    return int(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)] * 1000


class HealthModel:
    """Two versions' sessions, for generate.load_sqlite / load_postgres (which
    read start, events(), catalog() and snapshots(), as of generate.Model).
    Sessions are sorted by start; events() tallies what it yields in
    `expected` (per code: sessions, crashed sessions, users, crashed users)."""

    def __init__(self, args):
        rng = random.Random(args.seed)
        self.rng = rng
        self.end = args.end_ms
        self.start = self.end - args.span_ms
        self.actors = args.actors
        self.page_views = args.page_views
        r = rng.random

        t0 = time.monotonic()
        self.install_ids = [generate.uuid_of(rng.getrandbits(128)) for _ in range(self.actors)]
        self.user_ids = [f"user-{a:07d}" if r() < USER_SHARE else None for a in range(self.actors)]
        region_cum = generate.cumulative([w for _, w, _ in generate.REGIONS])
        self.region = bytearray(bisect.bisect(region_cum, r()) for _ in range(self.actors))
        self.device = bytearray(int(r() * len(generate.DEVICES["android"])) for _ in range(self.actors))
        self.os = bytearray(int(r() * len(generate.OS_VERSIONS["android"])) for _ in range(self.actors))

        total = 2 * args.sessions
        width = args.span_ms - MAX_SESSION_MS - 60_000
        self.starts = array("q", sorted(self.start + int(r() * width) for _ in range(total)))
        self.owner = array("l", (int(r() * self.actors) for _ in range(total)))
        self.candidate = bytearray(total)  # exactly --sessions of each version, in random order
        for i in rng.sample(range(total), args.sessions):
            self.candidate[i] = 1
        self.sessions = total
        self.events_total = total * (2 + self.page_views)
        self.expected = {}
        log(f"{self.actors} actors, {total} sessions in {time.monotonic() - t0:.1f}s")

    def events(self):
        """Rows in generate.EVENT_COLUMNS order, session by session."""
        rng = self.rng
        r = rng.random
        end = self.end
        devices, oses = generate.DEVICES["android"], generate.OS_VERSIONS["android"]
        regions = [n for n, _, _ in generate.REGIONS]
        crashes = generate.CRASHES["android"]
        pages = generate.PAGES
        names = {c: generate.version_name(c - generate.FIRST_CODE["android"]) for c in (CANDIDATE, CONTROL)}
        tally = {c: [0, 0, set(), set()] for c in (CANDIDATE, CONTROL)}

        def received(at):
            return min(at + 100 + int(r() * 3000), max(end, at))

        for s in range(self.sessions):
            a = self.owner[s]
            t = self.starts[s]
            code = CANDIDATE if self.candidate[s] else CONTROL
            name = names[code]
            iid, uid = self.install_ids[a], self.user_ids[a]
            region, device, osv = regions[self.region[a]], devices[self.device[a]], oses[self.os[a]]
            sid = generate.uuid_of(rng.getrandbits(128))
            prefix = sid[:24]
            crashed = r() < CRASH_SHARE[code]
            counts = tally[code]
            counts[0] += 1
            actor = f"u:{uid}" if uid is not None else f"i:{iid}"
            counts[2].add(actor)
            if crashed:
                counts[1] += 1
                counts[3].add(actor)

            yield (prefix + "000000000000", iid, uid, "app_session_start", t, received(t), "android", name, osv,
                   device, region, sid, '{"coldStart":true}' if r() < 0.6 else '{"coldStart":false}', code)
            length = min(1000 + int(rng.expovariate(1 / 120_000)), MAX_SESSION_MS)
            for k in range(1, self.page_views + 1):
                at = t + length * k // (self.page_views + 1)
                yield (f"{prefix}{k:012x}", iid, uid, "page_view", at, received(at), "android", name, osv, device,
                       region, sid, f'{{"page":"{pages[int(r() * len(pages))]}"}}', code)
            at = t + length
            k = self.page_views + 1
            if crashed:
                yield (f"{prefix}{k:012x}", iid, uid, "app_crash", at, received(at), "android", name, osv, device,
                       region, sid, f'{{"exception":"{crashes[int(r() * len(crashes))]}","fatal":true}}', code)
            else:
                yield (f"{prefix}{k:012x}", iid, uid, "app_session_end", at, received(at), "android", name, osv,
                       device, region, sid, f'{{"durationMs":{length}}}', code)
        self.expected = {str(c): {"sessions": n, "crashedSessions": crashed, "users": len(users),
                                  "crashedUsers": len(crashed_users)}
                         for c, (n, crashed, users, crashed_users) in tally.items()}

    def catalog(self):
        """The control, released 20 days before the data ends; the candidate an hour before its sessions."""
        for code, released in ((CONTROL, self.end - 20 * DAY_MS), (CANDIDATE, self.start - HOUR_MS)):
            name = generate.version_name(code - generate.FIRST_CODE["android"])
            yield ("android", "stable", code, name, f"Release {name}: fixes and improvements.", 0, released)

    def snapshots(self):
        return iter(())


# ---- the databases ---------------------------------------------------------------

def tag(args):
    return f"n{args.sessions}-a{args.actors}-h{args.span_ms // HOUR_MS}-p{args.page_views}-s{args.seed}"


def fill(args, kind, target, meta_path):
    """Generates the model into an empty database (SQLite: the file `target`,
    replaced; PostgreSQL: the URL `target`) and writes meta_path."""
    started = time.monotonic()
    steps = {}
    t0 = time.monotonic()
    model = HealthModel(args)
    steps["model"] = time.monotonic() - t0
    load = Namespace(beacon=args.beacon, force=True, sqlite=target if kind == "sqlite" else None,
                     postgres=target if kind == "postgres" else None)
    log(f"{kind}: loading {model.events_total:,} events")
    if kind == "sqlite":
        counts, size = generate.load_sqlite(load, model, steps)
    else:
        counts, size = generate.load_postgres(load, model, steps)
    total = time.monotonic() - started
    meta = {"kind": kind, "sessions_per_version": args.sessions, "actors": args.actors,
            "span_hours": args.span_ms // HOUR_MS, "page_views": args.page_views, "seed": args.seed,
            "window": {"from": generate.iso(model.start), "to": generate.iso(model.end)},
            "expected": model.expected, "rows": counts, "size_bytes": size, "seconds": round(total, 1),
            "steps_seconds": {k: round(v, 1) for k, v in steps.items()},
            "generated_at": generate.iso(int(time.time() * 1000))}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    log(f"{kind}: {counts['telemetry_events']:,} events, {size / 2**30:.2f} GiB in {total:.0f}s ("
        + ", ".join(f"{k} {v:.0f}s" for k, v in steps.items()) + ")")


def beacon_sql(kind, name):
    """The statement `name` of src/backends/<kind>/queries.hpp: what Beacon runs."""
    text = (ROOT / "src/backends" / kind / "queries.hpp").read_text()
    m = re.search(rf"inline constexpr std::string_view {name} =(.*?);\n", text, re.S)
    if not m:
        raise SystemExit(f"{name} not found in src/backends/{kind}/queries.hpp")
    return "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))


# ---- measuring -------------------------------------------------------------------------

def settle(pid, timeout=120):
    """Waits until the process used under 5% of a core over a second (the
    jobs' first runs after start are done)."""
    def cpu():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    end = time.monotonic() + timeout
    last = cpu()
    while time.monotonic() < end:
        time.sleep(1)
        now = cpu()
        if now - last < 0.05:
            return
        last = now
    log(f"beacon (pid {pid}) still busy after {timeout}s; measuring anyway")


def measure_http(kind, args, work, vid, sqlite_path=None, database_url=None):
    path = f"/admin/versions/{vid}/health?window={args.window}"
    beacon = measure.Beacon(args.beacon, work, sqlite_path, database_url)
    try:
        settle(beacon.proc.pid)
        times, bodies = [], []
        for i in range(args.runs + 1):
            status, secs, body = beacon.get(path)
            if status != 200:  # recorded (a 503 past the statement timeout is a result too)
                log(f"{kind} HTTP health: {status} after {secs * 1000:.0f} ms: {body[:200]!r}")
                return {"path": path, "status": status, "after_ms": round(secs * 1000, 1),
                        "body": body[:300].decode(errors="replace")}
            times.append(secs)
            bodies.append(json.loads(body))
            log(f"{kind} HTTP health {'first' if i == 0 else f'run {i}'}: {secs * 1000:.0f} ms")
    finally:
        beacon.stop()
    answer = bodies[0]
    if any(b["version"] != answer["version"] or b["control"] != answer["control"] for b in bodies):
        raise RuntimeError(f"{kind}: the answers differ between runs")
    return {"path": path, "first_ms": round(times[0] * 1000, 1),
            "median_ms": round(statistics.median(times[1:]) * 1000, 1),
            "runs_ms": [round(t * 1000, 1) for t in times[1:]], "answer": answer}


def window_bounds(args):
    now = int(time.time() * 1000)
    return now - args.window_ms, now


def measure_sql_sqlite(path, args):
    frm, to = window_bounds(args)
    out = []
    for name, const, params in (
            ("control: lower code", "kHealthLowerCode", ("android", CANDIDATE)),
            ("control: has sessions", "kHealthCodeHasSessions", ("android", CONTROL, frm, to)),
            ("session starts (the scan; Beacon counts distinct actors in C++)", "kHealthSessions",
             ("android", frm, to, CANDIDATE, CONTROL))):
        statement = beacon_sql("sqlite", const)
        if const == "kHealthSessions":  # rows, not an answer: time the scan without Python fetching 2 M rows
            statement = f"SELECT count(*) FROM ({statement})"
        times, result, plan = measure.sqlite_time(path, statement, params, args.runs)
        out.append(measure.entry(name, None, times, result, plan))
        log(f"sqlite SQL {name}: first {times[0] * 1000:.0f} ms, median {out[-1]['median_ms']:.0f} ms")
    return out


def measure_sql_postgres(url, args):
    frm, to = (measure.iso(ms) for ms in window_bounds(args))
    lower = beacon_sql("postgres", "kHealthLowerCode")
    has = beacon_sql("postgres", "kHealthCodeHasSessions")
    counts = beacon_sql("postgres", "kHealthCounts")
    queries = [
        ("control: lower code", None, f"PREPARE q(text, integer) AS {lower}", f"EXECUTE q('android', {CANDIDATE})"),
        ("control: has sessions", None, f"PREPARE q(text, integer, timestamptz, timestamptz) AS {has}",
         f"EXECUTE q('android', {CONTROL}, '{frm}', '{to}')"),
        ("counts", None, f"PREPARE q(text, timestamptz, timestamptz, integer, integer) AS {counts}",
         f"EXECUTE q('android', '{frm}', '{to}', {CANDIDATE}, {CONTROL})"),
        # The planner expects the whole window's rows and JIT-compiles (history-*.md saw it cost hundreds of ms).
        ("counts", "jit off", f"SET jit = off;\nPREPARE q(text, timestamptz, timestamptz, integer, integer) "
                              f"AS {counts}",
         f"EXECUTE q('android', '{frm}', '{to}', {CANDIDATE}, {CONTROL})"),
    ]
    out = []
    for name, variant, prepare, execute in queries:
        times, result, plan = measure.pg_time(url, prepare, execute, args.runs)
        out.append(measure.entry(name, variant, times, result, plan))
        log(f"postgres SQL {name} [{variant or '-'}]: first {times[0] * 1000:.0f} ms, median "
            f"{out[-1]['median_ms']:.0f} ms")
    return out


def sqlite_version_id(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT id FROM app_versions WHERE platform = 'android' AND version_code = ?",
                          (CANDIDATE,)).fetchone()[0]
    finally:
        db.close()


def pg_version_id(url):
    return int(measure.psql(url, f"SELECT id FROM app_versions WHERE platform = 'android' "
                                 f"AND version_code = {CANDIDATE};").strip())


# ---- report ------------------------------------------------------------------------------

def check(answer, expected):
    """The endpoint's counts against the model's; a list of differences."""
    bad = []
    for side in ("version", "control"):
        got = answer.get(side) or {}
        want = expected.get(str(got.get("versionCode", CANDIDATE if side == "version" else CONTROL)), {})
        bad += [f"{side} {k}: {got.get(k)} != {v}" for k, v in want.items() if got.get(k) != v]
    return bad


def table(report):
    lines = []
    for kind, r in report["databases"].items():
        data, http = r["data"], r["http"]
        lines.append(f"### {kind}: {data['rows']['telemetry_events']:,} events, {data['size_bytes'] / 2**30:.2f} GiB "
                     f"on disk; generated in {data['seconds']:.0f} s ("
                     + ", ".join(f"{k} {v:.0f} s" for k, v in data["steps_seconds"].items()) + ")")
        lines.append("")
        if "status" in http:
            lines.append(f"`GET {http['path']}`: {http['status']} after {http['after_ms']:.0f} ms: {http['body']}")
            lines.append("")
            continue
        lines.append(f"`GET {http['path']}` (version id {r['version_id']}, code {CANDIDATE}): "
                     f"first {http['first_ms']:.0f} ms, median {http['median_ms']:.0f} ms"
                     + (" (over 1 s)" if http["median_ms"] > TARGET_MS else " (under 1 s)")
                     + f"; runs {', '.join(f'{t:.0f}' for t in http['runs_ms'])} ms")
        lines.append("")
        lines.append("| side | versionCode | sessions | crashed | crashFreeSessions | users | crashed users "
                     "| crashFreeUsers |")
        lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
        for side in ("version", "control"):
            v = http["answer"].get(side)
            if v:
                lines.append(f"| {side} | {v['versionCode']} | {v['sessions']:,} | {v['crashedSessions']:,} | "
                             f"{v['crashFreeSessions']} | {v['users']:,} | {v['crashedUsers']:,} | "
                             f"{v['crashFreeUsers']} |")
        lines.append("")
        lines.append(f"Verdict {http['answer']['verdict']}: {'; '.join(http['answer']['reasons'])}. "
                     + ("The counts are the generated ones." if not r["mismatches"]
                        else "MISMATCH with the generated counts: " + "; ".join(r["mismatches"])))
        lines.append("")
        lines.append("| statement (SQL) | variant | first ms | median ms | runs ms |")
        lines.append("|---|---|---:|---:|---|")
        for q in r["sql"]:
            lines.append(f"| {q['query']} | {q['variant'] or ''} | {q['first_ms']:.1f} | {q['median_ms']:.1f} | "
                         f"{', '.join(f'{t:.0f}' for t in q['runs_ms'])} |")
        lines.append("")
        lines.extend(measure.plan_lines(r["sql"]))
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kinds", default="sqlite,postgres")
    p.add_argument("--sessions", type=int, default=1_000_000, help="session starts per version")
    p.add_argument("--actors", type=int, default=1_000_000)
    p.add_argument("--span", type=duration_ms, default=duration_ms("48h"), dest="span_ms",
                   help="the sessions lie in this time before the generation (default 48h)")
    p.add_argument("--window", default="7d", help="the endpoint's window (default 7d)")
    p.add_argument("--page-views", type=int, default=0, help="page_view events inside each session")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--root", type=Path, default=ROOT / "build/bench-history")
    p.add_argument("--beacon", type=Path, default=ROOT / "build/release/beacon")
    p.add_argument("--out", type=Path, default=ROOT / "bench/results")
    args = p.parse_args()
    args.window_ms = duration_ms(args.window)
    if args.sessions < 1 or args.actors < 1 or args.page_views < 0:
        p.error("--sessions >= 1, --actors >= 1, --page-views >= 0")
    if not 3600_000 <= args.window_ms <= 30 * DAY_MS:
        p.error("--window: 1h to 30d (API.md)")
    if args.span_ms < 2 * MAX_SESSION_MS or args.span_ms + REUSE_MARGIN_MS > args.window_ms:
        p.error("--span must be at least 20m, and an hour shorter than --window (every session inside the window)")
    if not args.beacon.exists():
        p.error(f"{args.beacon} not found (cmake --build --preset release --target beacon)")
    args.end_ms = int(time.time()) // 60 * 60000
    # measure.fresh / PgCluster: reuse while the oldest session is still an hour inside the window.
    args.max_age_days = (args.window_ms - args.span_ms - REUSE_MARGIN_MS) / DAY_MS

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    report = {"started": stamp, "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
              "machine": {"cpus": os.cpu_count(), "uname": " ".join(os.uname())}, "runs": args.runs,
              "target_ms": TARGET_MS, "window": args.window, "databases": {}}
    work = Path(tempfile.mkdtemp(prefix="beacon-health-"))
    args.root.mkdir(parents=True, exist_ok=True)
    for kind in [k for k in args.kinds.split(",") if k]:
        r = {}
        if kind == "sqlite":
            d = args.root / f"health-sqlite-{tag(args)}"
            d.mkdir(parents=True, exist_ok=True)
            db = d / "beacon.db"
            if args.regenerate or not measure.fresh(d / "meta.json", args.max_age_days):
                (d / "meta.json").unlink(missing_ok=True)
                fill(args, kind, str(db), d / "meta.json")
            else:
                log(f"sqlite: reusing {db}")
            r["data"] = json.loads((d / "meta.json").read_text())
            r["version_id"] = sqlite_version_id(str(db))
            r["http"] = measure_http(kind, args, work, r["version_id"], sqlite_path=str(db))
            r["sql"] = measure_sql_sqlite(str(db), args)
        elif kind == "postgres":
            cluster = measure.PgCluster(args.root / f"health-pg-{tag(args)}", args,
                                        fill=lambda url, meta: fill(args, "postgres", url, meta))
            try:
                r["data"] = cluster.meta
                r["version_id"] = pg_version_id(cluster.url)
                r["http"] = measure_http(kind, args, work, r["version_id"], database_url=cluster.url)
                r["sql"] = measure_sql_postgres(cluster.url, args)
                r["data"]["size_now"] = measure.pg_size(cluster.url)
            finally:
                cluster.stop()
        else:
            p.error(f"--kinds: sqlite and/or postgres, not {kind!r}")
        r["mismatches"] = check(r["http"]["answer"], r["data"]["expected"]) if "answer" in r["http"] else []
        report["databases"][kind] = r

    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"health-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    md = table(report)
    (args.out / f"health-{stamp}.md").write_text(
        f"# make bench-health, {stamp}\n\n`{report['command']}`. Issue 12's target: the health query for a version "
        f"with 1 M sessions in its window under 1 s. HTTP: the first call after `beacon serve` is up (OS page "
        f"cache as the generation or an earlier run left it), then the median of {args.runs}; SQL: the statements "
        f"of queries.hpp, first on a fresh connection, then the median of {args.runs}. {os.cpu_count()} CPUs "
        f"shared with other work, so times are noisy.\n\n{md}\n")
    print(md)
    print(f"\nresults: {args.out / f'health-{stamp}.json'}")
    if any(r["mismatches"] for r in report["databases"].values()):
        raise SystemExit("the endpoint's counts differ from the generated ones (see the report)")


if __name__ == "__main__":
    main()
