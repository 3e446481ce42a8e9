#!/usr/bin/env python3
"""Fills a Beacon database with a realistic telemetry history, for timing the
queries that run on it (make bench-history; issues 11 and 15).

The schema is applied by the real binary (`beacon migrate`), then filled:

- telemetry_events: --events events (default 10,000,000) over the --days days
  (default 30) ending now, from --actors distinct actors (default 1,000,000;
  about 30% with a userId, one install each, install ids like UUIDs). 20% of
  the events are app_session_start; each session is a start, a few page_view /
  button_tap events and an app_session_end, or an app_crash for about 3% of
  sessions; every event carries its session's sessionId and an eventId unique
  per install. Platforms about 60% android / 39% ios / 1% web, regions with
  their time zones (session starts follow each region's day), small JSON
  properties, received_at a few seconds after event_time.
- Version codes: per platform a release every ~2 days (android ...555-599,
  ios ...5455-5499 over the last 90 days); each actor runs the newest build
  released at least its own lag before the event (most lags are a day or two,
  some weeks, a few actors never upgrade), a fresh install starts on the build
  current at its first session. About 2% of events have version_code NULL
  (web, and app installs on an SDK that does not send it).
- actor_last_sessions: rebuilt from the events after the load (each actor's
  latest app_session_start per platform, with its version_code).
- release_sessions: rebuilt from the events after the load (the first
  app_session_start of each install's sessionId, its actor key as Beacon's
  telemetry::actor_hash, and the first app_crash of the session).
- app_versions: 2,000 versions (android and ios, channels stable and beta, 500
  each; codes as above, names like "2.1.0", released_at every 2 days).
- online_snapshots: one per minute over the window, with a daily curve.
- PostgreSQL: the monthly partitions the events need (and the adapter's
  current month and next two), and event_keys for every event.

The indexes of the loaded tables are dropped before the load and created again
after it from their own definitions (the schema ends up exactly as migrated);
ANALYZE runs at the end. Deterministic for a seed and an end time (--end,
default now to the minute). Prints what it made and how long each step took;
--meta writes the same as JSON.

    generate.py --sqlite build/bench-history/x/beacon.db
    generate.py --postgres postgres://beacon:pw@127.0.0.1:5432/beacon_test --events 1000000
"""

import argparse
import bisect
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from array import array
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAY_MS = 86_400_000
HOUR_MS = 3_600_000

# name, share of actors, UTC offset in hours
REGIONS = [("CN", 0.27, 8), ("US", 0.17, -5), ("IN", 0.13, 5.5), ("BR", 0.08, -3), ("DE", 0.06, 1),
           ("ID", 0.06, 7), ("JP", 0.05, 9), ("GB", 0.04, 0), ("FR", 0.03, 1), ("MX", 0.04, -6),
           ("KR", 0.03, 9), ("RU", 0.04, 3)]
PLATFORMS = [("android", 0.595), ("ios", 0.395), ("web", 0.01)]
# Session starts by local hour (relative).
HOUR_WEIGHTS = [2.0, 1.2, 0.7, 0.5, 0.5, 0.8, 1.6, 3.0, 4.0, 4.5, 4.6, 5.0, 5.6, 5.2, 4.9, 4.8, 5.0, 5.5,
                6.4, 7.4, 8.0, 7.6, 5.8, 3.6]
