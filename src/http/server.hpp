#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "auth/jwt.hpp"
#include "core/result.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace beacon::http {

struct ServerOptions {
    std::string host = "0.0.0.0";
    std::uint16_t port = 8080;
    int threads = 1;           // I/O threads, one io_context each
    int blocking_threads = 8;  // pool for handlers marked blocking
    std::size_t header_limit = 8 * 1024;
    std::chrono::seconds idle_timeout{60};    // waiting for the next request on a kept-alive connection
    std::chrono::seconds header_timeout{15};  // from the first byte to the end of the headers
    std::chrono::seconds body_timeout{60};    // reading a body
    std::chrono::seconds write_timeout{60};
    std::chrono::seconds drain_timeout{30};   // SIGTERM: how long in-flight requests may take
    bool access_log = true;
    bool access_log_json = false;  // the JSON line format of the rest of the log
};

// Boost.Beast HTTP/1.1 server. Per connection: keep-alive, header limit,
// per-route body limits checked against Content-Length before the body is
// read (and while reading chunked bodies), idle/header/body timeouts so a
// slow client cannot hold a connection, `Expect: 100-continue`, request ids,
// access logs, and RFC 9457 problems for every failure. Routing comes first,
// then authentication, then size and media type, then the handler
// (API.md "Order of checks").
class Server {
public:
    Server(ServerOptions options, const Router& router, Metrics& metrics, const auth::TokenVerifier& verifier);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds and listens; returns the bound port (useful with port 0).
    Result<std::uint16_t> listen();

    // Serves until shutdown() (or SIGTERM/SIGINT when handle_signals): stops
    // accepting, lets in-flight requests finish (at most drain_timeout),
    // closes idle connections, then returns.
    void run(bool handle_signals);
    void shutdown();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::http
