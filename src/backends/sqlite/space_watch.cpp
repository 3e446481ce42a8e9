#include "backends/sqlite/space_watch.hpp"

#include <sys/statvfs.h>

#include <utility>

namespace beacon::backends::sqlite {

SpaceWatch::SpaceWatch(std::filesystem::path dir)
    : SpaceWatch(dir.string(), [dir]() -> std::optional<std::uint64_t> {
          struct statvfs st {};
          if (::statvfs(dir.c_str(), &st) != 0) {
              return std::nullopt;
          }
          return static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
      }) {}

SpaceWatch::SpaceWatch(std::string where, FreeBytes free_bytes)
    : where_(std::move(where)), free_bytes_(std::move(free_bytes)) {}

void SpaceWatch::out_of_space() {
    const auto free_now = free_bytes_();
    std::lock_guard lock(mu_);
    free_at_failure_ = free_now.value_or(0);
    failed_.store(true, std::memory_order_release);
}

void SpaceWatch::wrote() {
    // The common case costs one load: nothing failed.
    if (failed_.load(std::memory_order_acquire)) {
        std::lock_guard lock(mu_);
        failed_.store(false, std::memory_order_release);
        free_at_failure_.reset();
    }
}

Result<void> SpaceWatch::check() {
    const auto free_now = free_bytes_();
    auto down = [this](std::uint64_t free) {
        return unavailable(
            "database",
            "sqlite: no space left on the file system of " + where_ + " (" + std::to_string(free) + " bytes free)");
    };
    if (free_now && *free_now < kLowSpace) {
        return down(*free_now);
    }
    if (!failed_.load(std::memory_order_acquire)) {
        return ok();
    }
    std::lock_guard lock(mu_);
    if (!free_at_failure_) {
        return ok();  // a write succeeded meanwhile
    }
    if (free_now && *free_now >= *free_at_failure_ + kRecovered) {
        failed_.store(false, std::memory_order_release);
        free_at_failure_.reset();
        return ok();
    }
    return down(free_now.value_or(0));
}

}  // namespace beacon::backends::sqlite