DEVICES = {
    "android": ["Pixel 8", "Pixel 7a", "SM-S918B", "SM-A546E", "Redmi Note 13", "Mi 13", "OnePlus 12",
                "HUAWEI P60", "vivo X100", "OPPO Reno11"],
    "ios": ["iPhone15,2", "iPhone15,3", "iPhone14,5", "iPhone14,7", "iPhone16,1", "iPhone16,2", "iPhone13,2",
            "iPad13,1"],
    "web": ["Chrome", "Safari", "Firefox", "Edge"],
}
OS_VERSIONS = {
    "android": ["14", "13", "12", "11", "10", "15"],
    "ios": ["17.1", "17.2", "16.6", "17.0", "16.4", "15.7"],
    "web": ["Windows 11", "macOS 14", "Linux", "Windows 10"],
}
PAGES = ["/home", "/coupons", "/search", "/cart", "/profile", "/orders", "/settings", "/product", "/feed"]
BUTTONS = ["buy", "add_to_cart", "share", "like", "close", "next", "login", "search"]
CRASHES = {"android": ["java.lang.NullPointerException", "java.lang.IllegalStateException",
                       "java.lang.OutOfMemoryError"],
           "ios": ["EXC_BAD_ACCESS", "SIGABRT", "EXC_BREAKPOINT"],
           "web": ["TypeError", "RangeError"]}

CATALOG_PER_CHANNEL = 500  # 2 platforms x 2 channels x 500 = 2,000 versions
FIRST_CODE = {"android": 100, "ios": 5000}  # the catalog's oldest code per platform
RELEASE_EVERY_MS = 2 * DAY_MS
CRASH_SHARE = 0.03
SESSION_SHARE = 0.20
USER_SHARE = 0.30
NULL_CODE_SHARE = 0.01  # of app actors (web actors never send one)
NEW_INSTALL_SHARE = 0.35  # actors whose first session is their install

EVENT_COLUMNS = ("event_id", "install_id", "user_id", "event_name", "event_time", "received_at", "platform",
                 "app_version", "os_version", "device_model", "region", "session_id", "properties",
                 "version_code")
LOADED_TABLES = ("telemetry_events", "event_keys", "actor_last_sessions", "release_sessions")


