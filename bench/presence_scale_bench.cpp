// In-process presence at scale (issues 11 and 15): with 1 M and 5 M actors
// online, each at a platform and one of 12 version codes (as after a few
// releases), the heap bytes per actor (issue 11: under 80 at 1 M), the
// online count's cost (the timed part: count_online at a non-decreasing now,
// as the snapshot job and GET /telemetry/online call it) and the
// per-version count's, and the snapshot the server writes at stop (and every
// few minutes) and loads at start: its size, and how long flush() and open()
// take.

#include <benchmark/benchmark.h>
#include <malloc.h>
#include <stdlib.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "backends/memory/memory_presence.hpp"
#include "core/clock.hpp"
#include "telemetry/presence_store.hpp"

namespace {

using beacon::backends::memory::MemoryPresence;
using beacon::backends::memory::MemoryPresenceOptions;
using SteadyClock = std::chrono::steady_clock;

double ms_since(SteadyClock::time_point start) {
    return std::chrono::duration<double, std::milli>(SteadyClock::now() - start).count();
}

// glibc's bytes in use: the heap's chunks and the mmapped ones (a large
// table is mmapped until a free raises the threshold, so uordblks alone
// would miss it depending on what ran before).
std::size_t heap_in_use() {
    const struct mallinfo2 m = mallinfo2();
    return m.uordblks + m.hblkhd;
}

void BM_PresenceAtScale(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto t0 = beacon::from_epoch_ms(1'795'600'000'000);
    beacon::ManualClock clock(t0);
    std::vector<beacon::telemetry::HeartbeatMark> marks(n);
    for (std::size_t i = 0; i < n; ++i) {
        marks[i].actor = "i:" + std::to_string(1'000'000'000'000 + i * 2654435761u);
        marks[i].expires_at = t0 + std::chrono::seconds(180);
        marks[i].platform = i % 3 == 0 ? beacon::telemetry::Platform::Ios : beacon::telemetry::Platform::Android;
        marks[i].version_code = static_cast<beacon::telemetry::VersionCode>(200 + i % 12);
    }
    char dir_template[] = "/tmp/beacon-presence-bench-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) {
        state.SkipWithError("mkdtemp failed");
        return;
    }
    const std::filesystem::path dir = dir_template;
    const MemoryPresenceOptions options{.snapshot_path = dir / "presence.snapshot", .clock = &clock};

    const std::size_t before = heap_in_use();
    auto store = std::make_unique<MemoryPresence>(options);
    const auto beat_start = SteadyClock::now();
    for (const auto& m : marks) {
        (void)store->record_heartbeat(m);
    }
    const double beat_ms = ms_since(beat_start);
    const std::size_t after = heap_in_use();

    for (auto _ : state) {
        benchmark::DoNotOptimize(store->count_online(t0).value());
    }

    constexpr int kByVersionCalls = 100;
    const auto by_version_start = SteadyClock::now();
    for (int i = 0; i < kByVersionCalls; ++i) {
        benchmark::DoNotOptimize(store->count_online_by_version(beacon::telemetry::Platform::Android, t0).value());
    }
    const double by_version_us = ms_since(by_version_start) * 1e3 / kByVersionCalls;

    const auto flush_start = SteadyClock::now();
    const bool flushed = store->flush().ok();
    const double flush_ms = ms_since(flush_start);
    store.reset();
    const auto load_start = SteadyClock::now();
    auto loaded = MemoryPresence::open(options);
    const double load_ms = ms_since(load_start);
    const bool complete = flushed && loaded.ok() && (*loaded)->count_online(t0).value() == static_cast<std::int64_t>(n);
    const auto snapshot_bytes = static_cast<double>(std::filesystem::file_size(*options.snapshot_path));
    if (loaded.ok()) {
        loaded->reset();  // freed before the next run fills another store
    }
    std::filesystem::remove_all(dir);
    if (!complete) {
        state.SkipWithError("the snapshot did not bring every actor back");
        return;
    }
    state.counters["actors"] = static_cast<double>(n);
    state.counters["bytes_per_actor"] = static_cast<double>(after - before) / static_cast<double>(n);
    state.counters["heartbeat_ns"] = beat_ms * 1e6 / static_cast<double>(n);
    state.counters["snapshot_MB"] = snapshot_bytes / 1e6;
    state.counters["snapshot_bytes_per_actor"] = snapshot_bytes / static_cast<double>(n);
    state.counters["by_version_us"] = by_version_us;
    state.counters["flush_ms"] = flush_ms;
    state.counters["load_ms"] = load_ms;
}
BENCHMARK(BM_PresenceAtScale)->Arg(1'000'000)->Arg(5'000'000)->Iterations(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
