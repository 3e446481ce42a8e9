#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"
#include "http/metrics.hpp"
#include "http/request.hpp"

namespace beacon::http {

enum class Access {
    Public,        // no token needed; a token, if sent, is ignored
    OptionalUser,  // client routes: a token, if sent, must be valid; its sub is the userId
    Admin,         // a valid token with the admin role
};

enum class BodyKind {
    None,      // no body expected
    Json,      // application/json
    JsonGzip,  // application/json, Content-Encoding gzip allowed (telemetry POSTs)
    Stream,    // any media type; the handler pulls the body in chunks (Request::read_body_chunk)
};

// Where a handler runs.
enum class Executor {
    IoThread,  // on the connection's I/O thread: handlers that never block
    Blocking,  // the blocking pool: handlers that wait on a database or storage
    Ops,       // a pool of its own for downloads and operations (/files, /readyz, /metrics),
               // so a hung database that fills the blocking pool cannot starve them
};

struct RouteOptions {
    Access access = Access::Public;
    BodyKind body = BodyKind::None;
    // Largest body accepted (after decompression; for Stream, the whole body).
    // BodyKind::None takes no body at all: any declared or sent body is a 413.
    std::uint64_t body_limit = 0;
    Executor executor = Executor::IoThread;
    // Counted against the client's rate limit (API.md "Rate limits"); off
    // for /healthz, /readyz and /metrics, which probes and scrapers call.
    bool rate_limited = true;
};

struct Route {
    std::string method;   // "GET"
    std::string pattern;  // "/admin/versions/{id}"
    RouteOptions options;
    Handler handler;
    Metrics::RouteSlot* metrics = nullptr;
    std::vector<std::string> segments;  // pattern split on '/'
};

// Maps (method, path) to a route. Patterns are literal segments and `{name}`
// placeholders matching one non-empty segment, and a last segment `{name*}`
// may match the rest of the path (one or more segments, slashes kept, as one
// parameter; "/console/{rest*}" matches "/console/" and "/console/a/b"); when several routes of a method
// match, the most specific wins (a literal segment beats a placeholder at the
// first position where they differ). HEAD is served by GET routes.
class Router {
public:
    explicit Router(Metrics& metrics) : metrics_(metrics) {}

    void add(std::string method, std::string pattern, RouteOptions options, Handler handler);

    struct Match {
        const Route* route = nullptr;     // null: no route for this method
        std::vector<std::string> params;  // raw (percent-encoded) segments
        std::string allow;                // when route is null but the path exists: "GET, HEAD, POST", each once
    };
    // route null and allow empty means 404.
    Match match(std::string_view method, std::string_view path) const;

private:
    Metrics& metrics_;
    std::vector<Route> routes_;
    // Routes without placeholders by pattern (indexes into routes_): the hot
    // client routes are all literal, and a literal match is always the most
    // specific, so they are found without scanning every route.
    StringMap<std::vector<std::size_t>> literal_;
};

}  // namespace beacon::http
