#include "backends/s3/s3_artifact_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>
#include <vector>

#include "backends/s3/s3_client.hpp"
#include "core/text.hpp"
#include "releases/artifact_key.hpp"
#include "releases/sha256_stream.hpp"

namespace beacon::backends::s3 {

namespace {

constexpr std::uint64_t kMinPartSize = std::uint64_t{5} << 20;  // S3's minimum, except the last part
constexpr std::uint64_t kMaxParts = 10000;

Error invalid(std::string message) {
    return make_error(ErrorCode::InvalidArgument, "S3 storage: " + std::move(message));
}

Error bad_key(std::string_view key) {
    return make_error(ErrorCode::InvalidArgument, "invalid artifact key '" + std::string(key.substr(0, 100)) + "'");
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

private:
    int fd_;
};

// SHA-256 of a file range, read in small blocks.
Result<std::string> sha256_of_range(int fd, std::uint64_t offset, std::uint64_t length, const std::string& what) {
    releases::Sha256Stream hash;
    std::vector<std::uint8_t> buffer(256 * 1024);
    std::uint64_t done = 0;
    while (done < length) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length - done));
        const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset + done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            const int err = n < 0 ? errno : EIO;
            return make_error(ErrorCode::Unavailable, "reading " + what + ": " + std::strerror(err));
        }
        hash.update(std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(n)));
        done += static_cast<std::uint64_t>(n);
    }
    return hash.hex_digest();
}

// "http(s)://authority" -> scheme, authority; no path, query or credentials.
Result<std::pair<std::string, std::string>> parse_endpoint(std::string_view endpoint) {
    std::string scheme;
    if (endpoint.starts_with("http://")) {
        scheme = "http";
    } else if (endpoint.starts_with("https://")) {
        scheme = "https";
    } else {
        return invalid("endpoint must start with http:// or https://");
    }
    std::string_view authority = endpoint.substr(scheme.size() + 3);
    while (authority.ends_with('/')) {
        authority.remove_suffix(1);
    }
    if (authority.empty() || authority.find_first_of("/?#@ ") != std::string_view::npos) {
        return invalid("endpoint must be scheme://host[:port] without a path");
    }
    return std::pair{std::move(scheme), std::string(authority)};
}

}  // namespace

S3ArtifactStore::S3ArtifactStore(S3StoreSettings settings, std::unique_ptr<S3Client> client)
    : settings_(std::move(settings)), client_(std::move(client)) {}

S3ArtifactStore::~S3ArtifactStore() = default;

Result<std::unique_ptr<S3ArtifactStore>> S3ArtifactStore::create_without_bucket_check(S3StoreSettings settings,
                                                                                      const Clock& clock) {
    if (settings.bucket.size() < 3 || settings.bucket.size() > 63 ||
        !std::all_of(settings.bucket.begin(), settings.bucket.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
        })) {
        return invalid("bucket must be 3 to 63 characters of a-z 0-9 . -");
    }
    if (settings.prefix.starts_with('/') || settings.prefix.ends_with('/')) {
        return invalid("prefix must not start or end with '/'");
    }
    if (settings.region.empty()) {
        return invalid("region is empty");
    }
    if (settings.credentials.access_key_id.empty() || settings.credentials.secret_access_key.empty()) {
        return invalid("access key id and secret access key are required");
    }
    if (settings.part_size < kMinPartSize) {
        return invalid("part size must be at least 5 MiB");
    }
    if (settings.multipart_threshold == 0) {
        return invalid("multipart threshold must be positive");
    }

    S3Endpoint endpoint;
    endpoint.bucket = settings.bucket;
    const bool aws = settings.endpoint.empty();
    if (aws) {
        endpoint.scheme = "https";
        endpoint.authority = "s3." + settings.region + ".amazonaws.com";
    } else {
        auto parsed = parse_endpoint(settings.endpoint);
        if (!parsed) {
            return std::move(parsed).error();
        }
        endpoint.scheme = std::move(parsed->first);
        endpoint.authority = std::move(parsed->second);
    }
    endpoint.virtual_host = settings.virtual_host.value_or(aws && settings.bucket.find('.') == std::string::npos);

    S3Timeouts timeouts;
    timeouts.connect = settings.connect_timeout;
    timeouts.request = settings.request_timeout;
    timeouts.low_speed_bytes = settings.low_speed_bytes;
    timeouts.low_speed_window = settings.low_speed_window;

    auto client = std::make_unique<S3Client>(
        std::move(endpoint), settings.credentials, SigV4Scope{settings.region, "s3"}, timeouts, clock);
    return std::unique_ptr<S3ArtifactStore>(new S3ArtifactStore(std::move(settings), std::move(client)));
}

