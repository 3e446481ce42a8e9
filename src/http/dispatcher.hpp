#pragma once

#include <cstdint>
#include <optional>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/thread_pool.hpp>

#include "auth/jwt.hpp"
#include "http/cors.hpp"
#include "http/rate_limit.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace beacon::http {

// What admit() applies besides routing and authentication; each may be
// absent (tests, or the setting off).
struct DispatchGuards {
    // Counts every request by Request::client, except routes with
    // rate_limited off (the probes) and admin routes called with a valid
    // admin token (docs/API.md: the limit is for the public; an
    // unauthenticated flood of /admin/... is still limited).
    RateLimiter* rate_limiter = nullptr;
    // Answers CORS preflights from the allowed origins.
    const CorsPolicy* cors = nullptr;
};

// The half of serving a request that never touches a socket, in the
// contract's order of checks (API.md "Details that settle edge cases"):
// admit() routes (404, 405), applies the client's rate limit (429),
// authenticates (401, 403) and checks the declared body against the route
// (413, 415); once the server has read the body,
// handle() decompresses it (400, 413) and runs the route's handler on its
// executor. The server owns the connection: framing, timeouts, reading and
// writing. Tests drive a Dispatcher with a header and a body
// (dispatch_for_test), with fake ports behind the routes.
//
// Thread-safe (const); the router, verifier and pools outlive it.
class Dispatcher {
public:
    using Guards = DispatchGuards;

    Dispatcher(const Router& router,
               const auth::TokenVerifier& verifier,
               boost::asio::thread_pool& blocking,
               boost::asio::thread_pool& ops,
               Guards guards = {});

    // What admit() decided about a request whose header is complete.
    struct Admission {
        const Route* route = nullptr;    // the matched route; null when answered at routing
        std::optional<Response> answer;  // set: answer this now, without reading the body
        std::uint64_t body_limit = 0;    // bytes the body may have (0: the route takes none)
        bool gzip = false;               // the body must be gunzipped before the handler
        // Bytes of memory the body may take while buffered (JSON routes: the
        // declared length, or the limit for a chunked body, plus the limit
        // again when it is gzip); 0 for streamed bodies.
        std::uint64_t buffered_bytes = 0;
        bool rate_limited = false;  // answer is the 429 of the rate limit
    };

    // The body as declared by the request's framing.
    struct DeclaredBody {
        std::optional<std::uint64_t> content_length;
        bool chunked = false;
    };

    // Routes and authenticates `req` (filling its path, query, params and
    // principal) and checks the declared body.
    Admission admit(Request& req, DeclaredBody declared) const;

    // Runs the handler of an admitted request whose body is in req.body (JSON
    // routes, after gunzip when admission.gzip) or readable through
    // req.read_body_chunk (stream routes).
    boost::asio::awaitable<Response> handle(const Admission& admission, Request& req) const;

    // admit() then handle() with the whole body at hand: a request without a
    // socket, for tests of handlers and of the order of checks.
    boost::asio::awaitable<Response> dispatch_for_test(Request& req, std::string body) const;

private:
    std::optional<Response> authenticate(const Route& route, Request& req) const;
    // The 429 when the client has no token left (and exempt is false).
    std::optional<Response> limit(const Request& req, bool exempt) const;
    std::optional<Response> check_body(const Route& route,
                                       const Request& req,
                                       DeclaredBody declared,
                                       Admission& admission) const;

    const Router& router_;
    const auth::TokenVerifier& verifier_;
    boost::asio::thread_pool& blocking_;
    boost::asio::thread_pool& ops_;
    Guards guards_;
};

}  // namespace beacon::http
