#include "releases/artifact_intake.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <random>

#include "releases/artifact_key.hpp"
#include "releases/storable_text.hpp"

namespace beacon::releases {
namespace {

struct KindInfo {
    const char* dir;
    const char* ext;
};

KindInfo kind_of(const std::optional<DetectedPackage>& d) {
    if (d && d->platform == Platform::Android) {
        return {"android", "apk"};
    }
    if (d && d->platform == Platform::Ios) {
        return {"ios", "ipa"};
    }
    return {"other", "zip"};
}

std::string random_suffix() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string s(16, '0');
    auto v = rng();
    for (auto& c : s) {
        c = kHex[v & 0xF];
        v >>= 4;
    }
    return s;
}

}  // namespace

std::string sanitize_file_name(std::string_view name, std::string_view fallback) {
    auto slash = name.find_last_of("/\\");
    if (slash != std::string_view::npos) {
        name.remove_prefix(slash + 1);
    }
    std::string out;
    std::size_t i = 0;
    while (i < name.size()) {
        const auto u = static_cast<unsigned char>(name[i]);
        if (u < 0x80) {
            if (u >= 0x20 && u != 0x7f && u != '"' && u != '\\') {
                out.push_back(name[i]);
            }
            ++i;
            continue;
        }
        // A UTF-8 sequence is kept whole; a byte that does not start one
        // (Latin-1 from an old client, a cut sequence) becomes '_', so the
        // name is always storable text.
        const std::size_t n = (u & 0xE0) == 0xC0 ? 2 : (u & 0xF0) == 0xE0 ? 3 : (u & 0xF8) == 0xF0 ? 4 : 0;
        if (n != 0 && i + n <= name.size() && is_storable_text(name.substr(i, n))) {
            out.append(name.substr(i, n));
            i += n;
        } else {
            out.push_back('_');
            ++i;
        }
    }
    if (out.size() > 255) {
        std::size_t cut = 255;  // at a character boundary
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) {
            --cut;
        }
        out.resize(cut);
    }
    if (out.empty() || out == "." || out == "..") {
        return std::string(fallback);
    }
    return out;
}

ArtifactIntake::Upload::Upload(std::filesystem::path path, std::FILE* file, std::uint64_t limit)
    : path_(std::move(path)), file_(file), limit_(limit) {}

ArtifactIntake::Upload::~Upload() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
    // After the remove: the file is never seen unlocked under its name.
    std::fclose(file_);
}

Result<void> ArtifactIntake::Upload::write(std::string_view bytes) {
    if (size_ + bytes.size() > limit_) {
        return make_error(ErrorCode::PayloadTooLarge,
                          "the artifact exceeds BEACON_MAX_ARTIFACT_BYTES (" + std::to_string(limit_) + " bytes)");
    }
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
        return unavailable("spool", "writing the upload to the spool directory failed");
    }
    sha_.update(bytes);
    size_ += bytes.size();
    return {};
}

ArtifactIntake::ArtifactIntake(VersionRepository& repository,
                               ArtifactStore& store,
                               const Clock& clock,
                               std::filesystem::path spool_dir,
                               std::uint64_t max_bytes)
    : repository_(repository), store_(store), clock_(clock), spool_dir_(std::move(spool_dir)), max_bytes_(max_bytes) {}

namespace {

constexpr std::string_view kSpoolPrefix = "upload-";
constexpr std::string_view kSpoolSuffix = ".part";
constexpr std::string_view kSpoolNewSuffix = ".new";
// A .new file lives for the few microseconds between its create and its
// rename; one older than this was left by a process that died in between.
constexpr auto kStaleNewFileAge = std::chrono::minutes(1);

Error spool_error(std::string_view what, const std::filesystem::path& path, int err) {
    return unavailable("spool",
                       "cannot create a spool file for the upload (" + std::string(what) + " " + path.string() + ": " +
                           std::strerror(err) + ")");
}

}  // namespace

