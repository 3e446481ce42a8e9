#include "http/cors.hpp"

#include <boost/url/parse.hpp>

#include "core/text.hpp"

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

Error bad_origin(std::string_view entry, std::string_view why) {
    return make_error(
        ErrorCode::InvalidArgument,
        "'" + std::string(entry) + "' is not an origin such as https://console.example.com: " + std::string(why));
}

}  // namespace

Result<std::vector<std::string>> parse_cors_origins(std::string_view text) {
    std::vector<std::string> out;
    if (trim(text).empty()) {
        return out;
    }
    while (true) {
        auto comma = text.find(',');
        std::string_view entry = trim(text.substr(0, comma));
        if (entry.empty()) {
            return make_error(ErrorCode::InvalidArgument, "an empty entry in the list of origins");
        }
        if (entry.find('*') != std::string_view::npos) {
            return bad_origin(entry, "wildcards are not allowed; list each origin");
        }
        auto url = boost::urls::parse_absolute_uri(entry);
        if (!url) {
            return bad_origin(entry, "not a URL");
        }
        const std::string scheme = to_lower(url->scheme());
        if (scheme != "http" && scheme != "https") {
            return bad_origin(entry, "the scheme must be http or https");
        }
        if (!url->has_authority() || url->host().empty() || url->has_userinfo()) {
            return bad_origin(entry, "a host is needed, without user information");
        }
        if (!url->encoded_path().empty() || url->has_query() || url->has_fragment()) {
            return bad_origin(entry, "an origin has no path (not even a trailing '/'), query or fragment");
        }
        if (url->has_port() && url->port().empty()) {
            return bad_origin(entry, "an empty port");
        }
        out.push_back(to_lower(entry));
        if (comma == std::string_view::npos) {
            break;
        }
        text = text.substr(comma + 1);
    }
    return out;
}

std::optional<std::string> CorsPolicy::allowed_origin(const RequestHeader& h) const {
    if (origins_.empty()) {
        return std::nullopt;
    }
    auto it = h.find(bh::field::origin);
    if (it == h.end()) {
        return std::nullopt;
    }
    std::string_view origin = it->value();
    for (const auto& o : origins_) {
        if (o == origin) {
            return o;
        }
    }
    return std::nullopt;
}

bool CorsPolicy::is_preflight(const RequestHeader& h) {
    return h.method() == bh::verb::options && h.find(bh::field::origin) != h.end() &&
           h.find(bh::field::access_control_request_method) != h.end();
}

Response CorsPolicy::preflight(const std::string& origin, std::string_view allow) const {
    Response res = empty_response(bh::status::no_content);
    res.set(bh::field::access_control_allow_origin, origin);
    res.set(bh::field::access_control_allow_methods, allow);
    res.set(bh::field::access_control_allow_headers,
            "Authorization, Content-Type, Content-Encoding, If-Match, If-None-Match, X-Request-Id");
    res.set(bh::field::access_control_max_age, "600");
    return res;
}

void CorsPolicy::decorate(Response& res, const RequestHeader* h) const {
    if (origins_.empty()) {
        return;
    }
    auto vary = res.find(bh::field::vary);
    if (vary == res.end()) {
        res.set(bh::field::vary, "Origin");
    } else if (vary->value().find("Origin") == std::string_view::npos) {
        res.set(bh::field::vary, std::string(vary->value()) + ", Origin");
    }
    if (h == nullptr) {
        return;
    }
    if (auto origin = allowed_origin(*h)) {
        res.set(bh::field::access_control_allow_origin, *origin);
        if (res.find(bh::field::access_control_allow_methods) == res.end()) {
            res.set(bh::field::access_control_expose_headers, "ETag, Location, Retry-After, X-Request-Id");
        }
    }
}

}  // namespace beacon::http
