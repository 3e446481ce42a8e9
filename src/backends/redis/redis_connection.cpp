#include "backends/redis/redis_connection.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <cassert>
#include <cerrno>
#include <charconv>
#include <optional>
#include <string>
#include <utility>

#include <hiredis.h>

#include "core/percent_encoding.hpp"

namespace beacon::backends::redis {
namespace {

Error redis_down(std::string message) {
    return unavailable("presence", std::move(message));
}

Error bad_url(std::string_view why) {
    return make_error(ErrorCode::InvalidArgument, "redis URL: " + std::string(why));
}

timeval to_timeval(Millis ms) {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(ms.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((ms.count() % 1000) * 1000);
    return tv;
}

// hiredis 0.14 writes with write(2), so a write to a socket the server has
// closed raises SIGPIPE, which kills a process that has not ignored it. A
// library must not change the process's signal dispositions, so (as libpq
// does) block SIGPIPE in this thread for the duration of the I/O and consume
// any SIGPIPE the I/O raised before unblocking.
class SigpipeGuard {
public:
    SigpipeGuard() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    }
    ~SigpipeGuard() {
        const int saved = errno;
        if (!was_pending_) {
            sigset_t pending;
            sigpending(&pending);
            if (sigismember(&pending, SIGPIPE) == 1) {
                const timespec zero{};
                while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
                }
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
        errno = saved;
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

private:
    sigset_t pipe_;
    sigset_t old_;
    bool was_pending_ = false;
};

bool consume(std::string_view& s, std::string_view prefix) {
    if (s.substr(0, prefix.size()) != prefix) {
        return false;
    }
    s.remove_prefix(prefix.size());
    return true;
}

template <typename Int>
bool parse_int(std::string_view s, Int& out) {
    if (s.empty()) {
        return false;
    }
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc{} && end == s.data() + s.size();
}

// "user:password" (either part may be empty). A userinfo without a colon is
// refused: a user name without a password cannot authenticate.
Result<void> parse_userinfo(std::string_view info, RedisEndpoint& e) {
    const auto colon = info.find(':');
    if (colon == std::string_view::npos) {
        return bad_url("credentials must be written [user]:password@");
    }
    auto user = percent_decode(info.substr(0, colon));
    auto password = percent_decode(info.substr(colon + 1));
    if (!user || !password) {
        return bad_url("bad percent-encoding in the credentials");
    }
    e.username = std::move(*user);
    e.password = std::move(*password);
    return ok();
}

Result<void> parse_db(std::string_view text, RedisEndpoint& e) {
    if (!parse_int(text, e.db) || e.db < 0) {
        return bad_url("database must be a non-negative number, got '" + std::string(text) + "'");
    }
    return ok();
}

// Only `db=N` is understood; anything else is refused rather than ignored.
Result<void> parse_query(std::string_view query, RedisEndpoint& e) {
    while (!query.empty()) {
        const auto amp = query.find('&');
        const std::string_view param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (param.empty()) {
            continue;
        }
        std::string_view value = param;
        if (!consume(value, "db=")) {
            return bad_url("unknown parameter '" + std::string(param.substr(0, param.find('='))) + "'");
        }
        auto parsed = parse_db(value, e);
        if (!parsed) {
            return parsed;
        }
    }
    return ok();
}

}  // namespace

std::string RedisEndpoint::describe() const {
    if (!unix_path.empty()) {
        return "unix:" + unix_path;
    }
    if (host.find(':') != std::string::npos) {
        return "[" + host + "]:" + std::to_string(port);
    }
    return host + ":" + std::to_string(port);
}

Result<RedisEndpoint> parse_redis_url(std::string_view url) {
    RedisEndpoint e;
    std::string_view rest = url;
    const bool tcp = consume(rest, "redis://");
    if (!tcp && !consume(rest, "unix://")) {
        if (rest.substr(0, 9) == "rediss://") {
            return bad_url("TLS (rediss://) is not supported");
        }
        return bad_url("expected redis://[[user]:password@]host[:port][/db] or unix:///path/to.sock[?db=N]");
    }

    std::string_view query;
    if (const auto q = rest.find('?'); q != std::string_view::npos) {
        query = rest.substr(q + 1);
        rest = rest.substr(0, q);
    }

    // Credentials end at the last '@' before the host (redis://) or before the
    // socket path (unix://). A raw '@' in a password should be percent-encoded;
    // taking the last one is the lenient reading.
    const std::string_view authority = tcp ? rest.substr(0, rest.find('/')) : rest.substr(0, rest.find("@/") + 1);
    if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
        auto parsed = parse_userinfo(authority.substr(0, at), e);
        if (!parsed) {
            return std::move(parsed).error();
        }
        rest.remove_prefix(at + 1);
    }

    if (!tcp) {
        if (rest.empty() || rest.front() != '/') {
            return bad_url("unix:// needs an absolute socket path (unix:///path/to.sock)");
        }
        e.unix_path = std::string(rest);
    } else {
        const auto slash = rest.find('/');
        std::string_view hostport = rest.substr(0, slash);
        const std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        std::string_view port_text;
        if (consume(hostport, "[")) {
            const auto close = hostport.find(']');
            if (close == std::string_view::npos) {
                return bad_url("unterminated '[' in the host");
            }
            e.host = std::string(hostport.substr(0, close));
            hostport.remove_prefix(close + 1);
            if (!hostport.empty() && !consume(hostport, ":")) {
                return bad_url("expected ':port' after ']'");
            }
            port_text = hostport;
        } else {
            const auto colon = hostport.find(':');
            e.host = std::string(hostport.substr(0, colon));
            if (colon != std::string_view::npos) {
                port_text = hostport.substr(colon + 1);
            }
        }
        if (e.host.empty()) {
            return bad_url("missing host");
        }
        if (!port_text.empty() && (!parse_int(port_text, e.port) || e.port == 0)) {
            return bad_url("port must be 1-65535, got '" + std::string(port_text) + "'");
        }
        if (!path.empty()) {
            auto parsed = parse_db(path, e);
            if (!parsed) {
                return std::move(parsed).error();
            }
        }
    }
    auto parsed = parse_query(query, e);
    if (!parsed) {
        return std::move(parsed).error();
    }
    return e;
}

void ReplyDeleter::operator()(redisReply* r) const {
    freeReplyObject(r);
}

Result<std::int64_t> integer_reply(const redisReply& reply, std::string_view what) {
    if (reply.type == REDIS_REPLY_INTEGER) {
        return static_cast<std::int64_t>(reply.integer);
    }
    auto checked = check_reply(reply, what);
    if (!checked) {
        return std::move(checked).error();
    }
    return redis_down(std::string(what) + ": unexpected reply type " + std::to_string(reply.type));
}

Result<void> check_reply(const redisReply& reply, std::string_view what) {
    if (reply.type == REDIS_REPLY_ERROR) {
        return redis_down(std::string(what) + ": " + std::string(reply.str, reply.len));
    }
    return ok();
}

// ---- RedisConnection ----------------------------------------------------------

RedisConnection::RedisConnection(redisContext* ctx, const RedisEndpoint& endpoint)
    : ctx_(ctx), where_(endpoint.describe()), command_timeout_(endpoint.command_timeout) {}

RedisConnection::~RedisConnection() {
    redisFree(ctx_);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::connect(const RedisEndpoint& endpoint) {
    const timeval connect_tv = to_timeval(endpoint.connect_timeout);
    redisContext* ctx = endpoint.unix_path.empty()
                            ? redisConnectWithTimeout(endpoint.host.c_str(), endpoint.port, connect_tv)
                            : redisConnectUnixWithTimeout(endpoint.unix_path.c_str(), connect_tv);
    if (ctx == nullptr) {
        return redis_down("connecting to Redis at " + endpoint.describe() + ": out of memory");
    }
    std::unique_ptr<RedisConnection> conn(new RedisConnection(ctx, endpoint));
    if (ctx->err != 0) {
        return redis_down("connecting to Redis at " + endpoint.describe() + ": " + ctx->errstr);
    }
    // Without a read/write timeout a Redis that stops answering (frozen,
    // partitioned) would block the calling thread forever.
    if (redisSetTimeout(ctx, to_timeval(endpoint.command_timeout)) != REDIS_OK ||
        (endpoint.unix_path.empty() && redisEnableKeepAlive(ctx) != REDIS_OK)) {
        return redis_down("connecting to Redis at " + endpoint.describe() + ": " + ctx->errstr);
    }

    std::vector<Command> setup;
    const std::string db = std::to_string(endpoint.db);
    if (!endpoint.password.empty()) {
        if (endpoint.username.empty()) {
            setup.push_back({"AUTH", endpoint.password});
        } else {
            setup.push_back({"AUTH", endpoint.username, endpoint.password});
        }
    }
    if (endpoint.db != 0) {
        setup.push_back({"SELECT", db});
    }
    if (!setup.empty()) {
        auto replies = conn->pipeline(setup);
        if (!replies) {
            return std::move(replies).error().with_context("connecting");
        }
        for (std::size_t i = 0; i < setup.size(); ++i) {
            auto checked = check_reply(*(*replies)[i], setup[i][0]);
            if (!checked) {
                return std::move(checked).error().with_context("connecting to Redis at " + endpoint.describe());
            }
        }
    }
    return conn;
}

Result<std::vector<ReplyPtr>> RedisConnection::pipeline(std::span<const Command> commands) {
    assert(!broken_);
    SigpipeGuard guard;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const Command& command : commands) {
        argv.clear();
        lengths.clear();
        for (const std::string_view arg : command) {
            argv.push_back(arg.empty() ? "" : arg.data());
            lengths.push_back(arg.size());
        }
        if (redisAppendCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
            broken_ = true;
            return io_error(errno);
        }
    }
    std::vector<ReplyPtr> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(ctx_, &raw) != REDIS_OK || raw == nullptr) {
            const int saved = errno;
            broken_ = true;
            return io_error(saved);
        }
        replies.emplace_back(static_cast<redisReply*>(raw));
    }
    return replies;
}