Result<std::unique_ptr<S3ArtifactStore>> S3ArtifactStore::open(S3StoreSettings settings, const Clock& clock) {
    auto store = create_without_bucket_check(std::move(settings), clock);
    if (!store) {
        return store;
    }
    if (auto ready = (*store)->ensure_bucket(); !ready) {
        return std::move(ready).error();
    }
    return store;
}

std::string S3ArtifactStore::object_name(std::string_view key) const {
    if (settings_.prefix.empty()) {
        return std::string(key);
    }
    return settings_.prefix + "/" + std::string(key);
}

Result<void> S3ArtifactStore::ensure_bucket() {
    auto head = client_->send(S3Call{.method = "HEAD"});
    if (!head) {
        return std::move(head).error();
    }
    if (head->status == 200) {
        return ok();
    }
    if (head->status != 404 || !settings_.create_bucket) {
        return client_->status_error(client_->describe("HEAD", ""), *head);
    }

    std::string body;
    if (settings_.region != "us-east-1") {
        body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>" +
               xml_escape(settings_.region) + "</LocationConstraint></CreateBucketConfiguration>";
    }
    S3Call put{.method = "PUT", .body = S3Body::bytes(body), .payload_sha256 = releases::sha256_hex(body)};
    if (!body.empty()) {
        put.headers.emplace_back("content-type", "application/xml");
    }
    auto created = client_->send(put);
    if (!created) {
        return std::move(created).error();
    }
    if (created->status == 200 || (created->status == 409 && created->error_code() == "BucketAlreadyOwnedByYou")) {
        return ok();
    }
    return client_->status_error(client_->describe("PUT", ""), *created);
}

Result<void> S3ArtifactStore::ping() {
    auto head = client_->send(S3Call{.method = "HEAD"});
    if (!head) {
        return std::move(head).error();
    }
    if (head->status != 200) {
        Error e = client_->status_error(client_->describe("HEAD", ""), *head);
        e.code = ErrorCode::Unavailable;  // for readiness, any failure means "not usable"
        return e;
    }
    return ok();
}

Result<bool> S3ArtifactStore::exists(std::string_view key) {
    if (!releases::is_valid_artifact_key(key)) {
        return bad_key(key);
    }
    const std::string object = object_name(key);
    auto head = client_->send(S3Call{.method = "HEAD", .object = object});
    if (!head) {
        return std::move(head).error();
    }
    if (head->status == 200) {
        return true;
    }
    if (head->status == 404) {
        return false;
    }
    return client_->status_error(client_->describe("HEAD", object), *head);
}

Result<void> S3ArtifactStore::remove(std::string_view key) {
    if (!releases::is_valid_artifact_key(key)) {
        return bad_key(key);
    }
    const std::string object = object_name(key);
    auto deleted = client_->send(S3Call{.method = "DELETE", .object = object});
    if (!deleted) {
        return std::move(deleted).error();
    }
    if (deleted->status == 204 || deleted->status == 200 || deleted->status == 404) {
        return ok();
    }
    return client_->status_error(client_->describe("DELETE", object), *deleted);
}

Result<void> S3ArtifactStore::put_file(std::string_view key,
                                       const std::filesystem::path& file,
                                       std::string_view content_type) {
    if (!releases::is_valid_artifact_key(key)) {
        return bad_key(key);
    }
    auto present = exists(key);
    if (!present) {
        return std::move(present).error();
    }
    if (*present) {
        return ok();  // content-addressed: the same key holds the same bytes
    }

    Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        const int err = errno;
        if (err == ENOENT) {
            return make_error(ErrorCode::NotFound, "artifact source " + file.string() + " does not exist");
        }
        return make_error(ErrorCode::Unavailable, "opening " + file.string() + ": " + std::strerror(err));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        return make_error(ErrorCode::Unavailable, "reading size of " + file.string() + ": " + std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return make_error(ErrorCode::InvalidArgument, "artifact source " + file.string() + " is not a regular file");
    }
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const std::string object = object_name(key);
    if (content_type.empty()) {
        content_type = "application/octet-stream";
    }
    if (size <= settings_.multipart_threshold) {
        return put_single(object, fd.get(), size, content_type);
    }
    return put_multipart(object, fd.get(), size, content_type);
}

Result<void> S3ArtifactStore::put_single(const std::string& object,
                                         int fd,
                                         std::uint64_t size,
                                         std::string_view content_type) {
    auto hash = sha256_of_range(fd, 0, size, object);
    if (!hash) {
        return std::move(hash).error();
    }
    S3Call put{.method = "PUT",
               .object = object,
               .headers = {{"content-type", std::string(content_type)}},
               .body = S3Body::file_range(fd, 0, size),
               .payload_sha256 = std::move(*hash),
               .bulk_transfer = true};
    auto response = client_->send(put);
    if (!response) {
        return std::move(response).error();
    }
    if (response->status != 200) {
        return client_->status_error(client_->describe("PUT", object), *response);
    }
    return ok();
}

