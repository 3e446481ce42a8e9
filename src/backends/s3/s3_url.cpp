#include "backends/s3/s3_url.hpp"

#include <optional>
#include <utility>

#include "core/percent_encoding.hpp"

namespace beacon::backends::s3 {
namespace {

Error malformed() {
    return make_error(ErrorCode::InvalidArgument, "expected " + std::string(kS3UrlShape));
}

bool has_space_or_control(std::string_view s) {
    for (char c : s) {
        if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
            return true;
        }
    }
    return false;
}

bool valid_bucket(std::string_view b) {
    if (b.size() < 3 || b.size() > 63) {
        return false;
    }
    for (char c : b) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
            return false;
        }
    }
    return true;
}

bool is_http_url(std::string_view s) {
    for (std::string_view scheme : {"http://", "https://"}) {
        if (s.starts_with(scheme) && s.size() > scheme.size()) {
            return true;
        }
    }
    return false;
}

}  // namespace

Result<S3Settings> parse_s3_url(std::string_view url) {
    constexpr std::string_view kScheme = "s3://";
    if (!url.starts_with(kScheme)) {
        return malformed();
    }
    std::string_view rest = url.substr(kScheme.size());
    auto q = rest.find('?');
    std::string_view location = rest.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
    auto slash = location.find('/');
    std::string_view bucket = location.substr(0, slash);
    std::string_view prefix = slash == std::string_view::npos ? std::string_view() : location.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') {
        prefix.remove_suffix(1);
    }
    if (!valid_bucket(bucket) || has_space_or_control(prefix)) {
        return malformed();
    }
    S3Settings s3;
    s3.bucket = std::string(bucket);
    s3.prefix = std::string(prefix);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (param.empty()) {
            continue;
        }
        auto eq = param.find('=');
        std::string_view name = param.substr(0, eq);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1));
        if (!value || value->empty() || has_space_or_control(*value)) {
            return malformed();
        }
        if (name == "endpoint") {
            if (!is_http_url(*value)) {
                return malformed();
            }
            while (value->back() == '/') {
                value->pop_back();
            }
            s3.endpoint = std::move(*value);
        } else if (name == "region") {
            s3.region = std::move(*value);
        } else {
            return make_error(ErrorCode::InvalidArgument,
                              "unknown parameter '" + std::string(name) + "' (known: endpoint, region)");
        }
    }
    return s3;
}

}  // namespace beacon::backends::s3
