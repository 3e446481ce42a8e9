#include "http/server.hpp"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <list>
#include <mutex>
#include <random>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/text.hpp"
#include "http/access_log.hpp"
#include "http/connection_deadline.hpp"
#include "http/connections_per_address.hpp"
#include "http/cors.hpp"
#include "http/dispatcher.hpp"
#include "http/problem.hpp"
#include "http/request_body.hpp"
#include "http/security_headers.hpp"
#include "http/wire.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bh = beast::http;
using tcp = asio::ip::tcp;
using asio::use_awaitable;
using Parser = bh::request_parser<RequestBody>;
constexpr auto kTuple = asio::as_tuple(use_awaitable);

// A client connection: its socket and the one deadline its reads and writes
// share (http/connection_deadline: one timer per connection).
struct Client {
    explicit Client(tcp::socket s) : socket(std::move(s)), deadline(socket) {}
    tcp::socket socket;
    ConnectionDeadline deadline;

    // Called as each read or write ends: its deadline no longer applies, and
    // its error is returned, a passed deadline reported as Beast's timeout.
    [[nodiscard]] beast::error_code settle(beast::error_code ec) {
        deadline.disarm();
        if (ec == asio::error::operation_aborted && deadline.expired()) {
            return beast::error::timeout;
        }
        return ec;
    }
};

bool valid_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) {
        return false;
    }
    for (char c : id) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                  c == ':' || c == '-';
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

