#!/usr/bin/env bash
# Runs the artifact storage contract tests (contract_storage) against both
# adapters: the local file store, and S3 through s3rver behind the
# SigV4-verifying proxy (tools/test-services/s3.sh). Stops the services by PID
# when done, and prints their logs when a test fails.
#
#   tools/run-storage-tests.sh [BUILD_DIR] [gtest args...]
#
# BUILD_DIR defaults to $BEACON_BUILD_DIR, else build/debug; the binary is
# BUILD_DIR/tests/contract_storage (build it first: cmake --build BUILD_DIR
# --target contract_storage). Needs node and npm; the first run installs the
# pinned npm packages with `npm ci`.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${BEACON_BUILD_DIR:-$root/build/debug}"
if [[ $# -gt 0 && "$1" != -* ]]; then
    build_dir="$1"
    shift
fi
binary="$build_dir/tests/contract_storage"
if [[ ! -x "$binary" ]]; then
    echo "run-storage-tests: $binary not found; build it with:" >&2
    echo "  cmake --build $build_dir --target contract_storage" >&2
    exit 2
fi

state="$(mktemp -d "${TMPDIR:-/tmp}/beacon-s3.XXXXXX")"
cleanup() {
    "$root/tools/test-services/s3.sh" stop "$state" || true
    rm -rf "$state"
}
trap cleanup EXIT

echo "run-storage-tests: starting s3rver behind the SigV4-verifying proxy"
"$root/tools/test-services/s3.sh" start "$state" >/dev/null
# shellcheck disable=SC1091
source "$state/env"
echo "run-storage-tests: BEACON_TEST_S3_ENDPOINT=$BEACON_TEST_S3_ENDPOINT (s3rver at $BEACON_TEST_S3_DIRECT_ENDPOINT)"

status=0
"$binary" "$@" || status=$?
if [[ $status -ne 0 ]]; then
    "$root/tools/test-services/s3.sh" logs "$state" >&2
fi
exit $status
