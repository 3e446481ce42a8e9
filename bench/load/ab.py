#!/usr/bin/env python3
"""Interleaved A/B of Beacon binaries on one load scenario of run.py.

Each binary serves on its own port (embedded: its own data dir; production:
its own database in one PostgreSQL, and the one Redis), with run.py's seeded
catalog, and wrk drives them in turn, --rounds times, so that whatever the
machine does meanwhile falls on all of them alike. Prints each binary's
median req/s and its ratio to the first one's; in production mode also
Redis's own CPU per 1000 requests (redis-server's utime + stime from
/proc around each run; the binaries share the one Redis, so each run's
figure is its own) and the time INFO commandstats gives each command per
1000 requests (reset before each run). Sequential runs of
`make bench` on these VMs moved nginx's own rate by 20% from one run to the
next: only an interleaved comparison tells a few percent apart.

    bench/load/ab.py --mode production --scenario heartbeat base=/path/to/beacon new=build/release/beacon
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import run  # bench/load/run.py: scenarios, wrk, Beacon, Service, seeding


def cpu_seconds(pid):
    """A process's user + system CPU so far (/proc/<pid>/stat, clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_cli(url, *command):
    return subprocess.run(["redis-cli", "-u", url, *command], check=True, capture_output=True, text=True,
                          timeout=30).stdout


def command_usec(url):
    """Microseconds Redis spent per command since the last CONFIG RESETSTAT
    (INFO commandstats; a script's inner commands count both in it and in
    their own line)."""
    out = {}
    for line in redis_cli(url, "INFO", "commandstats").splitlines():
        m = re.match(r"cmdstat_([^:]+):.*\busec=(\d+)", line.strip())
        if m and m.group(1).split("|")[0] not in ("config", "info"):
            out[m.group(1)] = int(m.group(2))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("binaries", nargs="+", metavar="NAME=BINARY")
    p.add_argument("--mode", choices=("embedded", "production"), default="embedded")
    p.add_argument("--scenario", choices=sorted(run.SCENARIOS), default="heartbeat")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--codes", default="100",
                   help="version codes per platform in the seeded catalog; several (100,1000) serve each "
                        "binary once per catalog size, named NAME/codes")
    p.add_argument("--out", type=Path, default=run.ROOT / "bench/results")
    args = p.parse_args()
    sizes = [int(c) for c in args.codes.split(",")]
    if not sizes or min(sizes) < 20:
        p.error("--codes: want version codes per platform, at least 20 each")
    named = []  # (name, binary, codes per platform)
    for item in args.binaries:
        name, _, binary = item.partition("=")
        if not binary or not Path(binary).exists():
            p.error(f"{item}: want NAME=BINARY with an existing binary")
        for codes in sizes:
            named.append((name if len(sizes) == 1 else f"{name}/{codes}", Path(binary).resolve(), codes))

    work = Path(tempfile.mkdtemp(prefix="beacon-ab-"))
    work.chmod(0o711)  # postgres.sh runs the cluster as its own user
    services, servers = [], []
    try:
        pg_url = redis_url = None
        if args.mode == "production":
            pg = run.Service("postgres", work)
            services.append(pg)
            redis = run.Service("redis", work)
            services.append(redis)
            pg_url, redis_url = pg.env["BEACON_TEST_PG_URL"], redis.env["BEACON_TEST_REDIS_URL"]
        for i, (name, binary, codes) in enumerate(named):
            url = None
            if pg_url:
                db = f"ab_{i}"
                subprocess.run(["psql", "-X", "-q", pg_url, "-c", f"CREATE DATABASE {db}"], check=True, timeout=60)
                url = re.sub(r"/[^/?]+(\?|$)", f"/{db}\\1", pg_url, count=1)
            home = work / name.replace("/", "-")
            home.mkdir()
            b = run.Beacon(binary, home, args.mode, url, redis_url)
            run.seed_catalog(b, home, codes)
            servers.append((name, b))
        script, path = run.SCENARIOS[args.scenario]
        for _, b in servers:  # warm-up
            run.wrk(b.url(path), script, 3, args.connections, 1)
        redis_pid = int((redis.dir / "redis.pid").read_text()) if args.mode == "production" else None
        rates = {name: [] for name, _ in servers}
        redis_ms = {name: [] for name, _ in servers}  # Redis CPU ms per 1000 requests
        redis_cmds = {name: {} for name, _ in servers}  # command -> [its ms per 1000 requests], per run
        for r in range(args.rounds):
            for name, b in servers:
                if redis_pid:
                    redis_cli(redis_url, "CONFIG", "RESETSTAT")
                cpu_before = cpu_seconds(redis_pid) if redis_pid else 0.0
                res = run.wrk(b.url(path), script, args.duration, args.connections, 1)
                if sum(res["errors"].values()):
                    raise RuntimeError(f"{name}: wrk errors {res['errors']}")
                rates[name].append(res["requests"] / (res["duration_us"] / 1e6))
                if redis_pid:
                    per_1000 = 1000 / max(1, res["requests"])
                    redis_ms[name].append((cpu_seconds(redis_pid) - cpu_before) * 1e3 * per_1000)
                    for cmd, usec in command_usec(redis_url).items():
                        redis_cmds[name].setdefault(cmd, []).append(usec / 1e3 * per_1000)
            run.log(f"round {r + 1}: " + ", ".join(f"{n} {rates[n][-1]:.0f}" for n in rates))
        first = statistics.median(rates[named[0][0]])
        out = {"mode": args.mode, "scenario": args.scenario, "rounds": args.rounds, "duration": args.duration,
               "binaries": {n: {"binary": str(b), "rps": [round(x) for x in rates[n]],
                                "median_rps": round(statistics.median(rates[n])),
                                "vs_first": round(statistics.median(rates[n]) / first, 3),
                                **({"redis_cpu_ms_per_1000": round(statistics.median(redis_ms[n]), 2),
                                    "redis_command_ms_per_1000": {
                                        c: round(statistics.median(v), 2) for c, v in sorted(redis_cmds[n].items())}}
                                   if redis_ms[n] else {})} for n, b, _ in named}}
        args.out.mkdir(parents=True, exist_ok=True)
        result = args.out / f"ab-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{args.mode}-{args.scenario}.json"
        result.write_text(json.dumps(out, indent=2) + "\n")
        print(json.dumps(out, indent=2))
        print(f"results: {result}")
        for n, _, _ in named:
            o = out["binaries"][n]
            redis_cpu = f", Redis {o['redis_cpu_ms_per_1000']} ms CPU per 1000" if "redis_cpu_ms_per_1000" in o else ""
            print(f"{args.mode} {args.scenario} {n}: median {o['median_rps']} req/s, "
                  f"{o['vs_first']:.3f} x {named[0][0]}{redis_cpu}")
    finally:
        for _, b in servers:
            b.stop()
        for s in reversed(services):
            s.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
