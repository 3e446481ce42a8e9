#include "releases/artifact_intake.hpp"

#include <atomic>
#include <random>

namespace beacon::releases {
namespace {

struct KindInfo {
    const char* dir;
    const char* ext;
    const char* content_type;
};

KindInfo kind_of(const std::optional<DetectedPackage>& d) {
    if (d && d->platform == Platform::Android) {
        return {"android", "apk", "application/vnd.android.package-archive"};
    }
    if (d && d->platform == Platform::Ios) {
        return {"ios", "ipa", "application/octet-stream"};
    }
    return {"other", "zip", "application/zip"};
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
    for (char c : name) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
            continue;
        }
        out.push_back(c);
    }
    if (out.size() > 255) {
        out.resize(255);
    }
    if (out.empty() || out == "." || out == "..") {
        return std::string(fallback);
    }
    return out;
}

ArtifactIntake::Upload::Upload(std::filesystem::path path, std::FILE* file, std::uint64_t limit)
    : path_(std::move(path)), file_(file), limit_(limit) {}

ArtifactIntake::Upload::~Upload() {
    if (file_ != nullptr) {
        std::fclose(file_);
    }
    std::error_code ec;
    std::filesystem::remove(path_, ec);
}

Result<void> ArtifactIntake::Upload::write(std::string_view bytes) {
    if (size_ + bytes.size() > limit_) {
        return make_error(ErrorCode::PayloadTooLarge,
                          "the artifact exceeds BEACON_MAX_ARTIFACT_BYTES (" + std::to_string(limit_) + " bytes)");
    }
    if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
        return make_error(ErrorCode::Unavailable, "writing the upload to the spool directory failed");
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

Result<std::unique_ptr<ArtifactIntake::Upload>> ArtifactIntake::begin() {
    std::error_code ec;
    std::filesystem::create_directories(spool_dir_, ec);
    auto path = spool_dir_ / ("upload-" + random_suffix() + ".part");
    std::FILE* f = std::fopen(path.c_str(), "wbx");
    if (f == nullptr) {
        return make_error(ErrorCode::Unavailable, "cannot create a spool file for the upload");
    }
    return std::unique_ptr<Upload>(new Upload(path, f, max_bytes_));
}

Result<IntakeOutcome> ArtifactIntake::finish(Upload& upload, std::string_view file_name) {
    if (std::fflush(upload.file_) != 0) {
        return make_error(ErrorCode::Unavailable, "writing the upload to the spool directory failed");
    }
    std::fclose(upload.file_);
    upload.file_ = nullptr;
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

    if (auto r = store_.put_file(key, upload.path_, kind.content_type); !r) {
        return std::move(r).error();
    }
    ArtifactRecord record;
    record.artifact.key = key;
    record.artifact.file_name = sanitize_file_name(file_name, std::string("artifact.") + kind.ext);
    record.artifact.file_size = static_cast<std::int64_t>(upload.size_);
    record.artifact.sha256 = sha;
    record.artifact.content_type = kind.content_type;
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
