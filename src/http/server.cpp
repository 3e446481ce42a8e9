#include "http/server.hpp"

#include <list>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/spdlog.h>

#include "http/access_log.hpp"
#include "http/gzip.hpp"
#include "http/problem.hpp"
#include "http/wire.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

bool valid_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (char c : id) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == ':' || c == '-';
        if (!ok) {
            return false;
        }
    }
    return true;
}

std::string new_request_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(20, '0');
    auto a = rng(), b = rng();
    for (int i = 0; i < 16; ++i) {
        id[static_cast<std::size_t>(i)] = kHex[(a >> (i * 4)) & 0xF];
    }
    for (int i = 16; i < 20; ++i) {
        id[static_cast<std::size_t>(i)] = kHex[(b >> ((i - 16) * 4)) & 0xF];
    }
    return id;
}

// Feeds the parser what `buffer` already holds, without reading: a request
// that arrived whole is parsed with no further round through the reactor.
// Stops when the header is complete (`header_only`; the route's body limit
// is set after that) or the message is. need_more is not an error here.
beast::error_code parse_buffered(bh::request_parser<bh::string_body>& parser, beast::flat_buffer& buffer,
                                 bool header_only) {
    beast::error_code ec;
    while (buffer.size() > 0 && !(header_only ? parser.is_header_done() : parser.is_done())) {
        std::size_t n = parser.put(buffer.data(), ec);
        buffer.consume(n);
        if (ec == bh::error::need_more) {
            return {};
        }
        if (ec || n == 0) {
            return ec;
        }
    }
    return ec;
}

// Media type without parameters, lower-cased.
std::string media_type(std::string_view ct) {
    auto semi = ct.find(';');
    std::string_view base = ct.substr(0, semi);
    while (!base.empty() && base.back() == ' ') {
        base.remove_suffix(1);
    }
    std::string out(base);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// The path of a request target for the access log: no query (it may carry
// secrets), at most 256 bytes, and nothing that could break a log line or the
// JSON log format (quotes, backslashes, control bytes become '?').
std::string loggable_path(std::string_view target) {
    std::string out(target.substr(0, std::min(target.find('?'), std::size_t{256})));
    for (auto& c : out) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') {
            c = '?';
        }
    }
    return out;
}

bool is_json_media(const std::string& mt) {
    return mt == "application/json" || (mt.starts_with("application/") && mt.ends_with("+json"));
}

}  // namespace

struct Server::Impl {
    ServerOptions opts;
    const Router& router;
    Metrics& metrics;
    const auth::TokenVerifier& verifier;
    Metrics::RouteSlot* unmatched = nullptr;

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    asio::thread_pool blocking;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::atomic<bool> stopping{false};
    std::atomic<int> live_sessions{0};
    std::size_t next_context = 0;
    std::unique_ptr<AccessLog> access_log;  // null when off

    // Connections, so shutdown can close the idle ones.
    struct Conn {
        std::uint64_t id = 0;
        beast::tcp_stream* stream;
        std::atomic<bool> busy{false};
        bool close_posted = false;  // guarded by conns_mu
        asio::any_io_executor ex;
    };
    std::mutex conns_mu;
    std::list<Conn> conns;
    std::uint64_t next_conn_id = 0;  // guarded by conns_mu

    Impl(ServerOptions o, const Router& r, Metrics& m, const auth::TokenVerifier& v)
        : opts(std::move(o)), router(r), metrics(m), verifier(v),
          blocking(static_cast<std::size_t>(std::max(1, opts.blocking_threads))) {
        unmatched = &metrics.route_slot("unmatched");
        for (int i = 0; i < std::max(1, opts.threads); ++i) {
            contexts.push_back(std::make_unique<asio::io_context>(1));
            guards.push_back(asio::make_work_guard(*contexts.back()));
        }
        if (opts.access_log) {
            access_log = std::make_unique<AccessLog>(
                opts.access_log_json ? AccessLog::Format::Json : AccessLog::Format::Text, contexts.size());
        }
    }

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(tcp::socket socket, std::size_t slot);
    asio::awaitable<void> flush_access_log(std::size_t slot);
    asio::awaitable<Response> serve(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                    bh::request_parser<bh::string_body>& parser, Request& req,
                                    Metrics::RouteSlot*& slot, bool& must_close);
    void close_idle();
};

