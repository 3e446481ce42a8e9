#pragma once

// Artifacts in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, R2), over
// libcurl, signed with backends/s3/sigv4 (AWS Signature Version 4).
//
// Object names: "<prefix>/<key>" (just "<key>" without a prefix), where key
// passed releases::is_valid_artifact_key().
//
// Addressing: path style (scheme://endpoint/bucket/object) for a custom
// endpoint such as MinIO or a test server; virtual-hosted style
// (scheme://bucket.s3.<region>.amazonaws.com/object) by default on AWS
// itself, when the bucket name has no dots (a dotted name would not match the
// TLS wildcard certificate). Either can be forced with
// S3StoreSettings::virtual_host.
//
// Uploads (put_file):
//   - HEAD first: the key is a content address, so a present object is the
//     same bytes and nothing is sent.
//   - Up to `multipart_threshold` bytes: one PUT. The payload hash is the real
//     SHA-256 of the file (one extra read of at most 16 MiB, from the page
//     cache), so the server verifies the bytes it stored.
//   - Above it: multipart upload. POST ?uploads (CreateMultipartUpload), then
//     PUT ?partNumber=N&uploadId=ID per part of `part_size` bytes (grown when
//     needed so there are at most 10,000 parts), streamed from the file with
//     pread (memory stays at curl's buffer, whatever the file size), then POST
//     ?uploadId=ID with the part list (CompleteMultipartUpload; a 200 whose
//     body is an <Error> is a failure, as S3 documents). Any failure after the
//     create sends DELETE ?uploadId=ID (AbortMultipartUpload) so no orphan
//     parts are billed. Part payloads are hashed (one extra read per part)
//     when the endpoint is plain http; over https they are UNSIGNED-PAYLOAD,
//     which TLS makes safe and AWS accepts.
//   - Content-Type is sent with the PUT / CreateMultipartUpload and signed.
//
// Reads, deletes: HEAD (200 present, 404 absent), DELETE (204, and 404 is
// fine). The bucket is created at open() when HEAD says it is missing
// (PUT bucket, with a LocationConstraint outside us-east-1; 409
// BucketAlreadyOwnedByYou counts as success).
//
// Download links are presigned GETs (query-string SigV4, only `host` signed,
// at most 7 days) with response-content-disposition so browsers save the
// artifact under its original file name.
//
// Failure model: every curl call has a 5 s connect timeout and either an
// overall timeout (small requests) or a low-speed limit (byte transfers), so a
// dead or stalled S3 fails a request instead of hanging it. Network errors,
// timeouts and 5xx answers are ErrorCode::Unavailable; other unexpected
// answers (403 from bad credentials, 400) are Internal with S3's error code in
// the message. 5xx answers and connections dropped mid-request are retried
// twice with backoff (100 ms, 400 ms).
//
// Time: requests are signed with the injected Clock, which must stay within
// 15 minutes of the server's (S3's skew limit).
//
// Thread-safe: each call uses its own curl easy handle from a small pool.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backends/s3/sigv4.hpp"
#include "core/clock.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "releases/artifact_store.hpp"

namespace beacon::backends::s3 {

class S3Client;

struct S3StoreSettings {
    // "http(s)://host[:port]" with no path; empty means AWS,
    // https://s3.<region>.amazonaws.com.
    std::string endpoint;
    std::string bucket;
    // Object-name prefix inside the bucket, without leading or trailing '/'; may be empty.
    std::string prefix;
    std::string region = "us-east-1";
    AwsCredentials credentials;
    // nullopt: virtual-hosted on AWS (dot-free bucket names), path style elsewhere.
    std::optional<bool> virtual_host;
    // Files larger than this use multipart upload.
    std::uint64_t multipart_threshold = std::uint64_t{16} << 20;
    // Part size for multipart uploads; at least 5 MiB (S3's minimum).
    std::uint64_t part_size = std::uint64_t{16} << 20;
    std::chrono::milliseconds connect_timeout{5000};
    // Overall limit of requests that do not carry artifact bytes.
    std::chrono::milliseconds request_timeout{30000};
    // Transfers slower than this many bytes per second for `low_speed_window` fail.
    long low_speed_bytes = 1024;
    std::chrono::seconds low_speed_window{30};
    // Create the bucket in open() when it does not exist.
    bool create_bucket = true;
};

class S3ArtifactStore final : public releases::ArtifactStore, public HealthProbe {
public:
    // Validates the settings (InvalidArgument naming the field), then makes
    // sure the bucket exists (creating it when allowed). Unavailable when S3
    // does not answer. `clock` signs requests and must outlive the store.
    static Result<std::unique_ptr<S3ArtifactStore>> open(S3StoreSettings settings, const Clock& clock);

    // Like open() without any request: for settings that must be checked
    // before S3 is reachable, and for tests of URL building.
    static Result<std::unique_ptr<S3ArtifactStore>> create_without_bucket_check(S3StoreSettings settings,
                                                                                const Clock& clock);

    ~S3ArtifactStore() override;

    Result<void> put_file(std::string_view key,
                          const std::filesystem::path& file,
                          std::string_view content_type) override;
    Result<bool> exists(std::string_view key) override;
    Result<void> remove(std::string_view key) override;
    // `public_base_url` is ignored: the link points at the bucket.
    Result<releases::SignedUrl> signed_url(std::string_view key,
                                           std::string_view download_file_name,
                                           std::chrono::seconds ttl,
                                           TimePoint now,
                                           std::string_view public_base_url) override;

    // HEAD on the bucket.
    Result<void> ping() override;

    // HEAD bucket; PUT bucket when it is missing and settings allow.
    Result<void> ensure_bucket();

    // The object name of `key` inside the bucket ("<prefix>/<key>").
    std::string object_name(std::string_view key) const;

private:
    S3ArtifactStore(S3StoreSettings settings, std::unique_ptr<S3Client> client);

    Result<void> put_single(const std::string& object, int fd, std::uint64_t size, std::string_view content_type);
    Result<void> put_multipart(const std::string& object, int fd, std::uint64_t size, std::string_view content_type);

    S3StoreSettings settings_;
    std::unique_ptr<S3Client> client_;
};

}  // namespace beacon::backends::s3
