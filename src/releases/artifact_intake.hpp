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
//
// The spool directory holds `upload-<random>.part` files, each locked
// (flock, exclusive) by its Upload from the moment it appears under that name
// until it is removed; a file is created as `upload-<random>.new`, locked,
// then renamed. An Upload removes its file when destroyed, so only a process
// that died mid-upload leaves one behind: sweep_spool() removes every .part
// file that no live Upload holds, in this process or another one sharing the
// directory (see docs/API.md, "Uploads").
class ArtifactIntake {
public:
    class Upload {
    public:
        ~Upload();  // removes the temporary file, then closes it (releasing its lock)
        Upload(const Upload&) = delete;
        Upload& operator=(const Upload&) = delete;
        // PayloadTooLarge past the limit; Unavailable when the disk fails.
        Result<void> write(std::string_view bytes);
        std::uint64_t size() const { return size_; }

    private:
        friend class ArtifactIntake;
        Upload(std::filesystem::path path, std::FILE* file, std::uint64_t limit);
        std::filesystem::path path_;
        std::FILE* file_;  // open until destroyed: its descriptor holds the flock sweep_spool() looks for
        std::uint64_t limit_;
        std::uint64_t size_ = 0;
        Sha256Stream sha_;
    };

    ArtifactIntake(VersionRepository& repository,
                   ArtifactStore& store,
                   const Clock& clock,
                   std::filesystem::path spool_dir,
                   std::uint64_t max_bytes);

    // Creates the spool file (and the directory). Unavailable when the disk
    // refuses. Blocking (file system calls): not for an I/O thread.
    Result<std::unique_ptr<Upload>> begin();

    // Removes what interrupted uploads left in the spool directory: every
    // upload-*.part file no Upload holds, and upload-*.new files (a create
    // cut short) older than a minute. Returns how many files it removed; a
    // missing directory is 0. Called at start, before serving, and by the
    // hourly cleanup job. Blocking.
    Result<std::int64_t> sweep_spool() const;

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
// component, control characters (U+0000 among them) and quotes removed, each
// byte that is not part of a valid UTF-8 sequence replaced by '_', at most
// 255 bytes (cut at a character boundary); `fallback` when nothing is left.
// The result is always storable text (storable_text.hpp).
std::string sanitize_file_name(std::string_view name, std::string_view fallback);

}  // namespace beacon::releases