def log(msg):
    print(f"[generate {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def actor_hash(install_id, user_id):
    """Beacon's telemetry::actor_hash: the first 8 bytes of the MD5 of the
    actor key, big-endian, signed."""
    key = f"u:{user_id}" if user_id is not None else f"i:{install_id}"
    return int.from_bytes(hashlib.md5(key.encode()).digest()[:8], "big", signed=True)


def version_name(index):
    """The catalog's index-th release (0 = oldest) as "major.minor.patch"."""
    return f"{1 + index // 100}.{(index // 10) % 10}.{index % 10}"


def uuid_of(bits):
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{h[16:20]}-{h[20:]}"


class Model:
    """Actors, releases and sessions (sorted by start); events come from
    events(), session by session, so ids follow time closely."""

    def __init__(self, args):
        rng = random.Random(args.seed)
        self.rng = rng
        self.end = args.end_ms
        self.start = self.end - args.days * DAY_MS
        self.sessions = max(1, round(args.events * SESSION_SHARE))
        self.events_total = args.events
        actors = min(args.actors, self.sessions)
        if actors < args.actors:
            log(f"only {self.sessions} sessions: {actors} actors instead of {args.actors}")
        self.actors = actors

        # Releases: release i of a platform (catalog index i) at end - (499 - i) * 2 days + jitter.
        self.releases = {}
        for p in ("android", "ios"):
            times, codes = [], []
            for i in range(CATALOG_PER_CHANNEL):
                t = self.end - (CATALOG_PER_CHANNEL - 1 - i) * RELEASE_EVERY_MS - DAY_MS // 2 \
                    + int(rng.random() * DAY_MS // 2)
                times.append(t)
                codes.append(FIRST_CODE[p] + i)
            self.releases[p] = (times, codes)

        t0 = time.monotonic()
        region_cum = cumulative([w for _, w, _ in REGIONS])
        plat_cum = cumulative([w for _, w in PLATFORMS])
        self.install_ids = []
        self.user_ids = []
        self.platform = bytearray(actors)
        self.region = bytearray(actors)
        self.device = bytearray(actors)
        self.os = bytearray(actors)
        self.null_code = bytearray(actors)
        self.new_install = bytearray(actors)
        self.lag = array("q", bytes(8 * actors))
        weights = []
        r = rng.random
        for a in range(actors):
            self.install_ids.append(uuid_of(rng.getrandbits(128)))
            self.user_ids.append(f"user-{a:07d}" if r() < USER_SHARE else None)
            p = bisect.bisect(plat_cum, r())
            self.platform[a] = p
            self.region[a] = bisect.bisect(region_cum, r())
            pname = PLATFORMS[p][0]
            self.device[a] = int(r() * len(DEVICES[pname]))
            self.os[a] = min(int(r() ** 1.7 * len(OS_VERSIONS[pname])), len(OS_VERSIONS[pname]) - 1)
            self.null_code[a] = 1 if pname == "web" or r() < NULL_CODE_SHARE else 0
            self.new_install[a] = 1 if r() < NEW_INSTALL_SHARE else 0
            u = r()
            if u < 0.70:  # upgrades within a day or two
                lag = rng.expovariate(1 / (1.2 * DAY_MS))
            elif u < 0.90:  # within a week
                lag = 2 * DAY_MS + rng.expovariate(1 / (3 * DAY_MS))
            elif u < 0.97:  # weeks behind
                lag = 10 * DAY_MS + r() * 30 * DAY_MS
            else:  # never upgrades (stays on an old build)
                lag = 60 * DAY_MS + r() * 120 * DAY_MS
            self.lag[a] = int(lag)
            weights.append(min(rng.lognormvariate(0, 1.3), 200.0))
        log(f"{actors} actors in {time.monotonic() - t0:.1f}s")

        # Sessions: one per actor, the rest by activity weight.
        t0 = time.monotonic()
        s_count = self.sessions
        owner = array("l", range(actors))
        if s_count > actors:
            owner.extend(rng.choices(range(actors), cum_weights=cumulative(weights, normalise=False),
                                     k=s_count - actors))
        del weights
        # Start times: a day of the window (weekends a little busier), an hour of
        # the actor's local day, as UTC.
        day0 = self.start - self.start % DAY_MS
        n_days = (self.end - day0 + DAY_MS - 1) // DAY_MS
        day_cum = cumulative([1.15 if datetime.fromtimestamp((day0 + d * DAY_MS) / 1000, timezone.utc).weekday() >= 5
                              else 1.0 for d in range(n_days)])
        hour_cum = cumulative(HOUR_WEIGHTS)
        offsets = [int(off * HOUR_MS) for _, _, off in REGIONS]
        starts = array("q", bytes(8 * s_count))
        span = self.end - self.start
        for i in range(s_count):
            off = offsets[self.region[owner[i]]]
            for _ in range(8):
                t = (day0 + bisect.bisect(day_cum, r()) * DAY_MS
                     + (bisect.bisect(hour_cum, r()) * HOUR_MS + int(r() * HOUR_MS) - off) % DAY_MS)
                if self.start <= t < self.end - 600_000:
                    break
            else:
                t = self.start + int(r() * (span - 600_000))
            starts[i] = t
        order = sorted(range(s_count), key=starts.__getitem__)
        self.owner = array("l", (owner[i] for i in order))
        self.starts = array("q", (starts[i] for i in order))
        del owner, starts, order
        first = array("q", [self.end]) * actors
        for i in range(s_count):
            a = self.owner[i]
            if self.starts[i] < first[a]:
                first[a] = self.starts[i]
        self.first = first

        # Events per session besides start and end: exponential around the mean,
        # then nudged so that the total is exactly --events.
        middle_total = max(0, self.events_total - 2 * s_count)
        mean = middle_total / s_count
        mid = array("H", bytes(2 * s_count))
        for i in range(s_count):
            mid[i] = min(int(rng.expovariate(1 / mean) + 0.5), 400) if mean > 0 else 0
        diff = middle_total - sum(mid)
        for _ in range(100 * abs(diff) + 1000):
            if diff == 0:
                break
            i = int(r() * s_count)
            if diff > 0 and mid[i] < 400:
                mid[i] += 1
                diff -= 1
            elif diff < 0 and mid[i] > 0:
                mid[i] -= 1
                diff += 1
        self.middle = mid
        self.events_total = 2 * s_count + sum(mid)  # == --events unless it was tiny
        log(f"{s_count} sessions in {time.monotonic() - t0:.1f}s")

    def version_at(self, a, t):
        """(code, catalog index) actor a runs at t; None for web."""
        p = PLATFORMS[self.platform[a]][0]
        if p == "web":
            return None
        times, codes = self.releases[p]
        i = bisect.bisect(times, t - self.lag[a]) - 1
        if self.new_install[a]:
            i = max(i, bisect.bisect(times, self.first[a]) - 1)
        i = max(i, 0)
        return codes[i], i

    def events(self):
        """Yields the event rows in EVENT_COLUMNS order, session by session."""
        rng = self.rng
        r = rng.random
        end = self.end
        install_ids, user_ids = self.install_ids, self.user_ids
        names = [p for p, _ in PLATFORMS]
        region_names = [n for n, _, _ in REGIONS]
        pages, buttons = PAGES, BUTTONS
        n_pages, n_buttons = len(pages), len(buttons)

        def received(at):
            delay = 100 + int(r() * 3000)
            if r() < 0.01:  # sent later (offline)
                delay += int(r() * 6 * HOUR_MS)
            return min(at + delay, max(end, at))

        for s in range(self.sessions):
            a = self.owner[s]
            t = self.starts[s]
            p = self.platform[a]
            pname = names[p]
            iid = install_ids[a]
            uid = user_ids[a]
            region = region_names[self.region[a]]
            device = DEVICES[pname][self.device[a]]
            osv = OS_VERSIONS[pname][self.os[a]]
            v = self.version_at(a, t)
            if v is None:
                code, app_version = None, None
            else:
                code, app_version = (None if self.null_code[a] else v[0]), version_name(v[1])
            sid = uuid_of(rng.getrandbits(128))
            prefix = sid[:24]
            crashed = r() < CRASH_SHARE
            n_mid = self.middle[s]

            yield (prefix + "000000000000", iid, uid, "app_session_start", t, received(t), pname, app_version,
                   osv, device, region, sid, '{"coldStart":true}' if r() < 0.6 else '{"coldStart":false}', code)
            at = t
            for k in range(1, n_mid + 1):
                at += 2000 + int(rng.expovariate(1 / 20000))
                if r() < 0.6:
                    name, props = "page_view", f'{{"page":"{pages[int(r() * n_pages)]}"}}'
                else:
                    name = "button_tap"
                    props = f'{{"button":"{buttons[int(r() * n_buttons)]}","page":"{pages[int(r() * n_pages)]}"}}'
                yield (f"{prefix}{k:012x}", iid, uid, name, at, received(at), pname, app_version, osv, device,
                       region, sid, props, code)
            at += 1000 + int(rng.expovariate(1 / 15000))
            k = n_mid + 1
            if crashed:
                crash = CRASHES[pname][int(r() * len(CRASHES[pname]))]
                yield (f"{prefix}{k:012x}", iid, uid, "app_crash", at, received(at), pname, app_version, osv,
                       device, region, sid, f'{{"exception":"{crash}","fatal":true}}', code)
            else:
                yield (f"{prefix}{k:012x}", iid, uid, "app_session_end", at, received(at), pname, app_version,
                       osv, device, region, sid, f'{{"durationMs":{at - t}}}', code)

    def catalog(self):
        """(platform, channel, code, name, changelog, is_force_update, released_at) x 2,000."""
        for p in ("android", "ios"):
            times, codes = self.releases[p]
            for channel in ("stable", "beta"):
                for i in range(CATALOG_PER_CHANNEL):
                    released = times[i] - (3 * DAY_MS if channel == "beta" else 0)
                    name = version_name(i) + ("-beta" if channel == "beta" else "")
                    yield (p, channel, codes[i], name, f"Release {name}: fixes and improvements.",
                           1 if i % 97 == 0 else 0, released)

    def snapshots(self):
        """(ts, online_count) per minute over the window."""
        rng = random.Random(self.rng.random())
        hour_w = HOUR_WEIGHTS
        peak = max(hour_w)
        base = max(1, self.actors // 25)
        t = self.start - self.start % 60000 + 60000
        while t < self.end:
            utc_h = (t % DAY_MS) / HOUR_MS
            level = 0.0
            for _, share, off in REGIONS:
                h = (utc_h + off) % 24
                lo = int(h)
                frac = h - lo
                level += share * (hour_w[lo] * (1 - frac) + hour_w[(lo + 1) % 24] * frac) / peak
            yield t, int(base * level * (0.95 + 0.1 * rng.random()))
            t += 60000


def cumulative(weights, normalise=True):
    total = sum(weights)
    out, acc = [], 0.0
    for w in weights:
        acc += w
        out.append(acc / total if normalise else acc)
    if normalise:
        out[-1] = 1.0 + 1e-9  # bisect(out, random()) always inside
    return out


def migrate(args, env):
    cmd = [str(args.beacon), "migrate"]
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise SystemExit(f"beacon migrate failed: {out.stdout}{out.stderr}")


# ---- SQLite ------------------------------------------------------------------

def load_sqlite(args, model, steps):
    path = Path(args.sqlite).resolve()
    if path.exists() or Path(str(path) + "-wal").exists():
        if not args.force:
            raise SystemExit(f"{path} exists (--force replaces it)")
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    # beacon migrate makes <data dir>/beacon.db; elsewhere, in a scratch dir moved into place.
    data_dir = path.parent if path.name == "beacon.db" else Path(tempfile.mkdtemp(dir=path.parent))
    migrate(args, dict(os.environ, BEACON_DATA_DIR=str(data_dir)))
    if data_dir != path.parent:
        os.replace(data_dir / "beacon.db", path)
        shutil.rmtree(data_dir, ignore_errors=True)
    steps["migrate"] = time.monotonic() - t0

    db = sqlite3.connect(str(path), isolation_level=None)
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-1000000")
    db.execute("PRAGMA threads=2")
    indexes = db.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN "
        f"({','.join('?' * len(LOADED_TABLES))}) ORDER BY name", LOADED_TABLES).fetchall()
    for name, _ in indexes:
        db.execute(f"DROP INDEX {name}")

    t0 = time.monotonic()
    db.execute("BEGIN")
    sql = f"INSERT INTO telemetry_events ({', '.join(EVENT_COLUMNS)}) VALUES ({', '.join('?' * len(EVENT_COLUMNS))})"
    batch, done = [], 0
    for row in model.events():
        batch.append(row)
        if len(batch) == 200_000:
            db.executemany(sql, batch)
            done += len(batch)
            batch.clear()
            if done % 2_000_000 == 0:
                log(f"{done} events ({done / (time.monotonic() - t0):.0f}/s)")
    db.executemany(sql, batch)
    db.executemany("INSERT INTO app_versions (platform, channel, version_code, version_name, changelog, "
                   "is_force_update, released_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   (c + (c[6], c[6]) for c in model.catalog()))
    db.executemany("INSERT INTO online_snapshots (ts, online_count, window_seconds) VALUES (?, ?, 180)",
                   model.snapshots())
    db.execute("COMMIT")
    steps["load"] = time.monotonic() - t0
    log(f"loaded in {steps['load']:.0f}s")

    t0 = time.monotonic()
    db.execute("""
        INSERT INTO actor_last_sessions (platform, actor, event_time, version_code)
        SELECT COALESCE(platform, 'unknown'),
               CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id ELSE 'i:' || install_id END,
               MAX(event_time), version_code
          FROM telemetry_events
         WHERE event_name = 'app_session_start'
         GROUP BY 1, 2""")
    steps["actor_last_sessions"] = time.monotonic() - t0
    t0 = time.monotonic()
    db.create_function("beacon_actor_hash", 2, actor_hash, deterministic=True)
    db.execute("""
        INSERT INTO release_sessions (install_id, session_id, platform, version_code, started_at, actor, crashed_at)
        SELECT s.install_id, s.session_id, COALESCE(s.platform, 'unknown'), s.version_code, MIN(s.event_time),
               beacon_actor_hash(s.install_id, s.user_id), c.at
          FROM telemetry_events s
          LEFT JOIN (SELECT install_id, session_id, MIN(event_time) AS at FROM telemetry_events
                      WHERE event_name = 'app_crash' AND session_id IS NOT NULL GROUP BY 1, 2) c
            ON c.install_id = s.install_id AND c.session_id = s.session_id
         WHERE s.event_name = 'app_session_start'
         GROUP BY s.install_id, COALESCE(s.session_id, '#' || s.id)""")
    steps["release_sessions"] = time.monotonic() - t0
    t0 = time.monotonic()
    for name, create in indexes:
        t1 = time.monotonic()
        db.execute(create)
        log(f"index {name}: {time.monotonic() - t1:.0f}s")
    steps["indexes"] = time.monotonic() - t0
    t0 = time.monotonic()
    db.execute("ANALYZE")
    steps["analyze"] = time.monotonic() - t0
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("telemetry_events", "actor_last_sessions", "release_sessions", "app_versions",
                        "online_snapshots")}
    db.close()
    size = sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists())
    return counts, size


# ---- PostgreSQL ----------------------------------------------------------------

def psql(url, sql, *extra, input_text=None, timeout=3600):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, *extra, "-c", sql],
                         input=input_text, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"psql failed on {sql[:200]!r}: {out.stderr.strip()}")
    return out.stdout


