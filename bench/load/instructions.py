#!/usr/bin/env python3
"""Instructions per request, counted by callgrind: a figure that, unlike
requests/s, does not move with whatever else the machine is doing.

Starts the release binary (embedded mode) under `valgrind --tool=callgrind`,
seeds the bench catalog, warms up, zeroes the counters, drives one scenario
with wrk for --seconds, dumps, and prints instructions per answered request
(user space only: the kernel's share is not counted). The profile is kept
for callgrind_annotate.

    bench/load/instructions.py heartbeat [--seconds 10] [--keep DIR]
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import run  # bench/load/run.py: scenarios, wrk, seeding

def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("scenario", choices=sorted(run.SCENARIOS))
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--beacon", type=Path, default=run.ROOT / "build/release/beacon")
    p.add_argument("--keep", type=Path, help="directory for the callgrind profile (default: a temp dir)")
    args = p.parse_args()

    work = Path(tempfile.mkdtemp(prefix="beacon-callgrind-"))
    out_dir = args.keep or work
    out_dir.mkdir(parents=True, exist_ok=True)
    port = run.free_port()
    # One loopback client: no per-client rate limit (as run.py), or most
    # answers would be 429s.
    env = dict(os.environ, BEACON_JWT_SECRET=run.SECRET, BEACON_RATE_LIMIT="0")
    profile = out_dir / f"callgrind.{args.scenario}"
    proc = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}",
                             str(args.beacon), "serve", "--data-dir", str(work / "data"),
                             "--listen", f"127.0.0.1:{port}"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        run.wait_http(url + "/readyz", timeout_s=120)

        class Target:  # just enough of run.Beacon for seed_catalog
            pass
        t = Target()
        t.url = lambda path: url + path
        token = subprocess.run([str(args.beacon), "token", "--admin"], env=env, capture_output=True,
                               text=True, check=True, timeout=30).stdout.strip()
        t.admin = {"Authorization": f"Bearer {token}"}
        t.request = lambda *a, **k: run.Beacon.request(t, *a, **k)
        run.seed_catalog(t, work)

        script, path = run.SCENARIOS[args.scenario]
        run.wrk(url + path, script, 2, args.connections, 1)
        subprocess.run(["callgrind_control", "--zero", str(proc.pid)], check=True, capture_output=True, timeout=60)
        r = run.wrk(url + path, script, args.seconds, args.connections, 1)
        subprocess.run(["callgrind_control", "--dump=measured", str(proc.pid)], check=True, capture_output=True,
                       timeout=60)
        time.sleep(1)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    dumps = sorted(out_dir.glob(f"callgrind.{args.scenario}.*"), key=lambda f: f.stat().st_mtime)
    measured = next(f for f in reversed(dumps) if "measured" in f.read_text(errors="replace")[:2000])
    total = int(re.search(r"^summary: (\d+)", measured.read_text(errors="replace"), re.M).group(1))
    print(f"{args.scenario}: {total / r['requests']:.0f} instructions per request "
          f"({total} over {r['requests']} requests); profile: {measured}")


if __name__ == "__main__":
    sys.exit(main())