// Feeds the parser the body bytes `buffer` already holds, without reading
// (a body that arrived with its header is parsed with no further round
// through the reactor). need_more is not an error here.
beast::error_code parse_buffered(Parser& parser, beast::flat_buffer& buffer) {
    beast::error_code ec;
    while (buffer.size() > 0 && !parser.is_done()) {
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

// RFC 9112 §6: the framing of a request body. Beast frames by the last
// Transfer-Encoding field and ignores codings it does not know, so a body
// could be framed differently by a proxy in front of us (request smuggling).
// Refused: Transfer-Encoding together with Content-Length; a coding list
// whose final coding is not `chunked`, or that names `chunked` twice; and
// several Content-Length values that differ. Returns the problem's detail, or
// empty when the framing is sound. Codings other than chunked are 501.
struct FramingFault {
    bh::status status;
    std::string detail;
};
std::optional<FramingFault> framing_fault(const RequestHeader& h) {
    std::vector<std::string> codings;
    for (auto it = h.find(bh::field::transfer_encoding); it != h.end() && it->name() == bh::field::transfer_encoding;
         ++it) {
        std::string_view v = it->value();
        while (!v.empty()) {
            auto comma = v.find(',');
            std::string_view item = trim(v.substr(0, comma));
            item = trim(item.substr(0, item.find(';')));  // transfer parameters
            if (!item.empty()) {
                codings.push_back(to_lower(item));
            }
            v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
        }
    }
    bool has_te = h.find(bh::field::transfer_encoding) != h.end();
    if (has_te) {
        if (h.find(bh::field::content_length) != h.end()) {
            return FramingFault{bh::status::bad_request,
                                "a request must not carry both Transfer-Encoding and Content-Length"};
        }
        if (codings.empty() || codings.back() != "chunked") {
            return FramingFault{bh::status::bad_request, "the final transfer coding must be chunked"};
        }
        if (std::count(codings.begin(), codings.end(), "chunked") > 1) {
            return FramingFault{bh::status::bad_request, "chunked may be applied only once"};
        }
        if (codings.size() > 1) {
            return FramingFault{bh::status::not_implemented,
                                "the transfer coding '" + codings.front() + "' is not supported"};
        }
    }
    std::optional<std::string_view> length;
    for (auto it = h.find(bh::field::content_length); it != h.end() && it->name() == bh::field::content_length; ++it) {
        if (length && trim(*length) != trim(it->value())) {
            return FramingFault{bh::status::bad_request, "the request carries different Content-Length values"};
        }
        length = it->value();
    }
    return std::nullopt;
}

// Bytes of request bodies held in memory, across connections.
class BodyBudget {
public:
    explicit BodyBudget(std::uint64_t limit) : limit_(limit) {}
    bool try_take(std::uint64_t n) {
        std::uint64_t used = used_.load(std::memory_order_relaxed);
        do {
            if (n > limit_ || used > limit_ - n) {
                return false;
            }
        } while (!used_.compare_exchange_weak(used, used + n, std::memory_order_relaxed));
        return true;
    }
    void give_back(std::uint64_t n) { used_.fetch_sub(n, std::memory_order_relaxed); }

private:
    std::uint64_t limit_;
    std::atomic<std::uint64_t> used_{0};
};

// Holds `n` bytes of the budget until destroyed.
class BodyReservation {
public:
    BodyReservation() = default;
    BodyReservation(const BodyReservation&) = delete;
    BodyReservation& operator=(const BodyReservation&) = delete;
    ~BodyReservation() {
        if (budget_ != nullptr) {
            budget_->give_back(n_);
        }
    }
    bool take(BodyBudget& budget, std::uint64_t n) {
        if (!budget.try_take(n)) {
            return false;
        }
        budget_ = &budget;
        n_ = n;
        return true;
    }

private:
    BodyBudget* budget_ = nullptr;
    std::uint64_t n_ = 0;
};

// Logs a repeated failure at most once per `every`, with how many were not logged.
class ThrottledLog {
public:
    explicit ThrottledLog(std::chrono::seconds every) : every_(every) {}
    void warn(const std::string& message) {
        auto now = std::chrono::steady_clock::now();
        std::lock_guard lock(mu_);
        if (now - last_ < every_) {
            ++suppressed_;
            return;
        }
        if (suppressed_ > 0) {
            spdlog::warn("{} ({} more since the last report)", message, suppressed_);
        } else {
            spdlog::warn("{}", message);
        }
        last_ = now;
        suppressed_ = 0;
    }

private:
    std::chrono::seconds every_;
    std::mutex mu_;
    std::chrono::steady_clock::time_point last_{};
    std::uint64_t suppressed_ = 0;
};

IpAddress to_ip_address(const asio::ip::address& a) {
    IpAddress out;
    if (a.is_v4()) {
        auto v4 = asio::ip::make_address_v6(asio::ip::v4_mapped, a.to_v4()).to_bytes();
        std::copy(v4.begin(), v4.end(), out.bytes.begin());
    } else {
        auto v6 = a.to_v6().to_bytes();
        std::copy(v6.begin(), v6.end(), out.bytes.begin());
    }
    return out;
}

}  // namespace

std::size_t default_connections_per_ip(std::size_t max_connections) {
    return std::max<std::size_t>(1, max_connections / 4);
}

std::size_t connections_for_fd_limit(std::uint64_t fd_limit) {
    constexpr std::uint64_t kReserved = 64;
    constexpr std::uint64_t kFloor = 16;
    constexpr std::uint64_t kCeiling = 1'000'000;
    std::uint64_t n = fd_limit > kReserved ? (fd_limit - kReserved) / 2 : 0;
    return static_cast<std::size_t>(std::clamp(n, kFloor, kCeiling));
}

std::size_t effective_max_connections(const ServerOptions& options) {
    if (options.max_connections > 0) {
        return options.max_connections;
    }
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) {
        return connections_for_fd_limit(1u << 20);
    }
    return connections_for_fd_limit(rl.rlim_cur);
}

std::uint64_t raise_fd_limit() {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        return 0;
    }
    if (rl.rlim_cur < rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
            rl = raised;
        }
    }
    return rl.rlim_cur == RLIM_INFINITY ? std::uint64_t{1} << 20 : rl.rlim_cur;
}

