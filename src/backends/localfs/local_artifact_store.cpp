#include "backends/localfs/local_artifact_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <system_error>
#include <utility>
#include <vector>

#include "core/fd_io.hpp"
#include "core/percent_encoding.hpp"
#include "releases/artifact_key.hpp"
#include "releases/sha256_stream.hpp"

namespace beacon::backends::localfs {

namespace fs = std::filesystem;

namespace {

constexpr std::array<std::string_view, 3> kKindDirs{"android", "ios", "other"};
constexpr std::string_view kIncomingDir = ".incoming";
constexpr auto kStaleTempAge = std::chrono::hours(1);
// Longest `expires` accepted: 12 digits reach the year 33658.
constexpr std::size_t kMaxExpiresDigits = 12;

// Disk trouble is something the operator fixes (space, permissions, a failing
// disk), not a bug: Unavailable, with the path and the OS's reason.
Error io_error(std::string_view what, const fs::path& path, int err) {
    return unavailable("storage", std::string(what) + " " + path.string() + ": " + std::strerror(err));
}

Error bad_key(std::string_view key) {
    // The key is not echoed whole: it may be attacker-chosen junk of any length.
    return make_error(ErrorCode::InvalidArgument, "invalid artifact key '" + std::string(key.substr(0, 100)) + "'");
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }
    // Closes now, reporting the result (close can report a deferred write error).
    int close() {
        const int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }
    void reset() {
        if (fd_ >= 0) {
            ::close(fd_);
            fd_ = -1;
        }
    }

private:
    int fd_;
};

Result<void> fsync_dir(const fs::path& dir) {
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0) {
        return io_error("opening directory", dir, errno);
    }
    if (::fsync(dfd.get()) != 0) {
        return io_error("syncing directory", dir, errno);
    }
    return ok();
}

// Copies `size` bytes from `in` to `out`: copy_file_range first (in-kernel,
// a reflink on file systems that have them), read/write when the kernel or
// file system cannot do it. errno is set when false is returned.
bool copy_contents(int in, int out, std::uint64_t size) {
    std::uint64_t copied = 0;
    while (copied < size) {
        const std::size_t chunk = static_cast<std::size_t>(std::min<std::uint64_t>(size - copied, 1u << 30));
        const ssize_t n = ::copy_file_range(in, nullptr, out, nullptr, chunk, 0);
        if (n > 0) {
            copied += static_cast<std::uint64_t>(n);
            continue;
        }
        if (n == 0) {
            errno = EIO;  // the source shrank while we copied
            return false;
        }
        if (errno == EINTR) {
            continue;
        }
        if (copied == 0 &&
            (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EPERM)) {
            break;  // fall back to plain reads and writes
        }
        return false;
    }
    if (copied == size) {
        return true;
    }
    std::vector<char> buffer(1 << 20);
    while (copied < size) {
        const ssize_t n = ::read(in, buffer.data(), buffer.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        if (n == 0) {
            errno = EIO;
            return false;
        }
        if (!write_all(out, std::string_view(buffer.data(), static_cast<std::size_t>(n)))) {
            return false;
        }
        copied += static_cast<std::uint64_t>(n);
    }
    return true;
}

std::optional<std::int64_t> parse_expires(std::string_view text) {
    if (text.empty() || text.size() > kMaxExpiresDigits || (text.size() > 1 && text[0] == '0')) {
        return std::nullopt;
    }
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;  // from_chars also refuses a sign or spaces
    }
    return value;
}

// Removes temp files a crashed writer left behind. Only old ones: another
// process on the same data dir may be writing the young ones right now.
void sweep_stale_temp_files(const fs::path& incoming) {
    std::error_code ec;
    const auto cutoff = fs::file_time_type::clock::now() - kStaleTempAge;
    for (fs::directory_iterator it(incoming, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code entry_ec;
        if (it->is_regular_file(entry_ec) && it->last_write_time(entry_ec) < cutoff && !entry_ec) {
            fs::remove(it->path(), entry_ec);
        }
    }
}

}  // namespace

