#!/usr/bin/env python3
"""Bytes on disk per stored event (issue 15): the event log's table and each
of its indexes, and the per-event tables kept beside it, on the databases
`make bench-history` generated, against the size of the events' JSON.

    bench/history/storage.py [--root build/bench-history] [--events N ...]

The JSON size of an event is what the admin listing returns for it (the
event with its context inlined, compact), averaged over a sample of rows.
Results: bench/results/storage-<stamp>.{json,md}.
"""

import argparse
import json
import sqlite3
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure  # noqa: E402  (the --auto layout, PgCluster, psql)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = 20000

# What each index serves (from the migrations' comments and the adapters'
# queries): the name without its partition decoration.
SERVES = {
    "ux_telemetry_events_install_event": "idempotency: (installId, eventId) stored once",
    "event_keys_pkey": "idempotency: (installId, eventId) stored once",
    "ix_event_keys_time": "retention: dropping a month's keys",
    "ix_telemetry_events_id": "admin events list, newest first, unfiltered",
    "ix_telemetry_events_install": "admin events list filtered by installId",
    "ix_telemetry_events_user": "admin events list filtered by userId",
    "ix_telemetry_events_name": "admin events list filtered by eventName",
    "ix_telemetry_events_name_time": "exact DAU (session starts over a day); eventName + time filter",
    "ix_telemetry_events_time": "time filters; retention",
    "ix_telemetry_events_sessions": "adoption buckets (session starts by platform and time)",
}

COLUMNS = ("event_id", "install_id", "user_id", "event_name", "event_time", "platform", "app_version",
           "os_version", "device_model", "region", "session_id", "properties", "version_code")


def event_json(row, iso):
    """The admin listing's object for one stored row (compact JSON)."""
    (event_id, install_id, user_id, name, t, platform, app_version, os_version, device_model, region, session_id,
     properties, version_code) = row
    out = {"eventId": event_id, "installId": install_id, "userId": user_id, "name": name, "timestamp": iso(t),
           "platform": platform, "appVersion": app_version, "osVersion": os_version, "deviceModel": device_model,
           "region": region, "sessionId": session_id, "versionCode": version_code,
           "properties": json.loads(properties) if isinstance(properties, str) else properties}
    return len(json.dumps({k: v for k, v in out.items() if v is not None}, separators=(",", ":")))


def sqlite_storage(path):
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT count(*) FROM telemetry_events").fetchone()[0]
        step = max(1, rows // SAMPLE)
        sample = db.execute(f"SELECT {', '.join(COLUMNS)} FROM telemetry_events WHERE id % ? = 0 LIMIT ?",
                            (step, SAMPLE)).fetchall()
        json_size = statistics.mean(event_json(r, measure.iso) for r in sample)
        sizes = dict(db.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall())
        indexes = [n for (n,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'telemetry_events'")]
        parts = [("telemetry_events (table)", sizes.get("telemetry_events", 0), "the events")]
        parts += [(n, sizes.get(n, 0), SERVES.get(n, "?")) for n in sorted(indexes, key=lambda n: -sizes.get(n, 0))]
        beside = [(t, sum(v for k, v in sizes.items() if k == t or k.startswith(f"sqlite_autoindex_{t}")
                          or k in idx)) for t, idx in (
            ("release_sessions", ("ux_release_sessions_session", "ix_release_sessions_version")),
            ("actor_last_sessions", ("ix_actor_last_sessions_time",)))]
        return rows, json_size, parts, beside, sum(sizes.values())
    finally:
        db.close()


def pg_storage(url):
    rows = int(measure.psql(url, "SELECT count(*) FROM telemetry_events").strip())
    sample_sql = (f"COPY (SELECT json_build_array({', '.join(COLUMNS[:4])}, "
                  f"(extract(epoch FROM event_time) * 1000)::bigint, {', '.join(COLUMNS[5:])}) "
                  f"FROM telemetry_events TABLESAMPLE SYSTEM (1) LIMIT {SAMPLE}) TO STDOUT")
    sample = [json.loads(line) for line in measure.psql(url, sample_sql).splitlines() if line.strip()]
    json_size = statistics.mean(event_json(r, measure.iso) for r in sample)
    heap = int(measure.psql(url, """
        SELECT sum(pg_table_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'telemetry_events'::regclass""").strip())
    out = measure.psql(url, """
        SELECT c.relname, coalesce(sum(pg_relation_size(p.relid)), 0)
          FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid,
               LATERAL pg_partition_tree(i.indexrelid) p
         WHERE i.indrelid = 'telemetry_events'::regclass
         GROUP BY c.relname""")
    idx = {k: int(v) for k, v in (line.split("|") for line in out.splitlines() if line.strip())}
    parts = [("telemetry_events (partitions, with TOAST)", heap, "the events")]
    parts += [(n, s, SERVES.get(n, "?")) for n, s in sorted(idx.items(), key=lambda kv: -kv[1])]
    out = measure.psql(url, """
        SELECT 'event_keys (table)', pg_table_size('event_keys')
        UNION ALL SELECT i.indexrelid::regclass::text, pg_relation_size(i.indexrelid)
          FROM pg_index i WHERE i.indrelid = 'event_keys'::regclass""")
    parts += [(k, int(v), SERVES.get(k, "the idempotency keys" if k.startswith("event_keys") else "?"))
              for k, v in (line.split("|") for line in out.splitlines() if line.strip())]
    beside = [(t, int(measure.psql(url, f"SELECT pg_total_relation_size('{t}')").strip()))
              for t in ("release_sessions", "actor_last_sessions")]
    total = int(measure.psql(url, "SELECT pg_database_size(current_database())").strip())
    return rows, json_size, parts, beside, total


def table(kind, rows, json_size, parts, beside, total):
    lines = [f"### {kind}: {rows:,} events, {total / 2**30:.2f} GiB database, events' JSON {json_size:.0f} bytes "
             f"on average", "",
             "| part | MiB | bytes per event | serves |", "|---|---:|---:|---|"]
    log_bytes = 0
    for name, size, serves in parts:
        log_bytes += size
        lines.append(f"| {name} | {size / 2**20:,.0f} | {size / rows:.0f} | {serves} |")
    lines.append(f"| **the event log, all of it** | {log_bytes / 2**20:,.0f} | **{log_bytes / rows:.0f}** "
                 f"| {log_bytes / rows / json_size:.2f} x the JSON |")
    for name, size in beside:
        lines.append(f"| {name} (beside the log, with indexes) | {size / 2**20:,.0f} | {size / rows:.0f} | |")
    return "\n".join(lines) + "\n", log_bytes


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    measure.add_generated_args(p)
    args = p.parse_args()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    found = measure.on_generated(p, args, lambda kind, target: (sqlite_storage if kind == "sqlite" else pg_storage)(target))
    report, md = {"started": stamp, "databases": {}}, []
    for kind, r in found.items():
        text, log_bytes = table(kind, *r)
        md.append(text)
        report["databases"][kind] = {"rows": r[0], "json_bytes": r[1], "parts": r[2], "beside": r[3],
                                     "total": r[4], "log_bytes_per_event": log_bytes / r[0]}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"storage-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
    body = "\n".join(md)
    (args.out / f"storage-{stamp}.md").write_text(f"# bench/history/storage.py, {stamp}\n\n{body}")
    print(body)
    print(f"results: {args.out / f'storage-{stamp}.md'}")


if __name__ == "__main__":
    main()