struct Server::Impl {
    ServerOptions opts;
    const Router& router;
    Metrics& metrics;
    const auth::TokenVerifier& verifier;
    Metrics::RouteSlot* unmatched = nullptr;
    const std::size_t max_connections;
    const std::size_t max_connections_per_ip;
    SystemClock system_clock;
    TrustedProxies trusted;
    CorsPolicy cors;
    // Null when the rate limit is off; shared with the /metrics gauge.
    std::shared_ptr<RateLimiter> limiter;
    ConnectionsPerAddress per_ip;

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
    asio::thread_pool blocking;
    asio::thread_pool ops;
    Dispatcher dispatcher;
    std::unique_ptr<tcp::acceptor> acceptor;
    std::unique_ptr<asio::signal_set> signals;  // with handle_signals, from listen() on
    std::atomic<bool> stopping{false};
    // Open connections; shared with the /metrics gauge, which may outlive the server.
    std::shared_ptr<std::atomic<int>> live_sessions = std::make_shared<std::atomic<int>>(0);
    std::size_t next_context = 0;
    std::unique_ptr<AccessLog> access_log;  // null when off
    BodyBudget body_budget;
    ThrottledLog accept_log{std::chrono::seconds(10)};
    // A descriptor held in reserve: when accept fails for lack of descriptors
    // the pending connection stays queued and the acceptor is ready again at
    // once, so accept would spin. Closing the spare lets us take the
    // connection and close it, then the spare is opened again.
    int spare_fd = -1;

    // Connections, so shutdown can close the idle ones.
    struct Conn {
        std::uint64_t id = 0;
        tcp::socket* socket;
        std::atomic<bool> busy{false};
        bool close_posted = false;  // guarded by conns_mu
        asio::any_io_executor ex;
    };
    std::mutex conns_mu;
    std::list<Conn> conns;
    std::uint64_t next_conn_id = 0;  // guarded by conns_mu

    // One request on a connection, from its parsed header to its response.
    struct Exchange {
        Parser& parser;
        Request& req;
        Metrics::RouteSlot* slot;
        bool has_body = false;
        bool must_close = false;
        std::uint64_t body_limit = 0;
        BodyReservation reservation;
    };

    Impl(ServerOptions o, const Router& r, Metrics& m, const auth::TokenVerifier& v)
        : opts(std::move(o)),
          router(r),
          metrics(m),
          verifier(v),
          max_connections(effective_max_connections(opts)),
          max_connections_per_ip(opts.max_connections_per_ip > 0 ? opts.max_connections_per_ip
                                                                 : default_connections_per_ip(max_connections)),
          trusted(opts.trusted_proxies),
          cors(opts.cors_origins),
          limiter(opts.rate_limit.enabled()
                      ? std::make_shared<RateLimiter>(opts.rate_limit,
                                                      opts.clock != nullptr ? *opts.clock : system_clock,
                                                      opts.rate_limit_buckets)
                      : nullptr),
          per_ip(max_connections_per_ip),
          blocking(static_cast<std::size_t>(std::max(1, opts.blocking_threads))),
          ops(static_cast<std::size_t>(std::max(1, opts.ops_threads))),
          dispatcher(r, v, blocking, ops, Dispatcher::Guards{.rate_limiter = limiter.get(), .cors = &cors}),
          body_budget(opts.body_memory_limit) {
        unmatched = &metrics.route_slot("unmatched");
        for (int i = 0; i < std::max(1, opts.threads); ++i) {
            contexts.push_back(std::make_unique<asio::io_context>(1));
            guards.push_back(asio::make_work_guard(*contexts.back()));
        }
        if (opts.access_log) {
            access_log = std::make_unique<AccessLog>(
                opts.access_log_json ? AccessLog::Format::Json : AccessLog::Format::Text, contexts.size());
        }
        metrics.describe("beacon_http_connections_refused_total",
                         "counter",
                         "Connections closed at once, by reason (limit: the connection cap; per_ip: the "
                         "per-address cap; descriptors: the process was out of file descriptors).");
        metrics.describe("beacon_http_rate_limited_total",
                         "counter",
                         "Requests answered 429 rate-limited (the client's token bucket was empty).");
        metrics.add("beacon_http_rate_limited_total", "", 0);
        if (limiter) {
            metrics.gauge("beacon_http_rate_limit_buckets",
                          "Clients with a rate-limit bucket in memory.",
                          [l = limiter] { return static_cast<double>(l->bucket_count()); });
        }
        metrics.gauge("beacon_http_open_connections", "Open client connections.", [open = live_sessions] {
            return static_cast<double>(open->load());
        });
        spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    ~Impl() {
        if (spare_fd >= 0) {
            ::close(spare_fd);
        }
    }

    asio::awaitable<void> accept_loop();
    void shed_one_connection();
    asio::awaitable<void> session(tcp::socket socket, std::size_t slot, IpAddress peer);
    asio::awaitable<beast::error_code> read_header(Client& client, beast::flat_buffer& buffer, Parser& parser);
    asio::awaitable<Response> serve(Client& client, beast::flat_buffer& buffer, Exchange& x);
    asio::awaitable<std::optional<Response>> read_body(Client& client, beast::flat_buffer& buffer, Exchange& x);
    void attach_body_stream(Client& client, beast::flat_buffer& buffer, Exchange& x);
    asio::awaitable<beast::error_code> send_continue(Client& client, const RequestHeader& h);
    asio::awaitable<beast::error_code> write_response(Client& client, Response& res);
    asio::awaitable<void> linger(Client& client);
    asio::awaitable<void> flush_access_log(std::size_t slot);
    void close_idle();
};

Server::Server(ServerOptions options, const Router& router, Metrics& metrics, const auth::TokenVerifier& verifier)
    : impl_(std::make_unique<Impl>(std::move(options), router, metrics, verifier)) {}

Server::~Server() {
    if (impl_) {
        impl_->blocking.join();
        impl_->ops.join();
    }
}

std::size_t Server::max_connections() const {
    return impl_->max_connections;
}

std::size_t Server::max_connections_per_ip() const {
    return impl_->max_connections_per_ip;
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
        return make_error(
            ErrorCode::Unavailable,
            "listen on " + impl_->opts.host + ":" + std::to_string(impl_->opts.port) + ": " + ec.message());
    }
    auto port = acc->local_endpoint().port();
    impl_->acceptor = std::move(acc);
    if (impl_->opts.handle_signals) {
        impl_->signals = std::make_unique<asio::signal_set>(ctx, SIGTERM, SIGINT);
    }
    return port;
}