Result<std::unique_ptr<ArtifactIntake::Upload>> ArtifactIntake::begin() {
    std::error_code ec;
    std::filesystem::create_directories(spool_dir_, ec);
    const std::string base = std::string(kSpoolPrefix) + random_suffix();
    const auto fresh = spool_dir_ / (base + std::string(kSpoolNewSuffix));
    const auto path = spool_dir_ / (base + std::string(kSpoolSuffix));
    // Created under a name the sweep leaves alone, locked, then renamed: a
    // .part file is locked from the moment it exists. The lock is on the
    // descriptor the upload writes through (one descriptor per upload), and
    // goes when it is closed.
    const int fd = ::open(fresh.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return spool_error("creating", fresh, errno);
    }
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(fresh.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(fresh.c_str());
        ::close(fd);
        return spool_error("locking", fresh, err);
    }
    std::FILE* f = ::fdopen(fd, "wb");
    if (f == nullptr) {
        const int err = errno;
        ::unlink(path.c_str());
        ::close(fd);
        return spool_error("opening", path, err);
    }
    return std::unique_ptr<Upload>(new Upload(path, f, max_bytes_));
}

Result<std::int64_t> ArtifactIntake::sweep_spool() const {
    namespace fs = std::filesystem;
    std::int64_t removed = 0;
    std::error_code ec;
    fs::directory_iterator it(spool_dir_, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) {
            return removed;
        }
        return unavailable("spool", "reading spool directory " + spool_dir_.string() + ": " + ec.message());
    }
    const auto stale_before = fs::file_time_type::clock::now() - kStaleNewFileAge;
    for (; !ec && it != fs::directory_iterator(); it.increment(ec)) {
        const fs::path& p = it->path();
        const std::string name = p.filename().string();
        if (!name.starts_with(kSpoolPrefix)) {
            continue;
        }
        std::error_code entry_ec;
        if (!it->is_regular_file(entry_ec) || entry_ec) {
            continue;
        }
        if (name.ends_with(kSpoolNewSuffix)) {
            if (it->last_write_time(entry_ec) < stale_before && !entry_ec && fs::remove(p, entry_ec)) {
                ++removed;
            }
            continue;
        }
        if (!name.ends_with(kSpoolSuffix)) {
            continue;
        }
        const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
            continue;  // gone meanwhile
        }
        // Getting the lock means no live Upload holds the file.
        if (::flock(fd, LOCK_EX | LOCK_NB) == 0 && ::unlink(p.c_str()) == 0) {
            ++removed;
        }
        ::close(fd);
    }
    return removed;
}

Result<IntakeOutcome> ArtifactIntake::finish(Upload& upload, std::string_view file_name) {
    // Flushed, not closed: closing would drop the lock that keeps
    // sweep_spool() away while the file is inspected and stored.
    if (std::fflush(upload.file_) != 0) {
        return unavailable("spool", "writing the upload to the spool directory failed");
    }
    if (upload.size_ == 0) {
        return make_error(ErrorCode::Unprocessable, "the upload is empty, not a ZIP archive");
    }
    auto detected = inspect_package(upload.path_);
    if (!detected) {
        Error e = std::move(detected).error();
        if (e.code == ErrorCode::Unprocessable || e.code == ErrorCode::InvalidArgument) {
            e.code = ErrorCode::Unprocessable;
        }
        return e;
    }
    std::string sha = upload.sha_.hex_digest();
    KindInfo kind = kind_of(*detected);
    std::string key = std::string(kind.dir) + "/" + sha + "." + kind.ext;
    // One table for the media type of each kind, so /files can serve it from the key alone.
    const std::string content_type(artifact_content_type(key));

    if (auto existing = repository_.get_artifact(key); existing) {
        // Same bytes again: make sure the object is really there, then answer
        // with the record we have.
        auto there = store_.exists(key);
        if (!there) {
            return std::move(there).error();
        }
        if (!*there) {
            if (auto r = store_.put_file(key, upload.path_, existing->artifact.content_type); !r) {
                return std::move(r).error();
            }
        }
        return IntakeOutcome{std::move(*existing), false};
    } else if (existing.error().code != ErrorCode::NotFound) {
        return std::move(existing).error();
    }

    if (auto r = store_.put_file(key, upload.path_, content_type); !r) {
        return std::move(r).error();
    }
    ArtifactRecord record;
    record.artifact.key = key;
    record.artifact.file_name = sanitize_file_name(file_name, std::string("artifact.") + kind.ext);
    record.artifact.file_size = static_cast<std::int64_t>(upload.size_);
    record.artifact.sha256 = sha;
    record.artifact.content_type = content_type;
    if (*detected) {
        record.artifact.package_name = (*detected)->package_name;
    }
    record.detected = *detected;
    record.created_at = clock_.now();
    record.unreferenced_since = record.created_at;
    auto put = repository_.put_artifact(record);
    if (!put) {
        return std::move(put).error();
    }
    return IntakeOutcome{std::move(put->record), put->created};
}

}  // namespace beacon::releases
