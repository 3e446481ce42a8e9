#!/usr/bin/env bash
# Runs the database-port contract tests against a real PostgreSQL 15: starts a
# throwaway server with tools/test-services/postgres.sh in a temporary
# directory, exports BEACON_TEST_PG_URL, runs the Postgres instantiations of
# contract_telemetry and contract_webhooks and the adapter's own tests (integration_postgres), then stops the server by PID (also on failure or Ctrl-C) and removes
# the directory. Prints the server log when a test fails.
#
#   tools/run-pg-tests.sh [BUILD_DIR] [gtest args...]
#
# BUILD_DIR defaults to $BEACON_BUILD_DIR, else build/debug; the binaries are
# BUILD_DIR/tests/contract_telemetry, contract_webhooks and integration_postgres
# (build them first: cmake --build BUILD_DIR --target contract_telemetry
# contract_webhooks integration_postgres). Extra arguments go to both binaries, after
# the default filter (a later --gtest_filter wins). Works as root (the server
# runs as the system user beacon-pg, created on first use) or as any user.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BEACON_BUILD_DIR:-$root/build/debug}"
if [[ $# -gt 0 && "$1" != -* ]]; then
    build_dir="$1"
    shift
fi
# The ports' contracts on PostgreSQL, and the adapter's own tests.
binary="$build_dir/tests/contract_telemetry"
outbox="$build_dir/tests/contract_webhooks"
own="$build_dir/tests/integration_postgres"
for b in "$binary" "$outbox" "$own"; do
    if [[ ! -x "$b" ]]; then
        echo "run-pg-tests: $b not found; build it with:" >&2
        echo "  cmake --build $build_dir --target contract_telemetry contract_webhooks integration_postgres" >&2
        exit 2
    fi
done

state="$(mktemp -d "${TMPDIR:-/tmp}/beacon-pg.XXXXXX")"
cleanup() {
    "$root/tools/test-services/postgres.sh" stop "$state" || true
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "run-pg-tests: starting PostgreSQL in $state"
"$root/tools/test-services/postgres.sh" start "$state" >/dev/null
# shellcheck disable=SC1091
source "$state/env"
export BEACON_TEST_PG_URL
echo "run-pg-tests: PostgreSQL pid $(cat "$state/postgres.pid")"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
"$binary" --gtest_filter='Postgres/*' "$@" || status=$?
"$outbox" --gtest_filter='Postgres/*' "$@" || status=$?
"$own" "$@" || status=$?
if [[ $status -ne 0 ]]; then
    "$root/tools/test-services/postgres.sh" logs "$state" >&2
fi
exit $status
