#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "core/result.hpp"

namespace beacon::backends::sqlite {

// Whether the database's file system has room to write, for /readyz: a
// database that answers reads but cannot store an event is not ready.
//
// Down when the file system's free space (for unprivileged writers,
// statvfs f_bavail) is under kLowSpace, or when a write failed for lack of
// space (SQLITE_FULL, ENOSPC) and the free space has not grown by kRecovered
// since, nor has a write succeeded. So it turns down on the first failed
// write, and back to ok by itself once space is freed, without waiting for
// a write to try. Thread-safe.
class SpaceWatch {
public:
    // Free bytes now; nullopt when it cannot be told.
    using FreeBytes = std::function<std::optional<std::uint64_t>()>;

    static constexpr std::uint64_t kLowSpace = std::uint64_t{1} << 20;
    static constexpr std::uint64_t kRecovered = std::uint64_t{1} << 20;

    // Watches the file system holding `dir`.
    explicit SpaceWatch(std::filesystem::path dir);
    // `where` names it in messages; `free_bytes` stands in for statvfs (tests).
    SpaceWatch(std::string where, FreeBytes free_bytes);

    // A write failed for lack of space.
    void out_of_space();
    // A write succeeded.
    void wrote();

    // Unavailable ("no space left on the file system of <dir>: N bytes
    // free") while down, as described above.
    Result<void> check();

private:
    std::string where_;
    FreeBytes free_bytes_;
    std::atomic<bool> failed_{false};
    std::mutex mu_;
    std::optional<std::uint64_t> free_at_failure_;  // guarded by mu_
};

}  // namespace beacon::backends::sqlite
