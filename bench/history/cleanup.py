#!/usr/bin/env python3
"""The cleanup job dropping a month (issue 15, "Costs as data grows"), on a
copy of each database `make bench-history` generated (the copy is deleted
after; the generated databases are never changed): `beacon serve` on the
copy with an event retention that ends at the first day of the newest
event's month (UTC), then POST /admin/jobs/cleanup/run, its durationMs and
deletedEvents, the events left, and whether they are exactly those at or
after the cut. On PostgreSQL that month is a whole partition (partitions.cpp).
Results: bench/results/cleanup-<stamp>.{json,md}.

    bench/history/cleanup.py [--kinds sqlite,postgres]

Copies need free disk: about 5 GiB for SQLite and 8 GiB for PostgreSQL at the
default size.
"""

import argparse
import json
import re
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402  (the --auto layout, PgCluster, Beacon, psql)

ROOT = Path(__file__).resolve().parents[2]
COUNT_SQL = "SELECT count(*), max(event_time) FROM telemetry_events"  # SQLite: epoch ms


def month_start_ms(newest_ms):
    t = datetime.fromtimestamp(newest_ms / 1000, tz=timezone.utc)
    return int(datetime(t.year, t.month, 1, tzinfo=timezone.utc).timestamp() * 1000)


def counts(kind, target, cut_ms=None):
    """(events, newest event_time in epoch ms) or, with cut_ms, (the events before it,)."""
    if kind == "sqlite":
        sql = COUNT_SQL if cut_ms is None else f"SELECT count(*) FROM telemetry_events WHERE event_time < {cut_ms}"
        db = sqlite3.connect(f"file:{target}?mode=ro", uri=True)
        try:
            return db.execute(sql).fetchone()
        finally:
            db.close()
    # PostgreSQL keeps event_time as timestamptz.
    sql = ("SELECT count(*), (extract(epoch FROM max(event_time)) * 1000)::bigint FROM telemetry_events"
           if cut_ms is None else
           f"SELECT count(*) FROM telemetry_events WHERE event_time < to_timestamp({cut_ms} / 1000.0)")
    return tuple(int(x) for x in measure.psql(target, sql + ";").strip().split("|"))


def run_cleanup(kind, target, args, work):
    total, newest = counts(kind, target)
    cut = month_start_ms(newest)
    before_cut = counts(kind, target, cut)[0]
    copy_t0 = time.monotonic()
    if kind == "sqlite":
        copy_dir = work / "sqlite-copy"
        copy_dir.mkdir()
        shutil.copy2(target, copy_dir / "beacon.db")
        copy = str(copy_dir / "beacon.db")
    else:
        db = urllib.parse.urlparse(target).path.lstrip("/")
        admin = re.sub(r"/[^/?]+(\?|$)", r"/postgres\1", target, count=1)
        measure.psql(admin, f'CREATE DATABASE cleanup_copy TEMPLATE "{db}";', timeout=3600)
        copy = re.sub(r"/[^/?]+(\?|$)", r"/cleanup_copy\1", target, count=1)
    copy_seconds = time.monotonic() - copy_t0
    try:
        # The retention ends at the cut when the job runs a few seconds from now.
        retention_s = int(time.time() - cut / 1000)
        beacon = measure.Beacon(args.beacon, work, sqlite_path=copy if kind == "sqlite" else None,
                                database_url=copy if kind == "postgres" else None,
                                extra_args=["--event-retention", str(retention_s)])
        try:
            req = urllib.request.Request(beacon.url("/admin/jobs/cleanup/run"), method="POST", headers=beacon.auth,
                                         data=b"")
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=3600) as r:
                body = json.loads(r.read())
            seconds = time.perf_counter() - t0
        finally:
            beacon.stop()
        left, _ = counts(kind, copy)
        result = body.get("result", body)
        out = {"events": total, "cut": measure.iso(cut), "events_before_cut": before_cut,
               "copy_seconds": round(copy_seconds, 1), "http_seconds": round(seconds, 2),
               "duration_ms": body.get("durationMs"), "deleted_events": result.get("deletedEvents"),
               "events_left": left}
        # The job's cut is a few seconds after `cut`: every event before `cut` must be gone, and at most
        # the events of those seconds more.
        out["exact"] = left <= total - before_cut and counts(kind, copy, cut)[0] == 0
        measure.log(f"{kind} cleanup: {out}")
        return out
    finally:
        if kind == "sqlite":
            shutil.rmtree(work / "sqlite-copy", ignore_errors=True)
        else:
            measure.psql(re.sub(r"/[^/?]+(\?|$)", r"/postgres\1", target, count=1),
                         "DROP DATABASE IF EXISTS cleanup_copy;", timeout=600)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    measure.add_generated_args(p)
    p.add_argument("--beacon", type=Path, default=ROOT / "build/release/beacon")
    args = p.parse_args()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    work = Path(tempfile.mkdtemp(prefix="beacon-cleanup-"))
    try:
        report = {"started": stamp, "args": {k: str(v) for k, v in vars(args).items()},
                  "databases": measure.on_generated(p, args, lambda kind, target: run_cleanup(kind, target, args, work))}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["| database | events | cut | events before the cut | cleanup job (durationMs) | deletedEvents "
             "| events left | exact | copy |", "|---|---:|---|---:|---:|---:|---:|---|---:|"]
    for kind, r in report["databases"].items():
        lines.append(f"| {kind} | {r['events']:,} | {r['cut']} | {r['events_before_cut']:,} | {r['duration_ms']} ms "
                     f"| {r['deleted_events']:,} | {r['events_left']:,} | {r['exact']} | {r['copy_seconds']} s |")
    md = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"cleanup-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / f"cleanup-{stamp}.md").write_text(f"# bench/history/cleanup.py, {stamp}\n\n{md}")
    print(md)
    print(f"results: {args.out / f'cleanup-{stamp}.md'}")


if __name__ == "__main__":
    main()