Server::Server(ServerOptions options, const Router& router, Metrics& metrics, const auth::TokenVerifier& verifier)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, verifier)) {}

Server::~Server() {
    if (impl_) {
        impl_->blocking.join();
    }
}

Result<std::uint16_t> Server::listen() {
    auto& ctx = *impl_->contexts.front();
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(impl_->opts.host, ec);
    if (ec) {
        return make_error(ErrorCode::InvalidArgument, "listen: bad address '" + impl_->opts.host + "'");
    }
    tcp::endpoint ep{addr, impl_->opts.port};
    auto acc = std::make_unique<tcp::acceptor>(ctx);
    acc->open(ep.protocol(), ec);
    if (!ec) {
        acc->set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acc->bind(ep, ec);
    }
    if (!ec) {
        acc->listen(asio::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return make_error(ErrorCode::Unavailable,
                          "listen on " + impl_->opts.host + ":" + std::to_string(impl_->opts.port) + ": " +
                              ec.message());
    }
    auto port = acc->local_endpoint().port();
    impl_->acceptor = std::move(acc);
    return port;
}

void Server::run(bool handle_signals) {
    auto& main_ctx = *impl_->contexts.front();
    asio::co_spawn(main_ctx, impl_->accept_loop(), asio::detached);
    std::unique_ptr<asio::signal_set> signals;
    if (handle_signals) {
        signals = std::make_unique<asio::signal_set>(main_ctx, SIGTERM, SIGINT);
        signals->async_wait([this](const boost::system::error_code& ec, int) {
            if (!ec) {
                spdlog::info("signal received: draining connections");
                shutdown();
            }
        });
    }
    if (impl_->access_log) {
        for (std::size_t i = 0; i < impl_->contexts.size(); ++i) {
            asio::co_spawn(*impl_->contexts[i], impl_->flush_access_log(i), asio::detached);
        }
    }
    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < impl_->contexts.size(); ++i) {
        threads.emplace_back([ctx = impl_->contexts[i].get()] { ctx->run(); });
    }
    // The drain watcher: once stopping, wait for sessions to end (bounded).
    std::thread drain([this] {
        while (!impl_->stopping.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        auto deadline = std::chrono::steady_clock::now() + impl_->opts.drain_timeout;
        while (impl_->live_sessions.load() > 0 && std::chrono::steady_clock::now() < deadline) {
            impl_->close_idle();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        for (auto& g : impl_->guards) {
            g.reset();
        }
        for (auto& c : impl_->contexts) {
            c->stop();
        }
    });
    main_ctx.run();
    for (auto& t : threads) {
        t.join();
    }
    drain.join();
    if (impl_->access_log) {
        impl_->access_log->flush_all();
    }
}

asio::awaitable<void> Server::Impl::flush_access_log(std::size_t slot) {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    while (!stopping.load()) {
        timer.expires_after(std::chrono::seconds(1));
        auto [ec] = co_await timer.async_wait(kTuple);
        if (ec) {
            break;
        }
        access_log->flush(slot);
    }
}

void Server::shutdown() {
    if (impl_->stopping.exchange(true)) {
        return;
    }
    asio::post(*impl_->contexts.front(), [impl = impl_.get()] {
        if (impl->acceptor) {
            boost::system::error_code ec;
            impl->acceptor->close(ec);
        }
    });
}

void Server::Impl::close_idle() {
    std::lock_guard lock(conns_mu);
    for (auto& c : conns) {
        if (c.busy.load() || c.close_posted) {
            continue;
        }
        c.close_posted = true;
        // Decided again on the connection's own thread, where `busy` cannot
        // change under us, and only while the session (and its stream) still
        // exists: it may have ended, or started a request, since we looked.
        asio::post(c.ex, [this, id = c.id] {
            std::lock_guard lock(conns_mu);
            for (auto& live : conns) {
                if (live.id != id) {
                    continue;
                }
                live.close_posted = false;
                if (!live.busy.load()) {
                    boost::system::error_code ec;
                    live.stream->socket().shutdown(tcp::socket::shutdown_both, ec);
                    live.stream->socket().close(ec);
                }
                return;
            }
        });
    }
}

asio::awaitable<void> Server::Impl::accept_loop() {
    while (!stopping.load()) {
        const std::size_t slot = next_context;
        auto& ctx = *contexts[slot];
        next_context = (next_context + 1) % contexts.size();
        auto [ec, socket] = co_await acceptor->async_accept(ctx, kTuple);
        if (ec) {
            if (stopping.load() || ec == asio::error::operation_aborted) {
                break;
            }
            // EMFILE and friends: back off briefly instead of spinning.
            spdlog::warn("accept failed: {}", ec.message());
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(50));
            co_await t.async_wait(kTuple);
            continue;
        }
        boost::system::error_code nd;
        socket.set_option(tcp::no_delay(true), nd);
        live_sessions.fetch_add(1);
        auto ex = socket.get_executor();
        asio::co_spawn(ex, session(std::move(socket), slot), [this](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("session ended by exception: {}", ex.what());
                }
            }
            live_sessions.fetch_sub(1);
        });
    }
}