void Server::run() {
    auto& main_ctx = *impl_->contexts.front();
    asio::co_spawn(main_ctx, impl_->accept_loop(), asio::detached);
    if (impl_->signals) {
        impl_->signals->async_wait([this](const boost::system::error_code& ec, int) {
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
        while (impl_->live_sessions->load() > 0 && std::chrono::steady_clock::now() < deadline) {
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
        // change under us, and only while the session (and its socket) still
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
                    live.socket->shutdown(tcp::socket::shutdown_both, ec);
                    live.socket->close(ec);
                }
                return;
            }
        });
    }
}

void Server::Impl::shed_one_connection() {
    if (spare_fd >= 0) {
        ::close(spare_fd);
        spare_fd = -1;
    }
    int fd = ::accept4(acceptor->native_handle(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd >= 0) {
        metrics.add("beacon_http_connections_refused_total", "reason=\"descriptors\"");
        ::close(fd);
    }
    spare_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

asio::awaitable<void> Server::Impl::accept_loop() {
    while (!stopping.load()) {
        const std::size_t slot = next_context;
        auto& ctx = *contexts[slot];
        auto [ec, socket] = co_await acceptor->async_accept(ctx, kTuple);
        if (ec) {
            if (stopping.load() || ec == asio::error::operation_aborted) {
                break;
            }
            accept_log.warn("accept failed: " + ec.message());
            // (Compared by value: accept's errors are errno values, and
            // building a boost error_code to compare with trips UBSan's vptr
            // check on the system category here.)
            if (ec.value() == EMFILE || ec.value() == ENFILE) {
                // Take the waiting connection with the spare descriptor and
                // close it, so the acceptor does not report it again at once.
                shed_one_connection();
            }
            asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(10));
            co_await t.async_wait(kTuple);
            continue;
        }
        if (static_cast<std::size_t>(live_sessions->load()) >= max_connections) {
            // Over the cap: close this one at once; the open ones keep being
            // served. Counted first: a client that sees the close may ask
            // /metrics next.
            metrics.add("beacon_http_connections_refused_total", "reason=\"limit\"");
            boost::system::error_code ignored;
            socket.close(ignored);
            accept_log.warn("connection refused: " + std::to_string(max_connections) +
                            " connections are open (BEACON_MAX_CONNECTIONS)");
            continue;
        }
        boost::system::error_code peer_ec;
        auto remote = socket.remote_endpoint(peer_ec);
        if (peer_ec) {
            continue;  // already gone (reset before we looked)
        }
        const IpAddress peer = to_ip_address(remote.address());
        const IpAddress key = limit_key(peer);
        if (trusted.contains(peer)) {
            per_ip.open_uncapped(key);
        } else if (!per_ip.try_open(key)) {
            // One address has its share: close this one at once; its open
            // ones (and everyone else's) keep being served.
            metrics.add("beacon_http_connections_refused_total", "reason=\"per_ip\"");
            boost::system::error_code ignored;
            socket.close(ignored);
            accept_log.warn("connection refused: " + peer.to_string() + " has " +
                            std::to_string(max_connections_per_ip) +
                            " connections open (BEACON_MAX_CONNECTIONS_PER_IP)");
            continue;
        }
        next_context = (next_context + 1) % contexts.size();
        boost::system::error_code nd;
        socket.set_option(tcp::no_delay(true), nd);
        live_sessions->fetch_add(1);
        auto ex = socket.get_executor();
        asio::co_spawn(ex, session(std::move(socket), slot, peer), [this, key](std::exception_ptr e) {
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (const std::exception& ex) {
                    spdlog::error("session ended by exception: {}", ex.what());
                }
            }
            per_ip.close(key);
            live_sessions->fetch_sub(1);
        });
    }
}

