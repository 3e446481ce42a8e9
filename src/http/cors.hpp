#pragma once

// Cross-origin requests from browsers (BEACON_CORS_ORIGINS). Off by default:
// no CORS header is ever sent, so no page of another origin can read an
// answer. With origins listed, a request whose Origin is exactly one of them
// gets `Access-Control-Allow-Origin: <that origin>` (never `*`), and a
// preflight from it an answer of its own. No `Access-Control-Allow-Credentials`:
// the API authenticates with bearer tokens, never cookies. Every response
// says `Vary: Origin` while CORS is on, since it depends on the Origin.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "http/request.hpp"

namespace beacon::http {

// "https://console.example.com, http://localhost:5173": each entry a
// serialized origin, scheme (http or https), host and optional port, no
// path, query, trailing slash or wildcard; lower-cased. Empty: CORS off.
// InvalidArgument naming the bad entry.
Result<std::vector<std::string>> parse_cors_origins(std::string_view text);

class CorsPolicy {
public:
    CorsPolicy() = default;
    explicit CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins)) {}

    bool enabled() const { return !origins_.empty(); }

    // The request's Origin when it is one of the listed ones.
    std::optional<std::string> allowed_origin(const RequestHeader& h) const;

    // A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method.
    static bool is_preflight(const RequestHeader& h);

    // The answer to a preflight from the allowed `origin` for a path whose
    // methods are `allow` ("GET, HEAD, POST"): 204 with
    // Access-Control-Allow-Origin, -Methods, -Headers (Authorization,
    // Content-Type, Content-Encoding, If-Match, If-None-Match, X-Request-Id)
    // and -Max-Age (600 s).
    Response preflight(const std::string& origin, std::string_view allow) const;

    // On every response while enabled: Vary: Origin; when the request's
    // Origin is allowed, also Access-Control-Allow-Origin and
    // Access-Control-Expose-Headers (the headers clients read: ETag,
    // Location, Retry-After, X-Request-Id). `h` null: the request could
    // not be parsed.
    void decorate(Response& res, const RequestHeader* h) const;

private:
    std::vector<std::string> origins_;
};

}  // namespace beacon::http
