#include "http/dispatcher.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/parse.hpp>

#include "core/text.hpp"
#include "http/gzip.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;

// Media type without parameters, lower-cased.
std::string media_type(std::string_view ct) {
    return to_lower(trim(ct.substr(0, ct.find(';'))));
}

bool is_json_media(const std::string& mt) {
    return mt == "application/json" || (mt.starts_with("application/") && mt.ends_with("+json"));
}

Response too_large(std::uint64_t limit) {
    return problem_response(bh::status::payload_too_large,
                            limit == 0
                                ? std::string("this endpoint takes no request body")
                                : "the body exceeds this endpoint's limit of " + std::to_string(limit) + " bytes");
}

Response unauthorized(std::string detail, const char* challenge) {
    Response r = problem_response(bh::status::unauthorized, std::move(detail));
    r.set(bh::field::www_authenticate, challenge);
    return r;
}

}  // namespace

Dispatcher::Dispatcher(const Router& router,
                       const auth::TokenVerifier& verifier,
                       asio::thread_pool& blocking,
                       asio::thread_pool& ops,
                       Guards guards)
    : router_(router), verifier_(verifier), blocking_(blocking), ops_(ops), guards_(guards) {}

std::optional<Response> Dispatcher::limit(const Request& req, bool exempt) const {
    if (exempt || guards_.rate_limiter == nullptr) {
        return std::nullopt;
    }
    const std::int64_t retry_after = guards_.rate_limiter->take(limit_key(req.client));
    if (retry_after == 0) {
        return std::nullopt;
    }
    Response r =
        problem_response(bh::status::too_many_requests,
                         "too many requests from this address; retry in " + std::to_string(retry_after) + " s");
    r.set(bh::field::retry_after, std::to_string(retry_after));
    return r;
}

Dispatcher::Admission Dispatcher::admit(Request& req, DeclaredBody declared) const {
    Admission a;
    const auto& h = req.header;
    auto url = boost::urls::parse_origin_form(h.target());
    if (!url) {
        a.answer = problem_response(bh::status::bad_request, "the request target is not a valid path");
        return a;
    }
    auto m = router_.match(h.method_string(), url->encoded_path());
    if (m.route == nullptr) {
        // Unknown paths count too: a scanner's 404s are requests like any other.
        if (auto r = limit(req, false)) {
            a.answer = std::move(r);
            a.rate_limited = true;
            return a;
        }
        if (guards_.cors != nullptr && !m.allow.empty() && CorsPolicy::is_preflight(h)) {
            if (auto origin = guards_.cors->allowed_origin(h)) {
                a.answer = guards_.cors->preflight(*origin, m.allow);
                return a;
            }
        }
        if (m.allow.empty()) {
            a.answer = problem_response(bh::status::not_found, "no such resource: " + std::string(url->path()));
        } else {
            a.answer = problem_response(bh::status::method_not_allowed,
                                        std::string(h.method_string()) + " is not allowed here");
            a.answer->set(bh::field::allow, m.allow);
        }
        return a;
    }
    a.route = m.route;
    req.path = url->encoded_path();
    for (auto p : url->params()) {
        req.query.emplace_back(p.key, p.value);
    }
    for (auto& raw : m.params) {
        auto decoded = boost::urls::make_pct_string_view(raw);
        if (!decoded) {
            a.answer = problem_response(bh::status::bad_request, "bad percent-encoding in the path");
            return a;
        }
        req.params.push_back(decoded->decode());
    }
    // Authentication runs first so that an admin's valid token can exempt the
    // request, but a 429 goes before a 401: a flood of bad tokens is limited.
    auto denied = authenticate(*a.route, req);
    const bool admin_call = a.route->options.access == Access::Admin && !denied;
    if (auto r = limit(req, !a.route->options.rate_limited || admin_call)) {
        a.answer = std::move(r);
        a.rate_limited = true;
        return a;
    }
    if (denied) {
        a.answer = std::move(denied);
        return a;
    }
    if (auto r = check_body(*a.route, req, declared, a)) {
        a.answer = std::move(r);
    }
    return a;
}