// Reads until the header is complete. Beast applies header_limit to what one
// parse step sees, and consumes complete fields as they arrive, so a header
// fed in small pieces could grow without bound: every byte of the header is
// counted here instead, the bytes of the first read included.
asio::awaitable<beast::error_code> Server::Impl::read_header(Client& client,
                                                             beast::flat_buffer& buffer,
                                                             Parser& parser) {
    const auto deadline = std::chrono::steady_clock::now() + opts.header_timeout;
    std::size_t consumed = 0;
    for (;;) {
        while (buffer.size() > 0 && !parser.is_header_done()) {
            beast::error_code ec;
            std::size_t n = parser.put(buffer.data(), ec);
            buffer.consume(n);
            consumed += n;
            if (ec == bh::error::need_more) {
                break;
            }
            if (ec) {
                co_return ec;
            }
        }
        if (parser.is_header_done()) {
            // (A header that arrived whole in one read is only known to be
            // too long once it is complete.)
            co_return consumed > opts.header_limit ? beast::error_code(bh::error::header_limit) : beast::error_code{};
        }
        if (consumed + buffer.size() > opts.header_limit) {
            co_return bh::error::header_limit;
        }
        client.deadline.arm_at(deadline);
        auto [rec, n] = co_await client.socket.async_read_some(buffer.prepare(4096), kTuple);
        if (auto ec = client.settle(rec)) {
            co_return ec;
        }
        buffer.commit(n);
    }
}

