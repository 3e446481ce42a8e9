#!/usr/bin/env bash
# Runs the Redis adapter's tests (the PresenceStore contract, URL parsing, key
# layout, concurrent heartbeats, recovery) against a throwaway redis-server on loopback.
#
#   tools/run-redis-tests.sh [BUILD_DIR] [gtest args...]   # BUILD_DIR defaults to build/debug
#
# Starts Redis with tools/test-services/redis.sh, exports BEACON_TEST_REDIS_URL,
# runs contract_telemetry and unit_backends filtered to the Redis tests and
# integration_redis, prints the
# Redis log when a test fails, and always stops Redis (by its PID) on exit.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/debug}"
shift || true
# The contract on Redis, the adapter's hermetic tests and its live ones.
bin="$build/tests/contract_telemetry"
unit="$build/tests/unit_backends"
own="$build/tests/integration_redis"
for b in "$bin" "$unit" "$own"; do
    if [[ ! -x "$b" ]]; then
        echo "run-redis-tests.sh: $b not built (cmake --build $build --target contract_telemetry unit_backends integration_redis)" >&2
        exit 2
    fi
done

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
"$unit" --gtest_filter='*Redis*' "$@" || status=$?
"$own" "$@" || status=$?
if [[ $status -ne 0 ]]; then
    "$root/tools/test-services/redis.sh" logs "$state" >&2 || true
fi
exit $status
