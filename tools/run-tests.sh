#!/usr/bin/env bash
# Runs every CTest suite of the debug (ASan + UBSan) build. CTest's own summary
# ("100% tests passed, 0 tests failed out of N") is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
exec ctest --preset debug -j "$(nproc)"
