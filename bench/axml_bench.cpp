// Reading an uploaded APK's metadata: parse_android_manifest on a real binary
// AndroidManifest.xml (bench/fixtures/AndroidManifest.xml, a mid-sized app
// with permissions, activities, services, a provider and meta-data, compiled
// by aapt at build time into BEACON_BENCH_MANIFEST_APK; see CMakeLists.txt),
// and inspect_package on that APK, which adds opening the ZIP and inflating
// the entry (the file is in the page cache after the first iteration).

#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include <zip.h>

#include "releases/android_binary_xml.hpp"
#include "releases/package_inspector.hpp"

namespace {

const std::filesystem::path kApk = BEACON_BENCH_MANIFEST_APK;

// The compiled manifest out of the APK; empty when it cannot be read.
std::vector<std::uint8_t> read_manifest(const std::filesystem::path& apk) {
    int err = 0;
    std::unique_ptr<zip_t, decltype(&zip_discard)> zip(zip_open(apk.c_str(), ZIP_RDONLY, &err), &zip_discard);
    if (!zip) {
        return {};
    }
    std::unique_ptr<zip_file_t, decltype(&zip_fclose)> f(zip_fopen(zip.get(), "AndroidManifest.xml", 0), &zip_fclose);
    if (!f) {
        return {};
    }
    std::vector<std::uint8_t> out;
    std::uint8_t buf[8192];
    zip_int64_t n = 0;
    while ((n = zip_fread(f.get(), buf, sizeof buf)) > 0) {
        out.insert(out.end(), buf, buf + n);
    }
    return out;
}

void BM_ParseAndroidManifest(benchmark::State& state) {
    const std::vector<std::uint8_t> manifest = read_manifest(kApk);
    const auto check = beacon::releases::parse_android_manifest(manifest);
    if (!check || check->package != "com.example.beacon.shop" || check->version_code != 2'104'017) {
        state.SkipWithError("the aapt-built manifest did not parse as expected");
        return;
    }
    for (auto _ : state) {
        auto info = beacon::releases::parse_android_manifest(manifest);
        benchmark::DoNotOptimize(info);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(manifest.size()));
    state.SetItemsProcessed(state.iterations());
    state.counters["manifest_bytes"] = static_cast<double>(manifest.size());
}
BENCHMARK(BM_ParseAndroidManifest);

void BM_InspectApk(benchmark::State& state) {
    const auto check = beacon::releases::inspect_package(kApk);
    if (!check || !*check || (*check)->version_code != 2'104'017) {
        state.SkipWithError("the aapt-built APK did not inspect as expected");
        return;
    }
    for (auto _ : state) {
        auto detected = beacon::releases::inspect_package(kApk);
        benchmark::DoNotOptimize(detected);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InspectApk);

}  // namespace