LocalArtifactStore::LocalArtifactStore(fs::path root, std::string hmac_secret, std::string previous_hmac_secret)
    : root_(std::move(root)),
      incoming_(root_ / kIncomingDir),
      secret_(std::move(hmac_secret)),
      previous_secret_(std::move(previous_hmac_secret)) {}

Result<std::unique_ptr<LocalArtifactStore>> LocalArtifactStore::open(fs::path root,
                                                                     std::string hmac_secret,
                                                                     std::string previous_hmac_secret) {
    if (hmac_secret.empty()) {
        return make_error(ErrorCode::InvalidArgument, "artifact link secret is empty");
    }
    if (root.empty()) {
        return make_error(ErrorCode::InvalidArgument, "artifact directory is empty");
    }
    std::error_code ec;
    root = fs::absolute(root, ec);
    if (ec) {
        return io_error("resolving", root, ec.value());
    }
    for (std::string_view sub : kKindDirs) {
        fs::create_directories(root / sub, ec);
        if (ec) {
            return io_error("creating directory", root / sub, ec.value());
        }
    }
    fs::create_directories(root / kIncomingDir, ec);
    if (ec) {
        return io_error("creating directory", root / kIncomingDir, ec.value());
    }
    sweep_stale_temp_files(root / kIncomingDir);
    return std::unique_ptr<LocalArtifactStore>(
        new LocalArtifactStore(std::move(root), std::move(hmac_secret), std::move(previous_hmac_secret)));
}

Result<fs::path> LocalArtifactStore::path_for(std::string_view key) const {
    if (!releases::is_valid_artifact_key(key)) {
        return bad_key(key);
    }
    return root_ / key;
}

Result<void> LocalArtifactStore::put_file(std::string_view key, const fs::path& file, std::string_view) {
    auto target = path_for(key);
    if (!target) {
        return std::move(target).error();
    }
    auto present = exists(key);
    if (!present) {
        return std::move(present).error();
    }
    if (*present) {
        return ok();  // content-addressed: the same key holds the same bytes
    }

    Fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (in.get() < 0) {
        const int err = errno;
        if (err == ENOENT) {
            return make_error(ErrorCode::NotFound, "artifact source " + file.string() + " does not exist");
        }
        return io_error("opening", file, err);
    }
    struct stat st {};
    if (::fstat(in.get(), &st) != 0) {
        return io_error("reading size of", file, errno);
    }
    if (!S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::InvalidArgument, "artifact source " + file.string() + " is not a regular file");
    }

    std::string tmpl = (incoming_ / (target->filename().string() + ".XXXXXX")).string();
    Fd out(::mkostemp(tmpl.data(), O_CLOEXEC));
    if (out.get() < 0) {
        return io_error("creating temp file in", incoming_, errno);
    }
    const fs::path tmp = tmpl;
    auto fail = [&](std::string_view what, const fs::path& path, int err) -> Result<void> {
        out.reset();
        ::unlink(tmp.c_str());
        return io_error(what, path, err);
    };
    if (!copy_contents(in.get(), out.get(), static_cast<std::uint64_t>(st.st_size))) {
        return fail("copying artifact to", tmp, errno);
    }
    // mkstemp creates 0600; artifacts are public downloads, readable like any served file.
    if (::fchmod(out.get(), 0644) != 0) {
        return fail("setting mode of", tmp, errno);
    }
    if (::fsync(out.get()) != 0) {
        return fail("syncing", tmp, errno);
    }
    if (out.close() != 0) {
        return fail("closing", tmp, errno);
    }
    // A concurrent put of the same key may win the race; its bytes are the
    // same, so replacing them is harmless.
    if (::rename(tmp.c_str(), target->c_str()) != 0) {
        return fail("renaming to", *target, errno);
    }
    return fsync_dir(target->parent_path());
}

