#pragma once

// A minimal S3 REST client: one signed HTTP request at a time over libcurl.
// Internal to backends/s3 (S3ArtifactStore is the public face); it knows
// addressing, signing, timeouts, retries and error mapping, and nothing about
// artifacts.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "backends/s3/sigv4.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "releases/sha256_stream.hpp"

namespace beacon::backends::s3 {

// Where the bucket is and how to reach it.
struct S3Endpoint {
    std::string scheme = "https";  // "http" or "https"
    std::string authority;         // "127.0.0.1:9000", "s3.eu-west-1.amazonaws.com"
    std::string bucket;
    bool virtual_host = false;  // bucket.authority/key instead of authority/bucket/key

    // What goes into the Host header and the URL.
    std::string host() const { return virtual_host ? bucket + "." + authority : authority; }
    // Decoded request path of `object` ("" for the bucket itself).
    std::string path_of(std::string_view object) const;
};

struct S3Timeouts {
    std::chrono::milliseconds connect{5000};
    // Whole-request limit for requests whose body is small (HEAD, DELETE,
    // create/complete multipart, bucket calls).
    std::chrono::milliseconds request{30000};
    // Requests that move artifact bytes have no overall limit (a 2 GiB part
    // list on a slow link is legitimate) but fail when fewer than
    // `low_speed_bytes` per second flow for `low_speed_window`.
    long low_speed_bytes = 1024;
    std::chrono::seconds low_speed_window{30};
};

// A request body: nothing, bytes in memory, or a range of an open file
// (read with pread as curl asks for it, so memory stays bounded).
struct S3Body {
    std::string_view memory;
    int fd = -1;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;

    static S3Body none() { return {}; }
    static S3Body bytes(std::string_view data) { return S3Body{data, -1, 0, data.size()}; }
    static S3Body file_range(int fd, std::uint64_t offset, std::uint64_t length) {
        return S3Body{{}, fd, offset, length};
    }
};

struct S3Call {
    std::string method;  // GET, HEAD, PUT, POST, DELETE
    std::string object;  // key inside the bucket, decoded; empty for the bucket
    QueryParams query;
    HeaderList headers;  // signed and sent (content-type, ...)
    S3Body body;
    // Hex SHA-256 of the body, or kUnsignedPayload.
    std::string payload_sha256 = std::string(releases::kEmptySha256Hex);
    bool bulk_transfer = false;  // true: no overall timeout, low-speed limit only
};

struct S3Response {
    long status = 0;
    HeaderList headers;  // names lower-case
    std::string body;    // at most kMaxResponseBody bytes kept

    std::optional<std::string> header(std::string_view lower_name) const;
    // <Code> of an S3 XML error body ("NoSuchKey"), empty when absent.
    std::string error_code() const;
    // <Message> of an S3 XML error body.
    std::string error_message() const;
};

// The value of the first `<tag>...</tag>` in `xml`, XML entities decoded; nullopt when absent.
std::optional<std::string> xml_element(std::string_view xml, std::string_view tag);

class S3Client {
public:
    static constexpr std::size_t kMaxResponseBody = 1 << 20;

    S3Client(
        S3Endpoint endpoint, AwsCredentials credentials, SigV4Scope scope, S3Timeouts timeouts, const Clock& clock);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    // Signs and sends `call`. A transport failure (connect, DNS, timeout,
    // reset) is Unavailable; any HTTP answer is returned as it is, for the
    // caller to judge. Retries (re-signed, body re-read) up to twice, with a
    // short backoff, on 500/502/503/504 answers and on a connection that
    // failed mid-request (a stale kept-alive socket), never on a connect timeout.
    Result<S3Response> send(const S3Call& call);

    // A presigned GET for `object` with extra signed `query` parameters.
    std::string presign_get(std::string_view object,
                            const QueryParams& query,
                            std::int64_t expires_seconds,
                            TimePoint now) const;

    // "S3 PUT bucket/key" for messages.
    std::string describe(std::string_view method, std::string_view object) const;
    // Maps an unexpected answer to an Error: 5xx is Unavailable (a backend in
    // trouble), anything else Internal (credentials, configuration, a bug).
    Error status_error(std::string_view what, const S3Response& response) const;

    const S3Endpoint& endpoint() const { return endpoint_; }

private:
    struct Pool;
    Result<S3Response> send_once(const S3Call& call, bool& retryable);

    S3Endpoint endpoint_;
    AwsCredentials credentials_;
    SigV4Scope scope_;
    S3Timeouts timeouts_;
    const Clock& clock_;
    std::unique_ptr<Pool> pool_;
};

}  // namespace beacon::backends::s3
