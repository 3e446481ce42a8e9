// HyperLogLog and in-process presence hot paths: HLL add (per accepted
// app_session_start), count (realtime DAU), merge; heartbeats (the hottest
// route, target > 60k/s on 2 cores) and the online count beside them.

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backends/memory/hyperloglog.hpp"
#include "backends/memory/memory_presence.hpp"
#include "telemetry/presence_store.hpp"

namespace {

using beacon::backends::memory::HyperLogLog;
using beacon::backends::memory::MemoryPresence;

std::vector<std::string> make_ids(std::size_t n) {
    std::vector<std::string> ids;
    ids.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        ids.push_back("i:device-" + std::to_string(i * 2654435761u));
    }
    return ids;
}

void BM_HllAdd(benchmark::State& state) {
    const auto ids = make_ids(1 << 16);
    HyperLogLog h;
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(h.add(ids[i++ & (ids.size() - 1)]));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HllAdd);

void BM_HllCount(benchmark::State& state) {
    HyperLogLog h;
    for (const auto& id : make_ids(static_cast<std::size_t>(state.range(0)))) {
        h.add(id);
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(h.count());
    }
}
BENCHMARK(BM_HllCount)->Arg(100)->Arg(1'000'000);

void BM_HllMerge(benchmark::State& state) {
    HyperLogLog a;
    HyperLogLog b;
    const auto ids = make_ids(200'000);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        (i % 2 == 0 ? a : b).add(ids[i]);
    }
    for (auto _ : state) {
        HyperLogLog m = a;
        m.merge(b);
        benchmark::DoNotOptimize(m);
    }
}
BENCHMARK(BM_HllMerge);

// Every thread beats its own slice of 100k actors, extending their expiry.
void BM_PresenceHeartbeat(benchmark::State& state) {
    static MemoryPresence* store = nullptr;
    static std::vector<std::string> ids;
    if (state.thread_index() == 0) {
        store = new MemoryPresence();
        ids = make_ids(100'000);
    }
    const auto t0 = beacon::from_epoch_ms(1'795'600'000'000);
    std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
    std::int64_t tick = 0;
    for (auto _ : state) {
        const auto expiry = t0 + std::chrono::milliseconds(180'000 + (tick++ >> 4));
        benchmark::DoNotOptimize(store->record_heartbeat(ids[i++ % ids.size()], expiry).ok());
    }
    state.SetItemsProcessed(state.iterations());
    if (state.thread_index() == 0) {
        delete store;
        store = nullptr;
    }
}
BENCHMARK(BM_PresenceHeartbeat)->Threads(1)->Threads(2)->UseRealTime();

void BM_PresenceCountOnline(benchmark::State& state) {
    MemoryPresence store;
    const auto t0 = beacon::from_epoch_ms(1'795'600'000'000);
    const auto ids = make_ids(100'000);
    for (std::size_t i = 0; i < ids.size(); ++i) {
        (void)store.record_heartbeat(ids[i], t0 + std::chrono::milliseconds(180'000 + static_cast<std::int64_t>(i)));
    }
    for (auto _ : state) {
        benchmark::DoNotOptimize(store.count_online(t0).value());
    }
}
BENCHMARK(BM_PresenceCountOnline);

}  // namespace
