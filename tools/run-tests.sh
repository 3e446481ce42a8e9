#!/usr/bin/env bash
# Runs every CTest suite of the debug (ASan + UBSan) build against real peers:
# PostgreSQL 15, Redis 7 and s3rver behind a SigV4-verifying proxy, each
# started here on a free loopback port with its data in a temp dir, and
# stopped by PID when the run ends. Suites that need a peer read its address
# from BEACON_TEST_PG_URL, BEACON_TEST_REDIS_URL, BEACON_TEST_S3_ENDPOINT.
# The end-to-end HTTP suite runs twice: on the embedded default and, as the
# tests named .../production (label production), on PostgreSQL + Redis.
# When a test fails the peers' logs are printed. CTest's summary line
# ("100% tests passed, 0 tests failed out of N") closes the output.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

services=(postgres redis s3)
state="$(mktemp -d "${TMPDIR:-/tmp}/beacon-tests.XXXXXX")"
chmod 755 "$state"
cleanup() {
    for s in "${services[@]}"; do
        if [[ -d "$state/$s" ]]; then
            "tools/test-services/$s.sh" stop "$state/$s" >/dev/null 2>&1 || true
        fi
    done
    rm -rf "$state"
}
trap cleanup EXIT

for s in "${services[@]}"; do
    mkdir -p "$state/$s"
    echo "run-tests: starting $s"
    "tools/test-services/$s.sh" start "$state/$s" >/dev/null
    # shellcheck disable=SC1090
    source "$state/$s/env"
done

log="$state/ctest.log"
status=0
ctest --preset debug -j "$(nproc)" 2>&1 | tee "$log" || status=$?
if [[ $status -ne 0 ]]; then
    for s in "${services[@]}"; do
        echo "----- $s log (last 40 lines) -----"
        "tools/test-services/$s.sh" logs "$state/$s" 2>&1 | tail -n 40 || true
    done
fi
# CTest prints lists (disabled tests, failures) after its summary; repeat the
# summary so that it is the last line.
grep -E "tests passed, [0-9]+ tests? failed out of" "$log" | tail -n 1 || true
exit "$status"
