#!/usr/bin/env python3
"""How Beacon's costs grow with its data (issue 15, "Costs as data grows"), on
the databases `make bench-history` generated (10 M events, 1 M actors, 30
days, 2,000 versions by default): for each database, `beacon serve` on it,
then

- startup: from the process's start to the first 200 from /readyz;
- the nightly-dau job for one day (yesterday, UTC; its session starts
  counted) and the rolling-dau job, run through POST /admin/jobs/{name}/run
  (the job's own durationMs, median); --jobs-only stops there (make
  bench-scale runs it on a two-day history of 10 M events: a day of about
  1 M session starts);
- GET /admin/telemetry/dau over 366 days;
- GET /admin/telemetry/events pages: unfiltered, by eventName, installId,
  userId, and a one-day time range, each as a first page and then following
  nextCursor deep into the log (--depth pages of --limit rows);

with medians and p99 of the HTTP times (one new connection per request).
Results: bench/results/growth-<stamp>.{json,md}.

    bench/history/growth.py [--kinds sqlite,postgres] [--runs 30] [--depth 100] [--limit 100]
"""

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402  (the --auto layout, PgCluster, Beacon, psql)

ROOT = Path(__file__).resolve().parents[2]


def p99(times):
    s = sorted(times)
    return s[min(len(s) - 1, int(len(s) * 0.99))]


def summary(times):
    ms = [t * 1000 for t in times]
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2), "p99_ms": round(p99(ms), 2),
            "max_ms": round(max(ms), 2)}


def post(beacon, path):
    req = urllib.request.Request(beacon.url(path), method="POST", headers=beacon.auth, data=b"")
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=600) as r:
            body, status = r.read(), r.status
    except urllib.error.HTTPError as e:
        body, status = e.read(), e.code
    return status, time.perf_counter() - t0, body


def sample_actor(kind, target):
    """An install with events, and a user, from the middle of the log."""
    sql = ("SELECT install_id FROM telemetry_events WHERE id = (SELECT max(id) / 2 FROM telemetry_events)",
           "SELECT user_id FROM telemetry_events WHERE user_id IS NOT NULL AND id > "
           "(SELECT max(id) / 2 FROM telemetry_events) LIMIT 1")
    if kind == "sqlite":
        db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            return tuple(db.execute(q).fetchone()[0] for q in sql)
        finally:
            db.close()
    return tuple(measure.psql(target, q).strip() for q in sql)


def session_starts(kind, target, day):
    """How many app_session_start events the nightly job's day (UTC) holds."""
    start = int(datetime.combine(day, datetime.min.time(), timezone.utc).timestamp() * 1000)
    end = start + 86400_000
    if kind == "sqlite":
        db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            return db.execute("SELECT count(*) FROM telemetry_events WHERE event_name = 'app_session_start' "
                              "AND event_time >= ? AND event_time < ?", (start, end)).fetchone()[0]
        finally:
            db.close()
    return int(measure.psql(target, "SELECT count(*) FROM telemetry_events WHERE event_name = 'app_session_start' "
                                    f"AND event_time >= to_timestamp({start} / 1000.0) "
                                    f"AND event_time < to_timestamp({end} / 1000.0)").strip())


def timed_pages(beacon, query, depth, limit):
    """The first page `depth` times, then `depth` pages following nextCursor."""
    path = "/admin/telemetry/events?" + urllib.parse.urlencode({**query, "limit": limit})
    first, deep = [], []
    for _ in range(depth):
        status, secs, body = beacon.get(path)
        if status != 200:
            raise RuntimeError(f"{path}: {status} {body[:200]!r}")
        first.append(secs)
    cursor = json.loads(body).get("nextCursor")
    rows = 0
    while cursor and len(deep) < depth:
        status, secs, body = beacon.get(path + "&cursor=" + urllib.parse.quote(cursor))
        if status != 200:
            raise RuntimeError(f"{path} (cursor): {status} {body[:200]!r}")
        deep.append(secs)
        page = json.loads(body)
        rows += len(page.get("events", []))
        cursor = page.get("nextCursor")
    return {"first": summary(first), "deep": summary(deep) if deep else None, "deep_rows": rows + limit}