def psql_script(url, script, timeout=7200):
    out = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", url, "-f", "-"],
                         input=script, capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        raise SystemExit(f"psql failed: {out.stderr.strip()}")
    return out.stdout


def month_of(ms):
    d = datetime.fromtimestamp(ms / 1000, timezone.utc)
    return d.year * 12 + d.month - 1


def partition_sql(m):
    """partitions.cpp's create_sql: telemetry_events_pYYYYMM over [first of month, first of next)."""
    def bound(m):
        return f"'{m // 12:04d}-{m % 12 + 1:02d}-01 00:00:00+00'"
    return (f"CREATE TABLE IF NOT EXISTS telemetry_events_p{m // 12:04d}{m % 12 + 1:02d} PARTITION OF "
            f"telemetry_events FOR VALUES FROM ({bound(m)}) TO ({bound(m + 1)})")


class PgTime:
    """Epoch ms -> timestamptz text, a cached strftime per minute."""

    def __init__(self):
        self.cache = {}

    def __call__(self, ms):
        m, rem = divmod(ms, 60000)
        p = self.cache.get(m)
        if p is None:
            p = datetime.fromtimestamp(m * 60, timezone.utc).strftime("%Y-%m-%d %H:%M:")
            self.cache[m] = p
        return f"{p}{rem // 1000:02d}.{rem % 1000:03d}+00"


