#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/jwt.hpp"
#include "core/clock.hpp"
#include "core/result.hpp"
#include "http/client_address.hpp"
#include "http/metrics.hpp"
#include "http/rate_limit.hpp"
#include "http/router.hpp"

namespace beacon::http {

struct ServerOptions {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;
    int threads = 1;           // I/O threads, one io_context each
    int blocking_threads = 8;  // pool for handlers on Executor::Blocking
    int ops_threads = 2;       // pool for handlers on Executor::Ops (downloads, /readyz, /metrics)
    std::size_t header_limit = 8 * 1024;
    // Every timeout means "no progress for this long", never "the whole
    // exchange within this long", except header_timeout, which bounds how long
    // a client may take to send one request's header.
    std::chrono::seconds first_byte_timeout{10};  // a new connection that has sent nothing yet
    std::chrono::seconds idle_timeout{60};        // waiting for the next request on a kept-alive connection
    std::chrono::seconds header_timeout{15};      // from the first byte to the end of the headers
    // Reading a body: a buffered (JSON) body must arrive whole within it; a
    // streamed upload may pause at most this long between bytes.
    std::chrono::seconds body_timeout{60};
    std::chrono::seconds write_timeout{60};  // writing a response: the longest pause between bytes
    std::chrono::seconds drain_timeout{30};  // SIGTERM: how long in-flight requests may take
    // Open connections at most; 0 derives it from the file-descriptor limit
    // (see effective_max_connections). Beyond it new connections are closed
    // at once and the open ones keep being served.
    std::size_t max_connections = 0;
    // Open connections from one client key (http::limit_key of the TCP peer)
    // at most; 0: a quarter of the connection cap (at least 1). Trusted
    // proxies are exempt: every client behind one arrives through it.
    std::size_t max_connections_per_ip = 0;
    // Requests per client (API.md "Rate limits"); rate 0: off.
    RateLimit rate_limit{};
    std::size_t rate_limit_buckets = RateLimiter::kDefaultMaxBuckets;
    // Peers whose X-Forwarded-For names the client (BEACON_TRUSTED_PROXIES).
    std::vector<Cidr> trusted_proxies;
    // Origins allowed to call from a browser (BEACON_CORS_ORIGINS); empty: CORS off.
    std::vector<std::string> cors_origins;
    // The rate limiter's time; null: the system clock. Must outlive the server.
    const Clock* clock = nullptr;
    // Bytes of request bodies buffered in memory at once, across all
    // connections (streamed uploads hold one chunk and do not count). A
    // request that would go beyond it gets 503 with Retry-After.
    std::uint64_t body_memory_limit = std::uint64_t{64} << 20;
    // Lingering close (as nginx does): after an answer that leaves the
    // request's body unread, the server stops reading requests but reads and
    // discards what the client still sends, so that a client that writes its
    // whole body before reading sees the answer and not a reset.
    std::chrono::seconds linger_time{10};    // at most this long in all
    std::chrono::seconds linger_timeout{2};  // at most this long without a byte
    std::uint64_t linger_bytes = std::uint64_t{64} << 20;
    bool access_log = true;
    bool access_log_json = false;  // the JSON line format of the rest of the log
    // SIGTERM/SIGINT start the drain. The handlers are installed by listen(),
    // so a signal that arrives before run() (a supervisor that stops the
    // server as soon as it listens) is held for run() and not fatal.
    bool handle_signals = false;
};

// The per-address cap for a connection cap of `max_connections`
// (ServerOptions::max_connections_per_ip 0): a quarter, at least 1, so that
// one address cannot take every slot while a carrier NAT's many devices
// still fit.
std::size_t default_connections_per_ip(std::size_t max_connections);

// The connection cap for a file-descriptor limit of `fd_limit`: every
// connection may hold a second descriptor (a file being downloaded, an
// upload's spool file), and the database, Redis and logs need some, so
// (fd_limit - 64) / 2, at least 16.
std::size_t connections_for_fd_limit(std::uint64_t fd_limit);

// options.max_connections, or when 0 the cap for the process's current
// RLIMIT_NOFILE soft limit.
std::size_t effective_max_connections(const ServerOptions& options);

// Raises the process's RLIMIT_NOFILE soft limit to its hard limit (as nginx's
// worker_rlimit_nofile does); returns the soft limit in force afterwards.
std::uint64_t raise_fd_limit();

// Boost.Beast HTTP/1.1 server. Per connection: keep-alive, header limit,
// per-route body limits checked against Content-Length before the body is
// read (and while reading chunked bodies), progress timeouts so a slow client
// cannot hold a connection, `Expect: 100-continue`, request ids, access logs,
// RFC 9457 problems for every failure, RFC 9112 framing rules (a request whose
// Transfer-Encoding does not end in chunked, or that carries both
// Transfer-Encoding and Content-Length, or two different Content-Lengths, is a
// 400 and the connection closes), a connection cap, a bound on buffered body
// bytes, and a lingering close. Abuse limits: an overall and a per-address
// connection cap (beyond them a new connection is closed at once), the
// per-client rate limit (through the Dispatcher), security headers on every
// response (http/security_headers.hpp) and CORS (http/cors.hpp). Routing comes first, then authentication,
// then size and media type, then the handler (API.md "Order of checks").
class Server {
public:
    Server(ServerOptions options, const Router& router, Metrics& metrics, const auth::TokenVerifier& verifier);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // The connection cap in force (ServerOptions::max_connections, or derived).
    std::size_t max_connections() const;
    // The per-address cap in force.
    std::size_t max_connections_per_ip() const;

    // Binds and listens (and installs the signal handlers when
    // handle_signals); returns the bound port (useful with port 0).
    Result<std::uint16_t> listen();

    // Serves until shutdown() (or SIGTERM/SIGINT when handle_signals): stops
    // accepting, lets in-flight requests finish (at most drain_timeout),
    // closes idle connections, then returns.
    void run();
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::http
