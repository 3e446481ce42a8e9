#pragma once

// The storage URL that selects S3: `s3://bucket[/prefix]?endpoint=...&region=...`.
// Beside the adapter it configures, as backends/redis/redis_connection.hpp
// holds parse_redis_url; app/config.cpp calls it for BEACON_STORAGE_URL.

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace beacon::backends::s3 {

// Where artifacts go and the keys to reach them. parse_s3_url() fills the
// location; the keys come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY in
// the environment (secrets never come from a URL, a file or a flag).
struct S3Settings {
    std::string bucket;
    std::string prefix;    // key prefix inside the bucket, no leading or trailing '/'; may be empty
    std::string endpoint;  // "http(s)://host[:port]"; empty means AWS (https://s3.<region>.amazonaws.com)
    std::string region = "us-east-1";
    std::string access_key_id;
    std::string secret_access_key;
};

// The shape parse_s3_url() accepts, in words, for messages.
inline constexpr std::string_view kS3UrlShape =
    "s3://bucket[/prefix]?endpoint=http(s)://host:port&region=name, bucket of 3 to 63 characters a-z 0-9 . -";

// Parses `s3://bucket[/prefix]?endpoint=http(s)://host[:port]&region=name`:
// the bucket is 3 to 63 characters of a-z 0-9 . -; trailing '/' are dropped
// from the prefix and the endpoint; parameter values are percent-decoded and
// may hold no space or control character; empty parameters ("&&") are
// skipped; both parameters are optional. The keys are left empty.
// Errors: InvalidArgument, never quoting the URL (the caller knows where it
// came from and how to show it): the message is exactly
// "expected " + kS3UrlShape for a URL of another shape, or
// "unknown parameter '<name>' (known: endpoint, region)".
Result<S3Settings> parse_s3_url(std::string_view url);

}  // namespace beacon::backends::s3
