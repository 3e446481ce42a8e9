#pragma once

// Real APK/IPA/ZIP fixtures, built at test time with Debian's tools (aapt with
// android-framework-res, plistutil, zip; installed by tools/install-deps.sh).
// Failures are reported as gtest failures and give an empty result.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace beacon::releases::fixtures {

namespace fs = std::filesystem;

std::string quote(const fs::path& p);
// Runs a shell command; adds a test failure (with the command) when it fails.
bool run(const std::string& command);
void write_file(const fs::path& path, std::string_view content);
std::vector<std::uint8_t> read_file(const fs::path& path);

// `aapt package` of an AndroidManifest.xml (plus res/ files, path -> content).
fs::path build_apk(const fs::path& dir,
                   std::string_view manifest_xml,
                   const std::vector<std::pair<std::string, std::string>>& res_files = {});
// One entry of a ZIP, read with libzip; empty on failure.
std::vector<std::uint8_t> zip_entry(const fs::path& zip, const std::string& name);
// The compiled AndroidManifest.xml (UTF-16 string pool: what aapt writes for manifests).
std::vector<std::uint8_t> compiled_manifest(const fs::path& dir, std::string_view manifest_xml);
// The same XML compiled as res/xml/ with --min-sdk-version 24, where aapt
// writes a UTF-8 string pool.
std::vector<std::uint8_t> compiled_utf8_xml(const fs::path& dir, std::string_view xml);

// A ZIP of the given entries (name -> content) built by `zip`; `store` keeps
// the data uncompressed.
fs::path make_zip(const fs::path& dir,
                  const std::string& zip_name,
                  const std::vector<std::pair<std::string, std::string>>& entries,
                  bool store = false);
// XML plist -> binary plist bytes, by plistutil.
std::string binary_plist(const fs::path& dir, std::string_view xml);
std::string info_plist_xml(const std::vector<std::pair<std::string, std::string>>& string_keys);

inline constexpr std::string_view kSimpleManifest = R"(<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="com.example.app" android:versionCode="210" android:versionName="2.1.0">
    <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="33"/>
    <application android:label="Hello" android:debuggable="true"/>
</manifest>
)";

}  // namespace beacon::releases::fixtures
