#pragma once

// Release artifacts built at test time with the real tools (aapt, plistutil,
// zip), and small helpers the releases end-to-end tests share.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace beacon::test {

// Runs `sh -c script` with `dir` as the working directory; true on exit 0.
// On failure `output` (when given) gets the command's stdout and stderr.
bool run_shell(const std::filesystem::path& dir, const std::string& script, std::string* output = nullptr);

std::string read_bytes(const std::filesystem::path& path);
void write_bytes(const std::filesystem::path& path, std::string_view bytes);

// Deterministic pseudo-random bytes (not compressible).
std::string random_bytes(std::size_t n, std::uint64_t seed);

// Lower-case hex SHA-256.
std::string sha256_hex(std::string_view bytes);

// The rollout bucket as API.md defines it: the first 8 bytes of
// SHA-256("<installId>:<versionId>"), big-endian, mod 100.
int expected_bucket(std::string_view install_id, std::int64_t version_id);

struct ApkSpec {
    std::string package = "com.example.beacon";
    std::int64_t version_code = 210;
    std::string version_name = "2.1.0";
    std::string min_sdk = "24";
    // > 0: a stored (uncompressed) assets/blob.bin of this many random bytes.
    std::size_t pad_bytes = 0;
    std::uint64_t seed = 1;
};

// Builds `dir/<name>` with aapt; nullopt (and `error`) when the tool failed.
std::optional<std::filesystem::path> build_apk(const std::filesystem::path& dir,
                                               const std::string& name,
                                               const ApkSpec& spec,
                                               std::string* error = nullptr);

struct IpaSpec {
    std::string app_name = "Beacon";
    // Written as CFBundleIdentifier when set.
    std::optional<std::string> bundle_id = "com.example.beacon.ios";
    // Written as CFBundleVersion when set.
    std::optional<std::string> bundle_version = "42";
    std::string short_version = "4.2.0";
    std::string min_os = "15.0";
    bool binary_plist = true;  // plistutil -f bin; else the XML as is
    // When set: these bytes are the Info.plist, and the fields above are ignored.
    std::optional<std::string> raw_plist;
};

// Builds `dir/<name>` (Payload/<app>.app/Info.plist) with plistutil and zip.
std::optional<std::filesystem::path> build_ipa(const std::filesystem::path& dir,
                                               const std::string& name,
                                               const IpaSpec& spec,
                                               std::string* error = nullptr);

// A binary plist (bplist00, written byte by byte: plistutil never shares
// arrays) whose root dictionary holds CFBundleIdentifier = `bundle_id` and
// "Bomb" = an array holding the next array twice, `levels` deep, down to one
// string. A few hundred bytes; expanded (as libplist does, one copy per
// reference) the tree has 2^levels leaves.
std::string bplist_reference_bomb(int levels, std::string_view bundle_id = "com.example.bomb");

// A ZIP holding one text file (neither APK nor IPA).
std::optional<std::filesystem::path> build_plain_zip(const std::filesystem::path& dir,
                                                     const std::string& name,
                                                     const std::string& content,
                                                     std::string* error = nullptr);

// A multipart/form-data body with one file part.
std::string multipart_body(std::string_view boundary,
                           std::string_view field,
                           std::string_view file_name,
                           std::string_view content,
                           std::string_view content_type = "application/octet-stream");

}  // namespace beacon::test
