#!/usr/bin/env python3
"""Replicas behind nginx (issue 15, "Scale-out, measured"): one and then two
`beacon serve` replicas of the release binary on one PostgreSQL and one
Redis (tools/test-services), behind nginx as a round-robin load balancer
with keep-alive upstream connections, driven by run.py's scenarios (wrk,
64 connections). For each replica count and scenario: the median req/s of
--rounds runs (interleaved: 1, 2, 1, 2, ...), each replica's CPU per 1000
requests, and for events whether every acknowledged event is stored: the
rows in telemetry_events must be at least the events of the 200s and at
most the events sent (a request cut off by wrk's end may have been stored).

    bench/load/replicas.py [--scenarios heartbeat,events,update_check] [--rounds 3] [--duration 8]

On one machine the replicas share its cores with nginx, the peers and wrk,
so the 2-replica rate says what a second replica costs and that the
cluster stays correct, not what a second box would add (docs/SCALING.md
projects that). Results: bench/results/replicas-<stamp>.{json,md}.
"""

import argparse
import json
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import run  # bench/load/run.py: scenarios, wrk, Beacon, Service, Nginx, seeding


def balancer(work, name, ports):
    """nginx proxying every request round-robin to the replicas on `ports`,
    over keep-alive upstream connections."""
    servers = " ".join(f"server 127.0.0.1:{p};" for p in ports)
    return run.Nginx(work, name, workers=1, ready=("/readyz", 200),
                     http=f"""    client_max_body_size 8m;
    client_body_buffer_size 1m;
    upstream beacon {{ {servers} keepalive 128; }}""",
                     location="proxy_pass http://beacon; proxy_http_version 1.1; "
                              'proxy_set_header Connection ""; proxy_set_header Host $host; proxy_buffering off;')


def stored_events(pg_url):
    out = subprocess.run(["psql", "-X", "-At", pg_url, "-c", "SELECT count(*) FROM telemetry_events"],
                         capture_output=True, text=True, check=True, timeout=120)
    return int(out.stdout.strip())


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binary", type=Path, default=run.ROOT / "build/release/beacon")
    p.add_argument("--scenarios", default="heartbeat,events,update_check")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--out", type=Path, default=run.ROOT / "bench/results")
    args = p.parse_args()
    scenarios = args.scenarios.split(",")
    for s in scenarios:
        if s not in run.SCENARIOS:
            p.error(f"--scenarios: {s} is none of {', '.join(sorted(run.SCENARIOS))}")

    work = Path(tempfile.mkdtemp(prefix="beacon-replicas-"))
    work.chmod(0o711)  # postgres.sh runs the cluster as its own user
    services, replicas, balancers = [], [], {}
    try:
        pg = run.Service("postgres", work)
        services.append(pg)
        redis = run.Service("redis", work)
        services.append(redis)
        pg_url, redis_url = pg.env["BEACON_TEST_PG_URL"], redis.env["BEACON_TEST_REDIS_URL"]
        key = work / "signing-key.pem"  # one key for the cluster, as a deployment would have
        subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(key)], check=True,
                       capture_output=True, timeout=30)
        for i in range(2):
            home = work / f"replica-{i + 1}"
            home.mkdir()
            replicas.append(run.Beacon(args.binary, home, "production", pg_url, redis_url, signing_key=key))
        run.seed_catalog(replicas[0], work)  # the catalog is in PostgreSQL: both replicas serve it
        time.sleep(3)  # the other replica sees the catalog's new revision (polled every 2 s)
        for n in (1, 2):
            balancers[n] = balancer(work, f"nginx-{n}", [r.port for r in replicas[:n]])

        results = {n: {s: {"rps": [], "cpu_ms_per_1k": [[] for _ in range(n)]} for s in scenarios} for n in (1, 2)}
        events_check = []
        for s in scenarios:
            script, path = run.SCENARIOS[s]
            for n in (1, 2):  # warm-up
                run.wrk(balancers[n].url(path), script, 3, args.connections, 1)
            for r in range(args.rounds):
                for n in (1, 2):
                    before = [run.proc_stat(b.proc.pid)[0] for b in replicas[:n]]
                    rows_before = stored_events(pg_url) if s == "events" else 0
                    res = run.wrk(balancers[n].url(path), script, args.duration, args.connections, 1)
                    rps = res["requests"] / (res["duration_us"] / 1e6)
                    results[n][s]["rps"].append(rps)
                    for i, b in enumerate(replicas[:n]):
                        cpu = run.proc_stat(b.proc.pid)[0] - before[i]
                        results[n][s]["cpu_ms_per_1k"][i].append(cpu * 1000 / max(res["requests"] / 1000, 1e-9))
                    if s == "events":
                        time.sleep(1)  # requests wrk cut off at its end finish
                        stored = stored_events(pg_url) - rows_before
                        # wrk's requests are the responses it read; "status" counts the non-2xx among them.
                        acked = (res["requests"] - res["errors"]["status"]) * run.EVENTS_PER_BATCH
                        events_check.append({"replicas": n, "acknowledged": acked, "stored": stored,
                                             "ok": stored >= acked})
                    run.log(f"{s} x{n} round {r + 1}: {rps:.0f} req/s, errors {res['errors']}")
        summary = {n: {s: {"rps": round(statistics.median(v["rps"])),
                           "cpu_ms_per_1k": [round(statistics.median(c), 1) for c in v["cpu_ms_per_1k"]]}
                       for s, v in results[n].items()} for n in (1, 2)}
        report = {"scenarios": scenarios, "rounds": args.rounds, "duration": args.duration,
                  "connections": args.connections, "summary": summary, "runs": results,
                  "events_check": events_check}
        lines = ["| scenario | 1 replica req/s | 2 replicas req/s | 2 / 1 | CPU ms per 1000, 1 replica | "
                 "CPU ms per 1000 per replica, 2 replicas |", "|---|---:|---:|---:|---:|---|"]
        for s in scenarios:
            one, two = summary[1][s], summary[2][s]
            lines.append(f"| {s} | {one['rps']:,} | {two['rps']:,} | {two['rps'] / one['rps']:.2f} | "
                         f"{one['cpu_ms_per_1k'][0]} | {', '.join(str(c) for c in two['cpu_ms_per_1k'])} |")
        if events_check:
            ok = all(e["ok"] for e in events_check)
            acked = sum(e["acknowledged"] for e in events_check)
            stored = sum(e["stored"] for e in events_check)
            lines += ["", f"Events: {acked:,} acknowledged, {stored:,} stored over {len(events_check)} runs: "
                          f"{'every acknowledged event stored' if ok else 'ACKNOWLEDGED EVENTS MISSING'}."]
        md = "\n".join(lines) + "\n"
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / f"replicas-{stamp}.json").write_text(json.dumps(report, indent=2) + "\n")
        (args.out / f"replicas-{stamp}.md").write_text(f"# bench/load/replicas.py, {stamp}\n\n{md}")
        print(md)
        print(f"results: {args.out / f'replicas-{stamp}.md'}")
        if events_check and not all(e["ok"] for e in events_check):
            raise SystemExit("acknowledged events are missing")
    finally:
        for b in balancers.values():
            b.stop()
        for b in replicas:
            b.stop()
        for s in reversed(services):
            s.stop()
        run.shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