bool RedisConnection::idle_and_open() const {
    pollfd p{};
    p.fd = ctx_->fd;
    p.events = POLLIN | POLLRDHUP;
    // Readable while idle means EOF, a reset, or bytes nobody asked for: all
    // make the connection unusable. poll() failing (EINTR) just costs a reconnect.
    return ::poll(&p, 1, 0) == 0;
}

Error RedisConnection::io_error(int saved_errno) const {
    std::string why;
    if (ctx_->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK)) {
        why = "no answer within " + std::to_string(command_timeout_.count()) + " ms";
    } else if (ctx_->err == REDIS_ERR_EOF) {
        why = "connection closed by the server";
    } else if (ctx_->err != 0 && ctx_->errstr[0] != '\0') {
        why = ctx_->errstr;
    } else {
        why = "connection failed";
    }
    return redis_down("Redis at " + where_ + ": " + why);
}

// ---- RedisPool ----------------------------------------------------------------

RedisPool::RedisPool(RedisEndpoint endpoint, std::size_t size) : endpoint_(std::move(endpoint)), size_(size) {
    assert(size_ > 0);
}

RedisPool::~RedisPool() = default;

Result<std::vector<ReplyPtr>> RedisPool::run(std::span<const Command> commands) {
    auto connection = acquire();
    if (!connection) {
        return std::move(connection).error();
    }
    auto replies = (*connection)->pipeline(commands);
    release(std::move(*connection));
    return replies;
}