asio::awaitable<void> Server::Impl::session(tcp::socket socket, std::size_t slot) {
    beast::tcp_stream stream(std::move(socket));
    beast::flat_buffer buffer;
    std::list<Conn>::iterator conn;
    {
        std::lock_guard lock(conns_mu);
        conns.emplace_back();
        conn = std::prev(conns.end());
        conn->id = next_conn_id++;
        conn->stream = &stream;
        conn->ex = stream.get_executor();
    }
    for (;;) {
        if (stopping.load()) {
            break;
        }
        bh::request_parser<bh::string_body> parser;
        parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
        // No limit while reading the header: Beast would refuse a Content-Length
        // above it as a malformed request. serve() sets the route's limit after
        // routing and authentication, before any body byte is read.
        parser.body_limit(boost::none);

        // Idle: wait for the next request's first bytes; then the headers must
        // arrive within header_timeout.
        if (buffer.size() == 0) {
            stream.expires_after(opts.idle_timeout);
            auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), kTuple);
            if (ec) {
                break;
            }
            buffer.commit(n);
        }
        conn->busy.store(true);
        stream.expires_after(opts.header_timeout);
        // Beast applies header_limit to what one parse step sees, and consumes
        // complete fields as they arrive, so headers fed in small pieces could
        // grow without bound. Count every header byte across reads instead.
        boost::system::error_code ec = parse_buffered(parser, buffer, true);
        std::size_t header_bytes = 0;
        while (!ec && !parser.is_header_done()) {
            auto [rec, rn] = co_await bh::async_read_some(stream, buffer, parser, kTuple);
            header_bytes += rn;
            if (rec) {
                ec = rec;
                break;
            }
            if (!parser.is_header_done() && header_bytes + buffer.size() > opts.header_limit) {
                ec = bh::error::header_limit;
                break;
            }
        }
        auto started = std::chrono::steady_clock::now();
        Response res;
        bool must_close = false;
        Metrics::RouteSlot* route_slot = unmatched;
        std::string request_id;
        std::string method = "OTHER";
        std::string target;
        if (ec) {
            if (ec == bh::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
                ec == asio::error::connection_reset || ec == asio::error::operation_aborted) {
                break;
            }
            must_close = true;
            request_id = new_request_id();
            if (ec == bh::error::header_limit) {
                Problem p = make_problem(bh::status::request_header_fields_too_large, "request headers exceed 8 KiB");
                res = Response{p.status, 11};
                res.set(bh::field::content_type, "application/problem+json");
                res.body() = problem_body(p);
                res.prepare_payload();
            } else {
                res = problem_response(bh::status::bad_request, "malformed HTTP request: " + ec.message());
            }
        } else {
            auto& h = parser.get();
            method = std::string(h.method_string());
            target = std::string(h.target());
            auto rid = h["X-Request-Id"];
            request_id = valid_request_id(rid) ? std::string(rid) : new_request_id();
            Request req{h.base(), {}, {}, {}, {}, std::nullopt, request_id};
            try {
                res = co_await serve(stream, buffer, parser, req, route_slot, must_close);
            } catch (const std::exception& e) {
                spdlog::error("request {} {} {} failed: {}", request_id, method, loggable_path(target), e.what());
                res = problem_response(bh::status::internal_server_error,
                                       "an unexpected error occurred; it has been logged");
            }
            if (!parser.keep_alive()) {
                must_close = true;
            }
            if (h.method() == bh::verb::head) {
                // HEAD: the GET response's headers, no body.
                auto len = TextOrFileBody::size(res.body());
                res.body().clear();
                res.body().file.reset();
                res.content_length(len);
            }
        }
        if (stopping.load()) {
            must_close = true;
        }
        res.set("X-Request-Id", request_id);
        res.keep_alive(!must_close);
        int status = res.result_int();
        stream.expires_after(opts.write_timeout);
        if (!res.body().file) {
            std::string wire = serialize_text_response(res, false);
            auto [wec, wn] = co_await asio::async_write(stream, asio::buffer(wire), kTuple);
            ec = wec;
        } else {
            bh::serializer<false, TextOrFileBody> sr{res};
            auto [wec, wn] = co_await bh::async_write(stream, sr, kTuple);
            ec = wec;
        }
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        metrics.observe(*route_slot, Metrics::method_index(method), status, took.count());
        if (access_log) {
            access_log->record(slot, method, loggable_path(target), status, took, request_id);
        }
        conn->busy.store(false);
        if (ec || must_close) {
            break;
        }
    }
    boost::system::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
    std::lock_guard lock(conns_mu);
    conns.erase(conn);
}