def copy_into(url, table, columns, lines):
    """COPY table (columns) FROM STDIN fed from the `lines` iterator of text lines."""
    proc = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c",
                             f"COPY {table} ({', '.join(columns)}) FROM STDIN"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    chunk = []
    try:
        for line in lines:
            chunk.append(line)
            if len(chunk) == 50_000:
                proc.stdin.write("".join(chunk).encode())
                chunk.clear()
        proc.stdin.write("".join(chunk).encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    err = proc.stderr.read().decode()
    if proc.wait(timeout=3600) != 0:
        raise SystemExit(f"COPY {table} failed: {err.strip()}")


def load_postgres(args, model, steps):
    url = args.postgres
    if psql(url, "SELECT to_regclass('schema_migrations') IS NOT NULL").strip() == "t":
        raise SystemExit("the database is not empty (schema_migrations exists): give a fresh one")
    t0 = time.monotonic()
    migrate(args, dict(os.environ, BEACON_DATABASE_URL=url,
                       BEACON_JWT_SECRET=os.environ.get("BEACON_JWT_SECRET", "history-bench-0123456789abcdef01234")))
    steps["migrate"] = time.monotonic() - t0

    tables = ",".join(f"'{t}'" for t in LOADED_TABLES)
    constraints = [line.split("|", 2) for line in psql(url, f"""
        SELECT conrelid::regclass, conname, pg_get_constraintdef(oid) FROM pg_constraint
         WHERE contype IN ('p', 'u') AND conrelid::regclass::text IN ({tables}) ORDER BY 1, 2""").splitlines()]
    indexes = [line.split("|", 1) for line in psql(url, f"""
        SELECT indexname, indexdef FROM pg_indexes
         WHERE schemaname = current_schema() AND tablename IN ({tables})
           AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE contype IN ('p', 'u'))
         ORDER BY 1""").splitlines()]
    drop = [f"ALTER TABLE {t} DROP CONSTRAINT {c};" for t, c, _ in constraints]
    drop += [f"DROP INDEX {name};" for name, _ in indexes]
    months = range(month_of(model.start), month_of(time.time() * 1000) + 3)
    drop += [partition_sql(m) + ";" for m in months]
    psql_script(url, "\n".join(drop))

    t0 = time.monotonic()
    ts = PgTime()
    null = "\\N"

    def event_lines():
        done = 0
        for (eid, iid, uid, name, t, rcv, plat, appv, osv, dev, region, sid, props, code) in model.events():
            yield (f"{eid}\t{iid}\t{uid or null}\t{name}\t{ts(t)}\t{ts(rcv)}\t{plat}\t{appv or null}\t{osv}\t"
                   f"{dev}\t{region}\t{sid}\t{props}\t{null if code is None else code}\n")
            done += 1
            if done % 2_000_000 == 0:
                log(f"{done} events ({done / (time.monotonic() - t0):.0f}/s)")

    copy_into(url, "telemetry_events", EVENT_COLUMNS, event_lines())
    copy_into(url, "app_versions", ("platform", "channel", "version_code", "version_name", "changelog",
                                     "is_force_update", "released_at", "created_at", "updated_at"),
              (f"{p}\t{ch}\t{code}\t{name}\t{log_}\t{'t' if force else 'f'}\t{ts(rel)}\t{ts(rel)}\t{ts(rel)}\n"
               for p, ch, code, name, log_, force, rel in model.catalog()))
    copy_into(url, "online_snapshots", ("ts", "online_count", "window_seconds"),
              (f"{ts(t)}\t{n}\t180\n" for t, n in model.snapshots()))
    steps["load"] = time.monotonic() - t0
    log(f"loaded in {steps['load']:.0f}s")

    t0 = time.monotonic()
    psql_script(url, """
        SET maintenance_work_mem = '1GB';
        SET work_mem = '512MB';
        INSERT INTO event_keys (install_id, event_id, event_time)
        SELECT install_id, event_id, event_time FROM telemetry_events WHERE event_id IS NOT NULL;
        INSERT INTO actor_last_sessions (platform, actor, event_time, version_code)
        SELECT DISTINCT ON (1, 2)
               COALESCE(platform, 'unknown'),
               CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id ELSE 'i:' || install_id END,
               event_time, version_code
          FROM telemetry_events
         WHERE event_name = 'app_session_start'
         ORDER BY 1, 2, event_time DESC, id DESC;
        INSERT INTO release_sessions (install_id, session_id, platform, version_code, started_at, actor, crashed_at)
        SELECT DISTINCT ON (s.install_id, s.session_id IS NULL, COALESCE(s.session_id, s.id::text))
               s.install_id, s.session_id, COALESCE(s.platform, 'unknown'), s.version_code, s.event_time,
               ('x' || substr(md5(CASE WHEN s.user_id IS NOT NULL THEN 'u:' || s.user_id
                                       ELSE 'i:' || s.install_id END), 1, 16))::bit(64)::bigint,
               c.at
          FROM telemetry_events s
          LEFT JOIN (SELECT install_id, session_id, min(event_time) AS at FROM telemetry_events
                      WHERE event_name = 'app_crash' AND session_id IS NOT NULL GROUP BY 1, 2) c
            ON c.install_id = s.install_id AND c.session_id = s.session_id
         WHERE s.event_name = 'app_session_start'
         ORDER BY s.install_id, s.session_id IS NULL, COALESCE(s.session_id, s.id::text), s.id;""")
    steps["event_keys_and_sessions"] = time.monotonic() - t0
    t0 = time.monotonic()
    create = ["SET maintenance_work_mem = '1GB';"]
    create += [f"ALTER TABLE {t} ADD CONSTRAINT {c} {d};" for t, c, d in constraints]
    # pg_indexes gives a partitioned index as "ON ONLY <table>" (the parent alone): built here on every partition.
    create += [d.replace(" ON ONLY ", " ON ", 1) + ";" for _, d in indexes]
    psql_script(url, "\n".join(create))
    steps["indexes"] = time.monotonic() - t0
    t0 = time.monotonic()
    psql(url, "VACUUM ANALYZE")  # also sets the visibility map, as autovacuum would, for index-only scans
    steps["vacuum_analyze"] = time.monotonic() - t0
    counts = {}
    for t in ("telemetry_events", "event_keys", "actor_last_sessions", "release_sessions", "app_versions",
              "online_snapshots"):
        counts[t] = int(psql(url, f"SELECT count(*) FROM {t}").strip())
    size = int(psql(url, "SELECT pg_database_size(current_database())").strip())
    return counts, size


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--sqlite", metavar="PATH", help="the database file to create")
    target.add_argument("--postgres", metavar="URL", help="an empty database")
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--actors", type=int, default=1_000_000)
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--end", help="end of the window, ISO 8601 (default: now, to the minute)")
    p.add_argument("--force", action="store_true", help="replace an existing SQLite file")
    p.add_argument("--beacon", type=Path, default=ROOT / "build/release/beacon")
    p.add_argument("--meta", type=Path, help="write what was made as JSON here")
    args = p.parse_args()
    if args.events < 10 or args.actors < 1 or not 1 <= args.days <= 365:
        p.error("--events >= 10, --actors >= 1, --days 1..365")
    if not args.beacon.exists():
        p.error(f"{args.beacon} not found (cmake --build --preset release --target beacon)")
    if args.end:
        end = datetime.fromisoformat(args.end.replace("Z", "+00:00"))
        if end.tzinfo is None:
            end = end.replace(tzinfo=timezone.utc)
        args.end_ms = int(end.timestamp() * 1000)
    else:
        args.end_ms = int(time.time()) // 60 * 60000

    started = time.monotonic()
    steps = {}
    t0 = time.monotonic()
    model = Model(args)
    steps["model"] = time.monotonic() - t0
    if args.sqlite:
        counts, size = load_sqlite(args, model, steps)
    else:
        counts, size = load_postgres(args, model, steps)
    total = time.monotonic() - started
    meta = {
        "kind": "sqlite" if args.sqlite else "postgres",
        "events": args.events, "actors": model.actors, "days": args.days, "seed": args.seed,
        "window": {"from": iso(model.start), "to": iso(model.end)},
        "rows": counts, "size_bytes": size, "seconds": round(total, 1),
        "steps_seconds": {k: round(v, 1) for k, v in steps.items()},
        "generated_at": iso(int(time.time() * 1000)),
    }
    print(f"made {counts['telemetry_events']:,} events from {model.actors:,} actors over {args.days} days "
          f"({meta['window']['from']} .. {meta['window']['to']}), "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items() if k != "telemetry_events")
          + f"; {size / 2**30:.2f} GiB on disk; {total:.0f}s ("
          + ", ".join(f"{k} {v:.0f}s" for k, v in steps.items()) + ")")
    if args.meta:
        args.meta.parent.mkdir(parents=True, exist_ok=True)
        args.meta.write_text(json.dumps(meta, indent=2) + "\n")


def iso(ms):
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


if __name__ == "__main__":
    main()