asio::awaitable<void> Server::Impl::session(tcp::socket socket, std::size_t slot, IpAddress peer) {
    Client client(std::move(socket));
    {
        // Responses are first written without waiting (write_response).
        boost::system::error_code ignored;
        client.socket.non_blocking(true, ignored);
    }
    beast::flat_buffer buffer;
    std::list<Conn>::iterator conn;
    {
        std::lock_guard lock(conns_mu);
        conns.emplace_back();
        conn = std::prev(conns.end());
        conn->id = next_conn_id++;
        conn->socket = &client.socket;
        conn->ex = client.socket.get_executor();
    }
    bool first = true;
    bool peer_done = false;  // the client closed its side: nothing to linger for
    bool linger_before_close = false;
    for (;;) {
        if (stopping.load()) {
            break;
        }
        Parser parser;
        parser.header_limit(static_cast<std::uint32_t>(opts.header_limit));
        // No limit while reading the header: Beast would refuse a Content-Length
        // above it as a malformed request. serve() checks the declared length
        // against the route's limit, before any body byte is read.
        parser.body_limit(boost::none);

        // Waiting for the request's first byte: a short timeout on a new
        // connection, the idle timeout between requests.
        if (buffer.size() == 0) {
            client.deadline.arm(first ? opts.first_byte_timeout : opts.idle_timeout);
            auto [rec, n] = co_await client.socket.async_read_some(buffer.prepare(4096), kTuple);
            if (auto ec = client.settle(rec)) {
                peer_done = ec == asio::error::eof;
                break;
            }
            buffer.commit(n);
        }
        first = false;
        conn->busy.store(true);
        beast::error_code ec = co_await read_header(client, buffer, parser);
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
                peer_done = ec != beast::error::timeout;
                break;
            }
            must_close = true;
            request_id = new_request_id();
            res = ec == bh::error::header_limit
                      ? problem_response(bh::status::request_header_fields_too_large,
                                         "the request header exceeds " + std::to_string(opts.header_limit) + " bytes")
                      : problem_response(bh::status::bad_request, "malformed HTTP request: " + ec.message());
        } else {
            auto& h = parser.get();
            method = std::string(h.method_string());
            target = std::string(h.target());
            auto rid = h["X-Request-Id"];
            request_id = valid_request_id(rid) ? std::string(rid) : new_request_id();
            Request req{.header = h.base(), .request_id = request_id};
            if (trusted.empty()) {
                req.client = peer;
            } else {
                std::vector<std::string_view> forwarded;
                for (auto it = h.find("X-Forwarded-For");
                     it != h.end() && beast::iequals(it->name_string(), "X-Forwarded-For");
                     ++it) {
                    forwarded.push_back(it->value());
                }
                req.client = client_address(peer, forwarded, trusted);
            }
            Exchange x{parser, req, unmatched};
            try {
                res = co_await serve(client, buffer, x);
            } catch (const std::exception& e) {
                spdlog::error("request {} {} {} failed: {}", request_id, method, loggable_path(target), e.what());
                res = problem_response(bh::status::internal_server_error,
                                       "an unexpected error occurred; it has been logged");
                // What is left of the request on the wire is unknown now.
                x.must_close = true;
            }
            route_slot = x.slot;
            must_close = x.must_close || !parser.keep_alive();
            if (h.method() == bh::verb::head) {
                // HEAD: the GET response's headers, no body.
                auto len = TextOrFileBody::size(res.body());
                res.body().clear();
                res.body().file.reset();
                res.content_length(len);
            }
        }
        if (must_close && !parser.is_done()) {
            // The client may still be sending this request (a body we did not
            // read, or bytes we could not parse).
            linger_before_close = true;
        }
        if (stopping.load()) {
            must_close = true;
        }
        res.set("X-Request-Id", request_id);
        add_security_headers(res, target);
        cors.decorate(res, ec ? nullptr : &parser.get().base());
        res.keep_alive(!must_close);
        int status = res.result_int();
        if (status >= 500 && status != 503) {
            spdlog::error("request {} {} {} answered {}", request_id, method, loggable_path(target), status);
        }
        ec = co_await write_response(client, res);
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        metrics.observe(*route_slot, Metrics::method_index(method), status, took.count());
        if (const char* backend = res.body().failed_backend) {
            metrics.add("beacon_backend_errors_total", std::string("backend=\"") + backend + "\"");
        }
        if (access_log) {
            access_log->record(slot, method, loggable_path(target), status, took, request_id);
        }
        conn->busy.store(false);
        if (ec) {
            linger_before_close = false;
            break;
        }
        if (must_close) {
            break;
        }
    }
    if (linger_before_close && !peer_done && !stopping.load()) {
        co_await linger(client);
    }
    boost::system::error_code ignored;
    client.socket.shutdown(tcp::socket::shutdown_send, ignored);
    std::lock_guard lock(conns_mu);
    conns.erase(conn);
}