def measure_one(kind, target, args, work):
    install, user = sample_actor(kind, target)
    t0 = time.monotonic()
    beacon = measure.Beacon(args.beacon, work, sqlite_path=target if kind == "sqlite" else None,
                            database_url=target if kind == "postgres" else None)
    out = {"startup_seconds": round(beacon.ready_at - t0, 2)}
    try:
        day = datetime.now(timezone.utc).date() - timedelta(days=1)
        yesterday = day.isoformat()
        out["nightly day session starts"] = session_starts(kind, target, day)
        measure.log(f"{kind} {yesterday}: {out['nightly day session starts']} session starts")
        for job, path in (("nightly-dau", f"/admin/jobs/nightly-dau/run?day={yesterday}"),
                          ("rolling-dau", "/admin/jobs/rolling-dau/run")):
            durations = []
            for _ in range(args.job_runs):
                status, secs, body = post(beacon, path)
                if status != 200:
                    raise RuntimeError(f"{path}: {status} {body[:300]!r}")
                durations.append(json.loads(body)["durationMs"])
            out[job] = {"median_ms": statistics.median(durations), "runs_ms": durations}
            measure.log(f"{kind} {job}: median {out[job]['median_ms']} ms")
        if args.jobs_only:
            return out
        today = date.today()
        dau_path = f"/admin/telemetry/dau?from={(today - timedelta(days=365)).isoformat()}&to={today.isoformat()}"
        times = []
        for _ in range(args.runs):
            status, secs, body = beacon.get(dau_path)
            if status != 200:
                raise RuntimeError(f"{dau_path}: {status} {body[:200]!r}")
            times.append(secs)
        out["dau 366 days"] = summary(times)
        measure.log(f"{kind} dau 366 days: {out['dau 366 days']}")
        day_to = measure.iso(int(time.time() * 1000) - 86400_000)
        day_from = measure.iso(int(time.time() * 1000) - 2 * 86400_000)
        pages = {}
        for name, query in (("unfiltered", {}), ("eventName", {"eventName": "app_session_start"}),
                            ("installId", {"installId": install}), ("userId", {"userId": user}),
                            ("one day", {"from": day_from, "to": day_to}),
                            ("eventName + one day", {"eventName": "page_view", "from": day_from, "to": day_to})):
            pages[name] = timed_pages(beacon, query, args.depth, args.limit)
            measure.log(f"{kind} events {name}: {pages[name]}")
        out["events pages"] = pages
    finally:
        beacon.stop()
    return out


def table(report, args):
    lines = []
    for kind, r in report["databases"].items():
        if args.jobs_only:
            lines += [f"- {kind}: startup {r['startup_seconds']} s; nightly-dau for a day of "
                      f"{r['nightly day session starts']:,} session starts: median {r['nightly-dau']['median_ms']} ms "
                      f"(runs {r['nightly-dau']['runs_ms']}); rolling-dau median {r['rolling-dau']['median_ms']} ms"]
            continue
        lines += [f"### {kind}", "",
                  f"startup {r['startup_seconds']} s; nightly-dau (one day, {r['nightly day session starts']:,} "
                  f"session starts) median {r['nightly-dau']['median_ms']} ms; "
                  f"rolling-dau median {r['rolling-dau']['median_ms']} ms; 366-day /dau median "
                  f"{r['dau 366 days']['median_ms']} ms, p99 {r['dau 366 days']['p99_ms']} ms", "",
                  f"| events page (limit {args.limit}) | first page median ms | p99 ms | following cursors median ms "
                  f"| p99 ms | rows deep |", "|---|---:|---:|---:|---:|---:|"]
        for name, p in r["events pages"].items():
            d = p["deep"] or {"median_ms": "", "p99_ms": ""}
            lines.append(f"| {name} | {p['first']['median_ms']} | {p['first']['p99_ms']} | {d['median_ms']} "
                         f"| {d['p99_ms']} | {p['deep_rows']:,} |")
        lines.append("")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    measure.add_generated_args(p)
    p.add_argument("--runs", type=int, default=30, help="requests per /dau measurement")
    p.add_argument("--job-runs", type=int, default=3)
    p.add_argument("--depth", type=int, default=100, help="first pages, then cursor pages, per filter")
    p.add_argument("--limit", type=int, default=100)
    p.add_argument("--jobs-only", action="store_true", help="startup and the two DAU jobs only")
    p.add_argument("--beacon", type=Path, default=ROOT / "build/release/beacon")
    args = p.parse_args()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    work = Path(tempfile.mkdtemp(prefix="beacon-growth-"))
    report = {"started": stamp, "args": {k: str(v) for k, v in vars(args).items()},
              "databases": measure.on_generated(p, args, lambda kind, target: measure_one(kind, target, args, work))}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"growth-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    md = table(report, args)
    (args.out / f"growth-{stamp}.md").write_text(f"# bench/history/growth.py, {stamp}\n\n{md}")
    print(md)
    print(f"results: {args.out / f'growth-{stamp}.md'}")


if __name__ == "__main__":
    main()
