#!/usr/bin/env bash
# Builds the libFuzzer harnesses of fuzz/ (the fuzz preset: clang 14, ASan +
# UBSan), writes their seed corpora (fuzz/make_corpus.py) and runs each one
# for FUZZ_SECONDS (default 180) or FUZZ_RUNS executions, whichever comes
# first (default: no count), FUZZ_JOBS at a time (default: the cores),
# growing build/fuzz/corpus/<harness>/ from run to run. Any crash, leak,
# timeout (over 10 s for one input) or out-of-memory (over 2 GiB) fails the
# run; the input that caused it is kept in build/fuzz/artifacts/<harness>/.
# Writes build/fuzz/report.md (executions, coverage, corpus per harness).
#
#   make fuzz                    # every harness, 3 minutes each
#   FUZZ_SECONDS=5 make fuzz     # what .ci/run does: each harness over its corpus, briefly
#   tools/fuzz.sh axml multipart # only these
#   FUZZ_SECONDS=7200 FUZZ_RUNS=10500000 tools/fuzz.sh event_batch   # a count, not a time
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-180}
runs=${FUZZ_RUNS:--1}
jobs=${FUZZ_JOBS:-$(nproc)}

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)"
out=build/fuzz
python3 fuzz/make_corpus.py "$out/seeds" >/dev/null

if [ $# -gt 0 ]; then
    harnesses=("$@")
else
    harnesses=()
    for bin in "$out"/fuzz/*_fuzz; do harnesses+=("$(basename "$bin" _fuzz)"); done
fi

run_one() {
    local name=$1 log="$out/logs/$1.log"
    mkdir -p "$out/corpus/$name" "$out/artifacts/$name" "$out/logs"
    # -use_value_profile: comparisons guide the search (magic numbers in
    # AXML chunk headers, ZIP signatures). Leak checks are on (ASan's default).
    if "$out/fuzz/${name}_fuzz" "$out/corpus/$name" "$out/seeds/$name" \
        -max_total_time="$seconds" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 -use_value_profile=1 \
        -print_final_stats=1 -artifact_prefix="$out/artifacts/$name/" >"$log" 2>&1; then
        echo "fuzz: $name ok"
    else
        echo "fuzz: $name FAILED (see $log and $out/artifacts/$name/)"
        return 1
    fi
}
export -f run_one
export out seconds runs

echo "fuzz: ${#harnesses[@]} harnesses, ${seconds}s each, $jobs at a time"
status=0
printf '%s\n' "${harnesses[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one {}' || status=1

{
    echo "| harness | executions | exec/s | coverage (edges) | features | corpus | crashes, leaks, timeouts |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for name in "${harnesses[@]}"; do
        log="$out/logs/$name.log"
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
        rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
        cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
        ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
        corpus=$(find "$out/corpus/$name" -type f | wc -l)
        found=$(find "$out/artifacts/$name" -type f | wc -l)
        echo "| $name | ${execs:-?} | ${rate:-?} | ${cov:-?} | ${ft:-?} | $corpus | $found |"
    done
} >"$out/report.md"
cat "$out/report.md"
exit $status
