#!/usr/bin/env bash
# Runs the Redis adapter's tests (the PresenceStore contract, key layout,
# heartbeat batching, recovery) against a throwaway redis-server on loopback.
#
#   tools/run-redis-tests.sh [BUILD_DIR] [gtest args...]   # BUILD_DIR defaults to build/debug
#
# Starts Redis with tools/test-services/redis.sh, exports BEACON_TEST_REDIS_URL,
# runs the contract_telemetry binary filtered to the Redis tests, prints the
# Redis log when a test fails, and always stops Redis (by its PID) on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/debug}"
shift || true
bin="$build/tests/contract_telemetry"
if [[ ! -x "$bin" ]]; then
    echo "run-redis-tests.sh: $bin not built (cmake --build $build --target contract_telemetry)" >&2
    exit 2
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

state="$(mktemp -d "${TMPDIR:-/tmp}/beacon-redis.XXXXXX")"
cleanup() {
    "$root/tools/test-services/redis.sh" stop "$state" || true
    rm -rf "$state"
}
trap cleanup EXIT

BEACON_TEST_REDIS_URL="$("$root/tools/test-services/redis.sh" start "$state")"
export BEACON_TEST_REDIS_URL
echo "run-redis-tests.sh: Redis at $BEACON_TEST_REDIS_URL" >&2

status=0
"$bin" --gtest_filter='*Redis*' "$@" || status=$?
if [[ $status -ne 0 ]]; then
    "$root/tools/test-services/redis.sh" logs "$state" >&2 || true
fi
exit $status