Result<std::unique_ptr<RedisConnection>> RedisPool::acquire() {
    {
        std::unique_lock lock(mu_);
        if (!freed_.wait_for(lock, endpoint_.command_timeout, [&] { return leased_ < size_; })) {
            return redis_down("Redis at " + endpoint_.describe() + ": all " + std::to_string(size_) +
                              " connections busy for " + std::to_string(endpoint_.command_timeout.count()) + " ms");
        }
        ++leased_;
    }
    // The slot is ours from here; release() gives it back on every path.
    for (;;) {
        std::unique_ptr<RedisConnection> connection;
        {
            std::lock_guard lock(mu_);
            if (idle_.empty()) {
                break;
            }
            connection = std::move(idle_.back());
            idle_.pop_back();
        }
        if (connection->idle_and_open()) {
            return connection;
        }
        // Closed while idle (Redis restarted, or an idle timeout): dropped here,
        // outside the lock; try the next one or connect afresh.
    }
    auto fresh = RedisConnection::connect(endpoint_);
    if (!fresh) {
        release(nullptr);
    }
    return fresh;
}

void RedisPool::release(std::unique_ptr<RedisConnection> connection) {
    std::unique_ptr<RedisConnection> doomed;
    {
        std::lock_guard lock(mu_);
        --leased_;
        if (connection && !connection->broken()) {
            idle_.push_back(std::move(connection));
        } else {
            doomed = std::move(connection);
        }
    }
    freed_.notify_one();
}

}  // namespace beacon::backends::redis
