// GET /app/version/check per-request work: the staged-rollout bucket (a
// SHA-256 per version that is not at 100%) and the update decision over a
// catalog of 200 versions. The route answers from UpdateIndex (the snapshot
// ReleaseService keeps, release_service.cpp check()); decide_update is the
// reference scan, measured beside it to show what the index saves. Signing
// the download link, the rest of the route's work, is in sigv4_bench.cpp.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "releases/release_version.hpp"
#include "releases/rollout.hpp"
#include "releases/update_check.hpp"

namespace {

using beacon::releases::Artifact;
using beacon::releases::decide_update;
using beacon::releases::Platform;
using beacon::releases::ReleaseVersion;
using beacon::releases::UpdateDecision;
using beacon::releases::UpdateIndex;

// The checks' "now" (no version here has forceAfterDays, so any instant will do).
const beacon::TimePoint kBenchNow = beacon::from_epoch_ms(1'795'593'600'000);

// Install ids as clients make them: a prefix and 16 hex digits.
std::vector<std::string> make_install_ids(std::size_t n) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::vector<std::string> ids;
    ids.reserve(n);
    std::uint64_t x = 0x9e3779b97f4a7c15;
    for (std::size_t i = 0; i < n; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        std::string id = "i-";
        for (int shift = 60; shift >= 0; shift -= 4) {
            id.push_back(kHex[(x >> shift) & 0xf]);
        }
        ids.push_back(std::move(id));
    }
    return ids;
}

void BM_RolloutBucket(benchmark::State& state) {
    const auto ids = make_install_ids(4096);
    std::size_t i = 0;
    for (auto _ : state) {
        const std::int64_t version_id = 1 + static_cast<std::int64_t>(i % 200);
        benchmark::DoNotOptimize(beacon::releases::rollout_bucket(ids[i & 4095], version_id));
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RolloutBucket);

// A staged version (percent < 100) costs one bucket; 0 and 100 cost nothing.
void BM_RolloutCovers(benchmark::State& state) {
    const auto ids = make_install_ids(4096);
    const int percent = static_cast<int>(state.range(0));
    std::size_t i = 0;
    for (auto _ : state) {
        const std::int64_t version_id = 1 + static_cast<std::int64_t>(i % 200);
        benchmark::DoNotOptimize(beacon::releases::rollout_covers(percent, ids[i & 4095], version_id));
        ++i;
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RolloutCovers)->Arg(20)->Arg(100);

// 200 versions over four shelves, created in release order (ids ascending),
// the way a catalog grows over a few years:
//   android/stable 80, android/beta 40, ios/stable 50, ios/beta 30;
// on each shelf the three newest are staged (5%, 25%, 50%), the rest at 100%;
// every 17th version was disabled (a bad build pulled); one old version is a
// forced security fix; the newest versions require at least a recent code;
// android/stable has a draft on top (created, APK not uploaded yet).
struct Shelf {
    Platform platform;
    std::string_view channel;
    int count;
    std::int64_t first_code;
};
constexpr Shelf kShelves[] = {
    {Platform::Android, "stable", 80, 2'000},
    {Platform::Android, "beta", 40, 2'000},
    {Platform::Ios, "stable", 50, 300},
    {Platform::Ios, "beta", 30, 300},
};

std::vector<ReleaseVersion> make_catalog() {
    std::vector<ReleaseVersion> catalog;
    std::int64_t id = 0;
    for (const Shelf& shelf : kShelves) {
        for (int k = 0; k < shelf.count; ++k) {
            ReleaseVersion v;
            v.id = ++id;
            v.platform = shelf.platform;
            v.channel = std::string(shelf.channel);
            v.version_code = shelf.first_code + 10 * k;
            v.version_name = "2." + std::to_string(k) + ".0";
            v.changelog = "Fixes and improvements";
            const int from_top = shelf.count - 1 - k;
            v.rollout_percent = from_top == 0 ? 5 : from_top == 1 ? 25 : from_top == 2 ? 50 : 100;
            v.is_enabled = id % 17 != 0;
            v.is_force_update = k == shelf.count / 2;
            if (from_top < 5) {
                v.min_supported_version_code = shelf.first_code + 10 * (shelf.count / 2);
            }
            const bool is_draft = shelf.platform == Platform::Android && shelf.channel == "stable" && from_top == 0;
            if (!is_draft) {
                v.artifact = Artifact{"android/" + std::string(64, 'a') + ".apk",
                                      "app-" + v.version_name + ".apk",
                                      48'211'331,
                                      std::string(64, 'a'),
                                      "application/vnd.android.package-archive",
                                      "com.example.beacon.shop"};
            }
            catalog.push_back(std::move(v));
        }
    }
    return catalog;
}

struct Query {
    std::string install_id;
    std::int64_t current_code;
};

// android/stable clients, each on one of the 20 newest codes (most clients are
// a few releases behind), with varied install ids.
std::vector<Query> make_queries() {
    const Shelf& shelf = kShelves[0];
    const auto ids = make_install_ids(1024);
    std::vector<Query> queries;
    queries.reserve(ids.size());
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::int64_t behind = 1 + static_cast<std::int64_t>(i % 20);
        queries.push_back({ids[i], shelf.first_code + 10 * (shelf.count - behind)});
    }
    return queries;
}

// Checks once, outside the timing, that both forms give the same answers.
void expect_forms_agree(benchmark::State& state,
                        const std::vector<ReleaseVersion>& catalog,
                        const UpdateIndex& index,
                        const std::vector<Query>& queries) {
    for (const Query& q : queries) {
        const UpdateDecision a =
            decide_update(catalog, Platform::Android, "stable", q.current_code, q.install_id, kBenchNow);
        const UpdateDecision b = index.decide(Platform::Android, "stable", q.current_code, q.install_id, kBenchNow);
        const bool same = a.need_update == b.need_update && a.force_update == b.force_update &&
                          (a.latest == nullptr) == (b.latest == nullptr) &&
                          (a.latest == nullptr || a.latest->id == b.latest->id);
        if (!same) {
            state.SkipWithError("decide_update and UpdateIndex disagree");
            return;
        }
    }
}

// The route's path: one lookup in the snapshot's index.
void BM_UpdateIndexDecide(benchmark::State& state) {
    const UpdateIndex index(make_catalog());
    const auto queries = make_queries();
    expect_forms_agree(state, index.versions(), index, queries);
    std::size_t i = 0;
    for (auto _ : state) {
        const Query& q = queries[i++ & 1023];
        UpdateDecision d = index.decide(Platform::Android, "stable", q.current_code, q.install_id, kBenchNow);
        benchmark::DoNotOptimize(d);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_UpdateIndexDecide);

// The reference definition: a scan of all 200 versions.
void BM_DecideUpdateScan(benchmark::State& state) {
    const auto catalog = make_catalog();
    const auto queries = make_queries();
    std::size_t i = 0;
    for (auto _ : state) {
        const Query& q = queries[i++ & 1023];
        UpdateDecision d = decide_update(catalog, Platform::Android, "stable", q.current_code, q.install_id, kBenchNow);
        benchmark::DoNotOptimize(d);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DecideUpdateScan);

}  // namespace
