#!/usr/bin/env bash
# `make bench`: the Google Benchmark micro-benchmarks of the release build,
# three repetitions, medians reported; JSON kept under bench/results/.
# (The wrk load scenarios against nginx's ceiling are still to come.)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/bench/results"
mkdir -p "$out"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
"$root/build/release/bench/beacon_bench" \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/micro-$stamp.json" --benchmark_out_format=json
echo "results: $out/micro-$stamp.json"
