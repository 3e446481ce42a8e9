#!/usr/bin/env bash
# ThreadSanitizer over the concurrent parts: builds only the unit test binaries
# that hold them (the tsan preset: build/tsan, BEACON_TSAN) and runs the suites
# of the event ingestor (group commit thread), the heartbeat batcher (writer
# thread), presence (the service's cache, the sharded memory store), the
# scheduler (a thread per job, run claims), the server (I/O threads, drain) and
# the dispatcher (handlers awaiting the group commit from its writer thread).
# Any race report fails the run. `make tsan`; part of .ci/run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
cmake --preset tsan >/dev/null
cmake --build --preset tsan -j "${JOBS:-$(nproc)}"

export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:history_size=4}
# binary and gtest filter, one suite group a line.
suites=(
    "unit_telemetry EventIngestorTest.*:HeartbeatBatcher.*:PresenceServiceTest.*:Heartbeat.*"
    "unit_backends MemoryPresence.*"
    "unit_jobs SchedulerTest.*:NextMultiple.*"
    "unit_http ServerTest.*:ConnectionCap.*:DispatcherTest.*"
)
status=0
for entry in "${suites[@]}"; do
    read -r binary filter <<<"$entry"
    echo "run-tsan: $binary --gtest_filter=$filter"
    if ! "build/tsan/tests/$binary" --gtest_filter="$filter" --gtest_brief=1; then
        echo "run-tsan: $binary FAILED"
        status=1
    fi
done
if [[ $status -eq 0 ]]; then
    echo "run-tsan: ok, no data races"
fi
exit "$status"
