#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"

// hiredis types, kept out of this header so only the .cpp files include hiredis.
struct redisContext;
struct redisReply;

namespace beacon::backends::redis {

// Where and how to reach one Redis server.
struct RedisEndpoint {
    std::string host = "127.0.0.1";  // name or address; IPv6 without brackets
    std::uint16_t port = 6379;
    std::string unix_path;  // when set, a unix socket instead of host:port
    std::string username;   // ACL user (Redis 6+); empty: AUTH with the password alone
    std::string password;   // empty: no AUTH
    int db = 0;             // SELECT when not 0
    Millis connect_timeout{2000};
    Millis command_timeout{2000};  // per socket read/write (SO_RCVTIMEO/SO_SNDTIMEO)

    // "127.0.0.1:6379" or "unix:/path"; never the password. For messages.
    std::string describe() const;
};

// Parses
//   redis://[[user]:password@]host[:port][/db]     (IPv6 host in brackets)
//   unix://[[user]:password@]/path/to.sock[?db=N]
// User and password may be percent-encoded. Timeouts keep their defaults.
// Errors: InvalidArgument naming what is wrong (never echoing the password);
// rediss:// (TLS) is refused.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

struct ReplyDeleter {
    void operator()(redisReply* r) const;
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

// One command: its arguments, binary-safe. The views must outlive the call.
using Command = std::vector<std::string_view>;

// The integer of an integer reply; Unavailable (naming `what`) for an error
// reply or any other type.
Result<std::int64_t> integer_reply(const redisReply& reply, std::string_view what);
// ok() for a status or integer reply; Unavailable for an error reply.
Result<void> check_reply(const redisReply& reply, std::string_view what);

// One blocking hiredis connection, used by one thread at a time.
class RedisConnection {
public:
    // Connects (within connect_timeout), sets the command timeout, enables TCP
    // keep-alive, then AUTH and SELECT as configured. Unavailable on failure.
    static Result<std::unique_ptr<RedisConnection>> connect(const RedisEndpoint& endpoint);

    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    // Sends every command in one write and reads one reply per command (one
    // round trip). Error replies are returned as replies. On an I/O error,
    // timeout or protocol error the connection is broken(): Unavailable, and
    // it must be discarded. SIGPIPE is suppressed for the calling thread.
    Result<std::vector<ReplyPtr>> pipeline(std::span<const Command> commands);

    bool broken() const { return broken_; }
    // False when the server closed the socket (or sent something unasked)
    // while it sat idle, e.g. because Redis restarted. Does not block.
    bool idle_and_open() const;

private:
    RedisConnection(redisContext* ctx, const RedisEndpoint& endpoint);
    Error io_error(int saved_errno) const;

    redisContext* ctx_;  // owned
    std::string where_;  // endpoint.describe(), for messages
    Millis command_timeout_;
    bool broken_ = false;
};

// A small pool of connections to one server. Thread-safe.
//
// Connections are made lazily and at most `size` exist at once. A broken one
// is discarded and an idle one the server has closed is skipped, so the pool
// reconnects by itself when Redis comes back; nothing is retried within a
// call (a command might have run), the call fails with Unavailable instead.
class RedisPool {
public:
    RedisPool(RedisEndpoint endpoint, std::size_t size);
    ~RedisPool();
    RedisPool(const RedisPool&) = delete;
    RedisPool& operator=(const RedisPool&) = delete;

    // RedisConnection::pipeline on a pooled connection. Unavailable also when
    // no connection is free within command_timeout or none can be made.
    Result<std::vector<ReplyPtr>> run(std::span<const Command> commands);
    Result<std::vector<ReplyPtr>> run(const Command& command) { return run(std::span<const Command>(&command, 1)); }

    const RedisEndpoint& endpoint() const { return endpoint_; }

private:
    Result<std::unique_ptr<RedisConnection>> acquire();
    void release(std::unique_ptr<RedisConnection> connection);

    const RedisEndpoint endpoint_;
    const std::size_t size_;

    std::mutex mu_;
    std::condition_variable freed_;
    std::size_t leased_ = 0;                              // guarded by mu_
    std::vector<std::unique_ptr<RedisConnection>> idle_;  // guarded by mu_
};

}  // namespace beacon::backends::redis
