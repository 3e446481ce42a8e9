#!/usr/bin/env bash
# `make bench`: the Google Benchmark micro-benchmarks of the release build
# (three repetitions, medians), then the load scenarios of bench/load/run.py
# (wrk against Beacon embedded and on PostgreSQL + Redis, beside nginx's 204
# ceiling and the raw-insert floors, median of 3 runs). Results, as JSON and a
# Markdown table, go to bench/results/. Extra arguments go to run.py
# (e.g. tools/bench.sh --modes embedded --duration 5); BENCH_SKIP_MICRO=1
# skips the micro-benchmarks.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/bench/results"
mkdir -p "$out"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
if [[ -z "${BENCH_SKIP_MICRO:-}" ]]; then
    "$root/build/release/bench/beacon_bench" \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
        --benchmark_out="$out/micro-$stamp.json" --benchmark_out_format=json
    echo "results: $out/micro-$stamp.json"
fi
python3 "$root/bench/load/run.py" "$@"
