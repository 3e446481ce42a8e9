#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "releases/artifact_store.hpp"
#include "releases/sha256_stream.hpp"
#include "releases/version_repository.hpp"

namespace beacon::releases {

struct IntakeOutcome {
    ArtifactRecord record;
    bool created = false;  // false: these bytes were stored already
};

// Receives an uploaded APK/IPA/ZIP: the bytes are spooled to a temporary file
// while SHA-256 is computed (memory does not grow with the size), then the
// package is inspected, stored under its content address
// (`android/<sha256>.apk`, `ios/<sha256>.ipa`, `other/<sha256>.zip`) and
// recorded. Thread-safe; each Upload is used by one thread at a time.
class ArtifactIntake {
public:
    class Upload {
    public:
        ~Upload();  // removes the temporary file
        Upload(const Upload&) = delete;
        Upload& operator=(const Upload&) = delete;
        // PayloadTooLarge past the limit; Unavailable when the disk fails.
        Result<void> write(std::string_view bytes);
        std::uint64_t size() const { return size_; }

    private:
        friend class ArtifactIntake;
        Upload(std::filesystem::path path, std::FILE* file, std::uint64_t limit);
        std::filesystem::path path_;
        std::FILE* file_;
        std::uint64_t limit_;
        std::uint64_t size_ = 0;
        Sha256Stream sha_;
    };

    ArtifactIntake(VersionRepository& repository,
                   ArtifactStore& store,
                   const Clock& clock,
                   std::filesystem::path spool_dir,
                   std::uint64_t max_bytes);

    Result<std::unique_ptr<Upload>> begin();

    // Finishes `upload`: Unprocessable when the bytes are not a ZIP archive
    // (or a broken APK/IPA); otherwise stores and records the artifact. When
    // the same bytes are stored already, returns the existing record
    // (created = false) and `file_name` is ignored.
    Result<IntakeOutcome> finish(Upload& upload, std::string_view file_name);

    std::uint64_t max_bytes() const { return max_bytes_; }

private:
    VersionRepository& repository_;
    ArtifactStore& store_;
    const Clock& clock_;
    std::filesystem::path spool_dir_;
    std::uint64_t max_bytes_;
};

// A file name safe to store and to echo in Content-Disposition: the last path
// component, control characters and quotes removed, at most 255 bytes;
// `fallback` when nothing is left.
std::string sanitize_file_name(std::string_view name, std::string_view fallback);

}  // namespace beacon::releases