std::optional<Response> Dispatcher::authenticate(const Route& route, Request& req) const {
    if (route.options.access == Access::Public) {
        return std::nullopt;
    }
    auto authz = req.header[bh::field::authorization];
    if (!authz.empty()) {
        if (authz.size() < 7 || !iequals(authz.substr(0, 7), "Bearer ")) {
            return unauthorized("Authorization must be a Bearer token", "Bearer");
        }
        auto principal = verifier_.verify(authz.substr(7));
        if (!principal) {
            return unauthorized(principal.error().message, "Bearer error=\"invalid_token\"");
        }
        req.principal = std::move(*principal);
    }
    if (route.options.access == Access::Admin) {
        if (!req.principal) {
            return unauthorized("an admin bearer token is required", "Bearer");
        }
        if (!req.principal->admin) {
            return problem_response(bh::status::forbidden, "the token lacks the admin role");
        }
    }
    return std::nullopt;
}

std::optional<Response> Dispatcher::check_body(const Route& route,
                                               const Request& req,
                                               DeclaredBody declared,
                                               Admission& a) const {
    const auto& options = route.options;
    a.body_limit = options.body == BodyKind::None ? 0 : options.body_limit;
    if (declared.content_length && *declared.content_length > a.body_limit) {
        return too_large(a.body_limit);
    }
    if (options.body == BodyKind::None && declared.chunked) {
        return too_large(0);
    }
    if (options.body != BodyKind::Json && options.body != BodyKind::JsonGzip) {
        return std::nullopt;
    }
    std::string mt = media_type(req.header[bh::field::content_type]);
    if (!is_json_media(mt)) {
        return problem_response(bh::status::unsupported_media_type, "Content-Type must be application/json");
    }
    auto enc = media_type(req.header[bh::field::content_encoding]);
    if (enc == "gzip" && options.body == BodyKind::JsonGzip) {
        a.gzip = true;
    } else if (!enc.empty() && enc != "identity") {
        return problem_response(bh::status::unsupported_media_type,
                                "Content-Encoding '" + enc + "' is not accepted here");
    }
    a.buffered_bytes = declared.content_length ? *declared.content_length : declared.chunked ? a.body_limit : 0;
    if (a.gzip) {
        a.buffered_bytes += a.body_limit;
    }
    return std::nullopt;
}

asio::awaitable<Response> Dispatcher::handle(const Admission& a, Request& req) const {
    if (a.gzip) {
        auto plain = gunzip(req.body, a.body_limit);
        if (!plain) {
            co_return plain.error().code == ErrorCode::InvalidArgument
                ? problem_response(bh::status::bad_request, "the gzip body is corrupt")
                : problem_response(bh::status::payload_too_large,
                                   "the decompressed body exceeds this endpoint's limit of " +
                                       std::to_string(a.body_limit) + " bytes");
        }
        req.body = std::move(*plain);
    }
    // (No `co_await` inside ?: here: g++ 12 destroys such temporaries twice.)
    const Route& route = *a.route;
    switch (route.options.executor) {
        case Executor::Blocking:
            co_return co_await asio::co_spawn(blocking_, route.handler(req), asio::use_awaitable);
        case Executor::Ops:
            co_return co_await asio::co_spawn(ops_, route.handler(req), asio::use_awaitable);
        case Executor::IoThread:
            break;
    }
    co_return co_await route.handler(req);
}

asio::awaitable<Response> Dispatcher::dispatch_for_test(Request& req, std::string body) const {
    DeclaredBody declared{body.empty() ? std::optional<std::uint64_t>() : std::optional<std::uint64_t>(body.size()),
                          false};
    Admission a = admit(req, declared);
    if (a.answer) {
        co_return std::move(*a.answer);
    }
    if (a.route->options.body == BodyKind::Stream) {
        req.read_body_chunk = [body = std::move(body),
                               sent = false](std::string& out) mutable -> asio::awaitable<Result<bool>> {
            out.clear();
            if (sent || body.empty()) {
                co_return false;
            }
            sent = true;
            out = std::move(body);
            co_return true;
        };
    } else {
        req.body = std::move(body);
    }
    co_return co_await handle(a, req);
}

}  // namespace beacon::http