// Writes the response; the write timeout is the longest pause without
// progress, so a large download to a slow client is never cut off while it
// keeps reading.
asio::awaitable<beast::error_code> Server::Impl::write_response(Client& client, Response& res) {
    if (!res.body().file) {
        std::string wire = serialize_text_response(res, false);
        // Written at once when the socket takes it all (a response fits the
        // send buffer unless the client stopped reading): no wait, no timer.
        beast::error_code ec;
        std::size_t sent = client.socket.write_some(asio::buffer(wire), ec);
        if (ec && ec != asio::error::would_block) {
            co_return ec;
        }
        while (sent < wire.size()) {
            client.deadline.arm(opts.write_timeout);
            auto [wec, n] =
                co_await client.socket.async_write_some(asio::buffer(wire.data() + sent, wire.size() - sent), kTuple);
            if (auto ec = client.settle(wec)) {
                co_return ec;
            }
            sent += n;
        }
        co_return beast::error_code{};
    }
    bh::serializer<false, TextOrFileBody> sr{res};
    while (!sr.is_done()) {
        client.deadline.arm(opts.write_timeout);
        auto [wec, n] = co_await bh::async_write_some(client.socket, sr, kTuple);
        if (auto ec = client.settle(wec)) {
            co_return ec;
        }
    }
    co_return beast::error_code{};
}

// The lingering close: stop sending, then read and discard until the client
// closes its side, pauses for linger_timeout, or linger_time or linger_bytes
// run out. Closing with unread bytes in the receive queue makes the kernel
// send a reset, which can destroy the answer before the client reads it.
asio::awaitable<void> Server::Impl::linger(Client& client) {
    boost::system::error_code ignored;
    client.socket.shutdown(tcp::socket::shutdown_send, ignored);
    auto deadline = std::chrono::steady_clock::now() + opts.linger_time;
    std::uint64_t discarded = 0;
    std::array<char, 16 * 1024> sink;
    while (discarded < opts.linger_bytes) {
        auto left = deadline - std::chrono::steady_clock::now();
        if (left <= std::chrono::steady_clock::duration::zero()) {
            break;
        }
        client.deadline.arm(std::min<std::chrono::steady_clock::duration>(left, opts.linger_timeout));
        auto [rec, n] = co_await client.socket.async_read_some(asio::buffer(sink), kTuple);
        if (client.settle(rec)) {
            break;
        }
        discarded += n;
    }
}

asio::awaitable<beast::error_code> Server::Impl::send_continue(Client& client, const RequestHeader& h) {
    if (!beast::iequals(h[bh::field::expect], "100-continue")) {
        co_return beast::error_code{};
    }
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    client.deadline.arm(opts.write_timeout);
    auto [ec, n] = co_await asio::async_write(client.socket, asio::buffer(kContinue), kTuple);
    co_return client.settle(ec);
}