Result<bool> LocalArtifactStore::exists(std::string_view key) {
    auto path = path_for(key);
    if (!path) {
        return std::move(path).error();
    }
    struct stat st {};
    if (::stat(path->c_str(), &st) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR) {
            return false;
        }
        return io_error("checking", *path, err);
    }
    return S_ISREG(st.st_mode);
}

Result<void> LocalArtifactStore::remove(std::string_view key) {
    auto path = path_for(key);
    if (!path) {
        return std::move(path).error();
    }
    if (::unlink(path->c_str()) != 0) {
        const int err = errno;
        if (err == ENOENT || err == ENOTDIR) {
            return ok();
        }
        return io_error("removing", *path, err);
    }
    return ok();
}

std::string LocalArtifactStore::string_to_sign(std::string_view key,
                                               std::int64_t expires_unix_seconds,
                                               std::string_view file_name) {
    std::string s = file_name.empty() ? "beacon-files-v1\nGET\n" : "beacon-files-v2\nGET\n";
    s += key;
    s += '\n';
    s += std::to_string(expires_unix_seconds);
    if (!file_name.empty()) {
        s += '\n';
        s += file_name;
    }
    return s;
}

Result<releases::SignedUrl> LocalArtifactStore::signed_url(std::string_view key,
                                                           std::string_view download_file_name,
                                                           std::chrono::seconds ttl,
                                                           TimePoint now,
                                                           std::string_view public_base_url) {
    if (!releases::is_valid_artifact_key(key)) {
        return bad_key(key);
    }
    if (ttl.count() <= 0) {
        return make_error(ErrorCode::InvalidArgument, "link lifetime must be positive");
    }
    const auto now_s = std::chrono::floor<std::chrono::seconds>(now);
    const std::int64_t expires = now_s.time_since_epoch().count() + ttl.count();
    const std::string sig = releases::hmac_sha256_hex(secret_, string_to_sign(key, expires, download_file_name));

    while (public_base_url.ends_with('/')) {
        public_base_url.remove_suffix(1);
    }
    std::string url(public_base_url);
    url += "/files/";
    url += key;  // the key alphabet needs no percent-encoding
    url += "?expires=" + std::to_string(expires);
    if (!download_file_name.empty()) {
        url += "&name=" + uri_encode(download_file_name, /*encode_slash=*/true);
    }
    url += "&sig=" + sig;
    return releases::SignedUrl{std::move(url), TimePoint{std::chrono::seconds{expires}}};
}

SignatureCheck LocalArtifactStore::verify_signature(std::string_view key,
                                                    std::string_view expires,
                                                    std::string_view file_name,
                                                    std::string_view sig_hex,
                                                    TimePoint now) const {
    if (!releases::is_valid_artifact_key(key)) {
        return SignatureCheck::Invalid;
    }
    const auto expires_at = parse_expires(expires);
    if (!expires_at) {
        return SignatureCheck::Invalid;
    }
    const std::string message = string_to_sign(key, *expires_at, file_name);
    const bool genuine = releases::constant_time_equal(releases::hmac_sha256_hex(secret_, message), sig_hex) ||
                         (!previous_secret_.empty() &&
                          releases::constant_time_equal(releases::hmac_sha256_hex(previous_secret_, message), sig_hex));
    if (!genuine) {
        return SignatureCheck::Invalid;
    }
    if (now >= TimePoint{std::chrono::seconds{*expires_at}}) {
        return SignatureCheck::Expired;
    }
    return SignatureCheck::Valid;
}

Result<void> LocalArtifactStore::ping() {
    struct stat st {};
    if (::stat(incoming_.c_str(), &st) != 0) {
        return io_error("checking", incoming_, errno);
    }
    if (!S_ISDIR(st.st_mode)) {
        return unavailable("storage", incoming_.string() + " is not a directory");
    }
    if (::access(incoming_.c_str(), W_OK) != 0) {
        return io_error("checking write access to", incoming_, errno);
    }
    return ok();
}

}  // namespace beacon::backends::localfs