asio::awaitable<Response> Server::Impl::serve(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                              bh::request_parser<bh::string_body>& parser, Request& req,
                                              Metrics::RouteSlot*& slot, bool& must_close) {
    auto& h = parser.get();
    bool has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
    // Whenever we answer without reading a body, the connection can't be reused.
    auto early = [&](Response r) {
        if (has_body) {
            must_close = true;
        }
        return r;
    };

    auto url = boost::urls::parse_origin_form(h.target());
    if (!url) {
        co_return early(problem_response(bh::status::bad_request, "the request target is not a valid path"));
    }
    std::string path = url->path();  // decoded
    auto m = router.match(h.method_string(), url->encoded_path());
    if (m.route == nullptr) {
        if (m.allow.empty()) {
            co_return early(problem_response(bh::status::not_found, "no such resource: " + path));
        }
        Response r = problem_response(bh::status::method_not_allowed,
                                      std::string(h.method_string()) + " is not allowed here");
        r.set(bh::field::allow, m.allow);
        co_return early(std::move(r));
    }
    const Route& route = *m.route;
    slot = route.metrics;
    req.path = url->encoded_path();
    for (auto p : url->params()) {
        req.query.emplace_back(p.key, p.value);
    }
    for (auto& raw : m.params) {
        auto decoded = boost::urls::make_pct_string_view(raw);
        if (!decoded) {
            co_return early(problem_response(bh::status::bad_request, "bad percent-encoding in the path"));
        }
        req.params.push_back(decoded->decode());
    }

    // Authentication.
    auto authz = h[bh::field::authorization];
    if (route.options.access != Access::Public) {
        if (!authz.empty()) {
            if (authz.size() < 7 || !beast::iequals(authz.substr(0, 7), "Bearer ")) {
                Response r = problem_response(bh::status::unauthorized, "Authorization must be a Bearer token");
                r.set(bh::field::www_authenticate, "Bearer");
                co_return early(std::move(r));
            }
            auto principal = verifier.verify(authz.substr(7));
            if (!principal) {
                Response r = problem_response(bh::status::unauthorized, "invalid token: " + principal.error().message);
                r.set(bh::field::www_authenticate, "Bearer error=\"invalid_token\"");
                co_return early(std::move(r));
            }
            req.principal = std::move(*principal);
        }
        if (route.options.access == Access::Admin) {
            if (!req.principal) {
                Response r = problem_response(bh::status::unauthorized, "an admin bearer token is required");
                r.set(bh::field::www_authenticate, "Bearer");
                co_return early(std::move(r));
            }
            if (!req.principal->admin) {
                co_return early(problem_response(bh::status::forbidden, "the token lacks the admin role"));
            }
        }
    }

    // Size and media type.
    bool gzip = false;
    if (route.options.body == BodyKind::Stream) {
        if (parser.content_length() && *parser.content_length() > route.options.body_limit) {
            co_return early(problem_response(bh::status::payload_too_large,
                                             "the body exceeds this endpoint's limit of " +
                                                 std::to_string(route.options.body_limit) + " bytes"));
        }
        parser.body_limit(route.options.body_limit);
        if (has_body && beast::iequals(h[bh::field::expect], "100-continue")) {
            bh::response<bh::empty_body> cont{bh::status::continue_, 11};
            stream.expires_after(opts.write_timeout);
            auto [cec, cn] = co_await bh::async_write(stream, cont, kTuple);
            if (cec) {
                must_close = true;
                co_return problem_response(bh::status::bad_request, "connection failed");
            }
        }
        // The handler pulls the body; each read may idle at most body_timeout.
        req.read_body_chunk = [&stream, &buffer, &parser, this](std::string& out) -> asio::awaitable<Result<bool>> {
            out.clear();
            while (!parser.is_done()) {
                stream.expires_after(opts.body_timeout);
                auto [ec, n] = co_await bh::async_read_some(stream, buffer, parser, kTuple);
                if (ec == bh::error::body_limit) {
                    co_return make_error(ErrorCode::PayloadTooLarge, "the body exceeds this endpoint's limit");
                }
                if (ec && ec != bh::error::need_buffer) {
                    co_return make_error(ErrorCode::InvalidArgument, "the body could not be read: " + ec.message());
                }
                out.swap(parser.get().body());
                parser.get().body().clear();
                if (!out.empty()) {
                    co_return true;
                }
            }
            co_return false;
        };
        // (No `co_await` inside ?: here: g++ 12 destroys such temporaries twice.)
        Response res;
        if (route.options.blocking) {
            res = co_await asio::co_spawn(blocking, route.handler(req), use_awaitable);
        } else {
            res = co_await route.handler(req);
        }
        if (!parser.is_done()) {
            must_close = true;  // the handler answered before the body ended
        }
        co_return res;
    }
    if (route.options.body != BodyKind::None) {
        std::size_t limit = route.options.body_limit;
        if (parser.content_length() && *parser.content_length() > limit) {
            co_return early(problem_response(bh::status::payload_too_large,
                                             "the body exceeds this endpoint's limit of " + std::to_string(limit) +
                                                 " bytes"));
        }
        std::string mt = media_type(h[bh::field::content_type]);
        if (!is_json_media(mt)) {
            co_return early(problem_response(bh::status::unsupported_media_type,
                                             "Content-Type must be application/json"));
        }
        auto enc = media_type(h[bh::field::content_encoding]);
        if (enc == "gzip" && route.options.body == BodyKind::JsonGzip) {
            gzip = true;
        } else if (!enc.empty() && enc != "identity") {
            co_return early(problem_response(bh::status::unsupported_media_type,
                                             "Content-Encoding '" + enc + "' is not accepted here"));
        }
        parser.body_limit(limit);
    } else {
        parser.body_limit(64 * 1024);  // bodies on body-less routes are read and ignored
    }

    if (has_body) {
        if (beast::iequals(h[bh::field::expect], "100-continue")) {
            bh::response<bh::empty_body> cont{bh::status::continue_, 11};
            stream.expires_after(opts.write_timeout);
            auto [cec, cn] = co_await bh::async_write(stream, cont, kTuple);
            if (cec) {
                must_close = true;
                co_return problem_response(bh::status::bad_request, "connection failed");
            }
        }
        beast::error_code ec = parse_buffered(parser, buffer, false);
        if (!ec && !parser.is_done()) {
            stream.expires_after(opts.body_timeout);
            auto [rec, n] = co_await bh::async_read(stream, buffer, parser, kTuple);
            ec = rec;
        }
        if (ec == bh::error::body_limit) {
            must_close = true;
            co_return problem_response(bh::status::payload_too_large,
                                       "the body exceeds this endpoint's limit of " +
                                           std::to_string(route.options.body_limit) + " bytes");
        }
        if (ec) {
            must_close = true;
            co_return problem_response(bh::status::bad_request, "the body could not be read: " + ec.message());
        }
    }
    req.body = std::move(parser.get().body());
    if (gzip) {
        auto plain = gunzip(req.body, route.options.body_limit);
        if (!plain) {
            co_return plain.error().code == ErrorCode::InvalidArgument
                ? problem_response(bh::status::bad_request, "the gzip body is corrupt")
                : problem_response(bh::status::payload_too_large,
                                   "the decompressed body exceeds this endpoint's limit of " +
                                       std::to_string(route.options.body_limit) + " bytes");
        }
        req.body = std::move(*plain);
    }

    if (route.options.blocking) {
        co_return co_await asio::co_spawn(blocking, route.handler(req), use_awaitable);
    }
    co_return co_await route.handler(req);
}

}  // namespace beacon::http