// One request whose header is complete: its framing, then the dispatcher's
// checks (route, authenticate, check the body; API.md "Order of checks"),
// then the body read here and the handler run by the dispatcher. An answer
// given before the body was read closes the connection (with a lingering
// close), since the body's bytes are still on the wire.
asio::awaitable<Response> Server::Impl::serve(Client& client, beast::flat_buffer& buffer, Exchange& x) {
    auto& parser = x.parser;
    x.has_body = parser.chunked() || (parser.content_length() && *parser.content_length() > 0);
    auto early = [&](Response r) {
        if (x.has_body) {
            x.must_close = true;
        }
        return r;
    };
    if (auto fault = framing_fault(parser.get())) {
        x.must_close = true;
        co_return problem_response(fault->status, fault->detail);
    }
    Dispatcher::DeclaredBody declared{.chunked = parser.chunked()};
    if (auto length = parser.content_length()) {
        declared.content_length = *length;
    }
    Dispatcher::Admission admission = dispatcher.admit(x.req, declared);
    if (admission.route != nullptr) {
        x.slot = admission.route->metrics;
    }
    if (admission.rate_limited) {
        metrics.add("beacon_http_rate_limited_total", "");
    }
    if (admission.answer) {
        co_return early(std::move(*admission.answer));
    }
    if (admission.buffered_bytes > 0 && !x.reservation.take(body_budget, admission.buffered_bytes)) {
        co_return early(problem_response(
            make_error(ErrorCode::Unavailable, "the server is holding as many request bodies as it may; retry")));
    }
    x.body_limit = admission.body_limit;
    parser.body_limit(admission.body_limit);
    if (x.has_body) {
        if (auto ec = co_await send_continue(client, parser.get()); ec) {
            x.must_close = true;
            co_return problem_response(bh::status::bad_request, "connection failed");
        }
    }
    if (admission.route->options.body == BodyKind::Stream) {
        attach_body_stream(client, buffer, x);
        Response res = co_await dispatcher.handle(admission, x.req);
        if (!parser.is_done()) {
            x.must_close = true;  // the handler answered before the body ended
        }
        co_return res;
    }
    if (auto r = co_await read_body(client, buffer, x)) {
        co_return std::move(*r);
    }
    co_return co_await dispatcher.handle(admission, x.req);
}

// Reads a buffered (JSON) body into the request. It is at most 1 MiB: all of
// it must arrive within body_timeout, so a client trickling bytes cannot hold
// its share of the body budget for long.
asio::awaitable<std::optional<Response>> Server::Impl::read_body(Client& client,
                                                                 beast::flat_buffer& buffer,
                                                                 Exchange& x) {
    auto& parser = x.parser;
    if (x.has_body) {
        beast::error_code ec = parse_buffered(parser, buffer);
        if (!ec && !parser.is_done()) {
            client.deadline.arm(opts.body_timeout);
            auto [rec, n] = co_await bh::async_read(client.socket, buffer, parser, kTuple);
            ec = client.settle(rec);
        }
        if (ec == bh::error::body_limit) {
            x.must_close = true;
            co_return problem_response(
                bh::status::payload_too_large,
                "the body exceeds this endpoint's limit of " + std::to_string(x.body_limit) + " bytes");
        }
        if (ec) {
            x.must_close = true;
            co_return problem_response(bh::status::bad_request, "the body could not be read: " + ec.message());
        }
    }
    x.req.body = std::move(parser.get().body());
    co_return std::nullopt;
}

// Stream routes: the handler pulls the body, one chunk at a time; each read
// may wait at most body_timeout for a byte.
void Server::Impl::attach_body_stream(Client& client, beast::flat_buffer& buffer, Exchange& x) {
    x.req.read_body_chunk =
        [&client, &buffer, &parser = x.parser, this](std::string& out) -> asio::awaitable<Result<bool>> {
        out.clear();
        while (!parser.is_done()) {
            // What is buffered is parsed first. When it holds only part of
            // the next element (a chunk-size line cut by the network), it
            // cannot be parsed until more arrives: read then, or this loop
            // would spin on it for ever (it did: an I/O thread stuck, its
            // connections and the drain with it).
            const std::size_t buffered = buffer.size();
            beast::error_code ec = buffered > 0 ? parse_buffered(parser, buffer) : beast::error_code{};
            if (!ec && buffer.size() == buffered) {  // nothing buffered, or nothing of it parsed
                client.deadline.arm(opts.body_timeout);
                auto [rec, n] = co_await bh::async_read_some(client.socket, buffer, parser, kTuple);
                ec = client.settle(rec);
                if (ec == bh::error::need_buffer) {
                    ec = {};
                }
            }
            if (ec == bh::error::body_limit) {
                co_return make_error(ErrorCode::PayloadTooLarge, "the body exceeds this endpoint's limit");
            }
            if (ec) {
                co_return make_error(ErrorCode::InvalidArgument, "the body could not be read: " + ec.message());
            }
            if (!parser.get().body().empty()) {
                out.swap(parser.get().body());
                parser.get().body().clear();
                co_return true;
            }
        }
        co_return false;
    };
}

}  // namespace beacon::http
