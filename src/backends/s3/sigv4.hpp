#pragma once

// AWS Signature Version 4 for S3: signed request headers and presigned URLs.
//
// Why hand-written: Debian ships no C/C++ SigV4 signer (the AWS C++ SDK is not
// packaged), and the algorithm is small. It is checked byte for byte against
// the examples AWS publishes for S3 (tests/unit/backends/sigv4_test.cpp).
//
// The algorithm (https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html,
// .../sigv4-query-string-auth.html):
//   1. Canonical request, lines joined by '\n':
//        METHOD
//        canonical URI     the path, each segment URI-encoded once ('/' kept)
//        canonical query   name=value pairs, both URI-encoded ('/' too), sorted
//                          by encoded name then value, joined by '&'
//        canonical headers "name:value\n" for each signed header: name
//                          lower-cased, value trimmed with inner runs of
//                          spaces collapsed, sorted by name
//        signed headers    the names, ';'-joined
//        payload hash      hex SHA-256 of the body, or UNSIGNED-PAYLOAD
//   2. String to sign: "AWS4-HMAC-SHA256\n" + amz date (20130524T000000Z) + "\n"
//      + scope (20130524/us-east-1/s3/aws4_request) + "\n" + hex SHA-256 of (1).
//   3. Signing key: HMAC chain "AWS4"+secret -> date -> region -> service -> "aws4_request".
//   4. Signature: hex HMAC-SHA256(signing key, string to sign).
// Header signing sends it as `Authorization: AWS4-HMAC-SHA256 Credential=...,
// SignedHeaders=...,Signature=...`; presigning puts the credential, date,
// expiry and SignedHeaders=host in the query (payload UNSIGNED-PAYLOAD) and
// appends X-Amz-Signature.
//
// URI encoding follows AWS rather than RFC 3986 libraries: every byte except
// the unreserved A-Z a-z 0-9 - _ . ~ becomes %XX (upper-case hex); S3 paths are
// encoded once, without dot-segment normalization.
//
// Everything here is pure (time is a parameter) and thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/percent_encoding.hpp"

namespace beacon::backends::s3 {

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// The longest expiry AWS accepts for a presigned URL (7 days).
inline constexpr std::int64_t kMaxPresignSeconds = 7 * 24 * 3600;

struct AwsCredentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  // empty unless temporary credentials
};

struct SigV4Scope {
    std::string region;  // "us-east-1"; MinIO accepts any, conventionally us-east-1
    std::string service = "s3";
};

using QueryParams = std::vector<std::pair<std::string, std::string>>;  // decoded name, value
using HeaderList = std::vector<std::pair<std::string, std::string>>;   // name (any case), value

struct SigV4Request {
    std::string method;  // "GET", "PUT", ...
    // The Host header exactly as sent, with ":port" when not the scheme default
    // ("examplebucket.s3.amazonaws.com", "127.0.0.1:9000").
    std::string host;
    // Decoded path starting with '/' ("/bucket/android/x.apk"); encoded here.
    std::string path;
    QueryParams query;
    // Further headers to sign and send (range, content-type, date, ...). Not
    // host, x-amz-date, x-amz-content-sha256 or x-amz-security-token: the
    // signer adds those.
    HeaderList headers;
    // Hex SHA-256 of the body, or kUnsignedPayload.
    std::string payload_sha256 = std::string(kUnsignedPayload);
};

struct SignedRequest {
    // Headers to add to the request, besides those in SigV4Request::headers.
    std::string authorization;
    std::string amz_date;                       // x-amz-date
    std::string content_sha256;                 // x-amz-content-sha256
    std::optional<std::string> security_token;  // x-amz-security-token, with temporary credentials
    // What the request line must use so the server computes the same canonical request.
    std::string encoded_path;
    std::string encoded_query;  // canonical query string, without '?'
    // Intermediate values, for debugging signature mismatches.
    std::string signature;
    std::string canonical_request;
    std::string string_to_sign;
};

// Signs a request for the Authorization header.
SignedRequest sign_request(const SigV4Request& request,
                           const AwsCredentials& credentials,
                           const SigV4Scope& scope,
                           TimePoint now);

struct PresignRequest {
    std::string method = "GET";
    std::string scheme = "https";
    std::string host;  // as for SigV4Request::host
    std::string path;  // decoded, starting with '/'
    // Extra signed query parameters (response-content-disposition, ...).
    QueryParams query;
    // Clamped to [1, kMaxPresignSeconds].
    std::int64_t expires_seconds = 3600;
};

// A presigned URL: scheme://host/path?<canonical query>&X-Amz-Signature=<hex>.
// Only the host header is signed, so any client can follow it.
std::string presign_url(const PresignRequest& request,
                        const AwsCredentials& credentials,
                        const SigV4Scope& scope,
                        TimePoint now);

// Building blocks, exposed for tests and for the S3 client that must send
// exactly what was signed. The URI encoding itself is core's uri_encode
// (core/percent_encoding.hpp), which the local file store's links share.
std::string canonical_uri(std::string_view path);  // uri_encode keeping '/', "/" when empty
std::string canonical_query_string(const QueryParams& query);
std::string format_amz_date(TimePoint t);  // "20130524T000000Z" (UTC, seconds)

}  // namespace beacon::backends::s3
