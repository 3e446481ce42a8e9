#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "releases/release_version.hpp"

namespace beacon::releases {

// What an uploaded archive says about itself (the contract's `detected`).
struct DetectedPackage {
    Platform platform = Platform::Android;
    std::optional<std::string> package_name;    // manifest package / CFBundleIdentifier
    std::optional<std::int64_t> version_code;   // versionCode / CFBundleVersion when a whole number
    std::optional<std::string> version_name;    // versionName / CFBundleShortVersionString
    std::optional<std::string> min_os_version;  // minSdkVersion / MinimumOSVersion
};

// The largest AndroidManifest.xml or Info.plist we inflate (real ones are a
// few KiB to a few hundred); a larger one is refused, so a zip bomb cannot
// make us allocate more than this.
inline constexpr std::uint64_t kMaxPackageMetadataBytes = 4u << 20;

// Looks inside an uploaded file (already on disk):
//   - an APK: AndroidManifest.xml in binary XML at the archive root
//     -> android, from the manifest (see android_binary_xml.hpp);
//   - an IPA: Payload/<Name>.app/Info.plist, exactly one directory below
//     Payload/ (the first such entry), binary or XML plist -> ios;
//   - any other ZIP (including one whose AndroidManifest.xml is plain text)
//     -> nullopt.
// A key the manifest or plist does not have (or has with another type) is
// null in the result, never an error (API.md 1.1, "Edges").
// Errors: Unprocessable for anything wrong with the archive's bytes: not a
// ZIP archive (empty, truncated, another format, an inconsistent or lying
// directory: every libzip error that is not a failure of our own disk), an
// entry we need that cannot be read (corrupt, encrypted, larger than
// kMaxPackageMetadataBytes), a malformed manifest or plist, a plist that
// would expand beyond PlistLimits (see plist_bounds.hpp), or a value read
// from it that is not storable text (see storable_text.hpp; the detail names
// the key). Unavailable when reading the file fails on our disk (EIO and the
// like). Internal when the file cannot be opened at all. Thread-safe; reads
// only `zip_file`.
Result<std::optional<DetectedPackage>> inspect_package(const std::filesystem::path& zip_file);

// The IPA half on its own, for tests: an Info.plist (binary or XML) -> ios.
// Bounded by check_plist_bounds() before libplist builds anything.
Result<DetectedPackage> parse_info_plist(std::span<const std::uint8_t> plist);

// CFBundleVersion as a version code: all ASCII digits (leading zeros allowed)
// with a value that fits a signed 32-bit integer; else nullopt.
std::optional<std::int64_t> bundle_version_code(std::string_view text);

}  // namespace beacon::releases