Result<void> S3ArtifactStore::put_multipart(const std::string& object,
                                            int fd,
                                            std::uint64_t size,
                                            std::string_view content_type) {
    // Grow the part size so the file fits in S3's 10,000 parts.
    const std::uint64_t part_size = std::max(settings_.part_size, (size + kMaxParts - 1) / kMaxParts);
    const bool hash_parts = client_->endpoint().scheme != "https";

    auto created = client_->send(S3Call{.method = "POST",
                                        .object = object,
                                        .query = {{"uploads", ""}},
                                        .headers = {{"content-type", std::string(content_type)}}});
    if (!created) {
        return std::move(created).error();
    }
    if (created->status != 200) {
        return client_->status_error(client_->describe("POST", object) + " (create multipart upload)", *created);
    }
    const auto upload_id = xml_element(created->body, "UploadId");
    if (!upload_id || upload_id->empty()) {
        return make_error(ErrorCode::Internal,
                          client_->describe("POST", object) + ": create multipart upload answered without UploadId");
    }

    // Abort on every failure below, so the bucket keeps no orphan parts.
    auto abort_with = [&](Error error) -> Result<void> {
        (void)client_->send(S3Call{.method = "DELETE", .object = object, .query = {{"uploadId", *upload_id}}});
        return error;
    };

    std::string complete = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">";
    std::uint64_t offset = 0;
    for (std::uint64_t part = 1; offset < size; ++part) {
        const std::uint64_t length = std::min(part_size, size - offset);
        std::string payload_hash(kUnsignedPayload);
        if (hash_parts) {
            auto hash = sha256_of_range(fd, offset, length, object);
            if (!hash) {
                return abort_with(std::move(hash).error());
            }
            payload_hash = std::move(*hash);
        }
        auto uploaded = client_->send(S3Call{.method = "PUT",
                                             .object = object,
                                             .query = {{"partNumber", std::to_string(part)}, {"uploadId", *upload_id}},
                                             .body = S3Body::file_range(fd, offset, length),
                                             .payload_sha256 = std::move(payload_hash),
                                             .bulk_transfer = true});
        if (!uploaded) {
            return abort_with(std::move(uploaded).error().with_context("part " + std::to_string(part)));
        }
        if (uploaded->status != 200) {
            return abort_with(client_->status_error(
                client_->describe("PUT", object) + " (part " + std::to_string(part) + ")", *uploaded));
        }
        const auto etag = uploaded->header("etag");
        if (!etag || etag->empty()) {
            return abort_with(make_error(
                ErrorCode::Internal,
                client_->describe("PUT", object) + ": part " + std::to_string(part) + " answered without ETag"));
        }
        complete +=
            "<Part><PartNumber>" + std::to_string(part) + "</PartNumber><ETag>" + xml_escape(*etag) + "</ETag></Part>";
        offset += length;
    }
    complete += "</CompleteMultipartUpload>";

    auto completed = client_->send(S3Call{.method = "POST",
                                          .object = object,
                                          .query = {{"uploadId", *upload_id}},
                                          .headers = {{"content-type", "application/xml"}},
                                          .body = S3Body::bytes(complete),
                                          .payload_sha256 = releases::sha256_hex(complete)});
    if (!completed) {
        return abort_with(std::move(completed).error().with_context("complete multipart upload"));
    }
    // S3 may answer 200 and still fail: the error is then in the body.
    if (completed->status != 200 || completed->body.find("<Error>") != std::string::npos) {
        Error error =
            client_->status_error(client_->describe("POST", object) + " (complete multipart upload)", *completed);
        if (completed->status == 200) {
            error.code = ErrorCode::Unavailable;  // S3 documents these as retryable
        }
        return abort_with(std::move(error));
    }
    return ok();
}

Result<releases::SignedUrl> S3ArtifactStore::signed_url(std::string_view key,
                                                        std::string_view download_file_name,
                                                        std::chrono::seconds ttl,
                                                        TimePoint now,
                                                        std::string_view) {
    if (!releases::is_valid_artifact_key(key)) {
        return bad_key(key);
    }
    if (ttl.count() <= 0) {
        return make_error(ErrorCode::InvalidArgument, "link lifetime must be positive");
    }
    const std::int64_t expires = std::min<std::int64_t>(ttl.count(), kMaxPresignSeconds);
    QueryParams query;
    if (!download_file_name.empty()) {
        query.emplace_back("response-content-disposition",
                           releases::attachment_content_disposition(download_file_name));
    }
    std::string url = client_->presign_get(object_name(key), query, expires, now);
    const auto signed_at = std::chrono::floor<std::chrono::seconds>(now);
    return releases::SignedUrl{std::move(url), TimePoint{signed_at + std::chrono::seconds{expires}}};
}

}  // namespace beacon::backends::s3
