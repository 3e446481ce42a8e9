// What only the Redis presence adapter has, without a Redis server: URL
// parsing, option checks, and failing fast when nothing listens. The contract
// is in tests/contract/redis_contract.cpp, the live behaviour (key layout,
// recovery) in tests/integration/backends/redis.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/redis/redis_presence.hpp"
#include "support/redis_test_env.hpp"

namespace beacon {
namespace {

using namespace std::chrono_literals;
using backends::redis::parse_redis_url;
using backends::redis::RedisEndpoint;
using backends::redis::RedisPresence;
using backends::redis::RedisPresenceOptions;
using telemetry::DauMark;
using telemetry::Platform;
using SteadyClock = std::chrono::steady_clock;
using test::redis_test_options;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25, as in the contract suite
const Day kToday = std::chrono::floor<std::chrono::days>(kT0);

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

// ---- URL parsing (hermetic) ------------------------------------------------------

TEST(RedisUrl, ParsesHostPortPasswordAndDatabase) {
    auto e = parse_redis_url("redis://:s3cret@cache.internal:6380/2");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->host, "cache.internal");
    EXPECT_EQ(e->port, 6380);
    EXPECT_EQ(e->username, "");
    EXPECT_EQ(e->password, "s3cret");
    EXPECT_EQ(e->db, 2);
    EXPECT_EQ(e->describe(), "cache.internal:6380");
}

TEST(RedisUrl, DefaultsPortAndDatabase) {
    auto e = parse_redis_url("redis://localhost");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->host, "localhost");
    EXPECT_EQ(e->port, 6379);
    EXPECT_EQ(e->db, 0);
    EXPECT_TRUE(e->password.empty());
    EXPECT_TRUE(parse_redis_url("redis://localhost/").ok());
}

TEST(RedisUrl, DecodesAclUserAndPercentEncodedPassword) {
    auto e = parse_redis_url("redis://beacon:p%40ss%3Aword@10.0.0.5:7000/0");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->username, "beacon");
    EXPECT_EQ(e->password, "p@ss:word");
    EXPECT_EQ(e->host, "10.0.0.5");
    EXPECT_EQ(e->port, 7000);
}

TEST(RedisUrl, AcceptsBracketedIpv6Host) {
    auto e = parse_redis_url("redis://[::1]:7001");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->host, "::1");
    EXPECT_EQ(e->port, 7001);
    EXPECT_EQ(e->describe(), "[::1]:7001");
}

TEST(RedisUrl, ParsesUnixSocketWithDatabaseAndPassword) {
    auto e = parse_redis_url("unix://:pw@/run/redis/redis.sock?db=3");
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_EQ(e->unix_path, "/run/redis/redis.sock");
    EXPECT_EQ(e->password, "pw");
    EXPECT_EQ(e->db, 3);
    EXPECT_EQ(e->describe(), "unix:/run/redis/redis.sock");
    auto plain = parse_redis_url("unix:///tmp/r.sock");
    ASSERT_TRUE(plain.ok()) << plain.error().message;
    EXPECT_EQ(plain->unix_path, "/tmp/r.sock");
}

TEST(RedisUrl, RefusesWhatItCannotHonour) {
    for (const char* url : {"",
                            "http://host:6379",
                            "rediss://host:6379",
                            "redis://",
                            "redis://:6379",
                            "redis://host:0",
                            "redis://host:65536",
                            "redis://host:port",
                            "redis://host/one",
                            "redis://host/-1",
                            "redis://user@host",
                            "redis://host?timeout=3",
                            "redis://[::1",
                            "redis://:p%4@host",
                            "unix://relative.sock"}) {
        auto e = parse_redis_url(url);
        ASSERT_FALSE(e.ok()) << url;
        EXPECT_EQ(e.error().code, ErrorCode::InvalidArgument) << url;
    }
}

TEST(RedisUrl, ErrorNeverEchoesThePassword) {
    auto e = parse_redis_url("redis://:topsecret@host:notaport");
    ASSERT_FALSE(e.ok());
    EXPECT_EQ(e.error().message.find("topsecret"), std::string::npos) << e.error().message;
}

TEST(RedisPresenceConfig, OpenRefusesBadKeyPrefix) {
    RedisPresenceOptions options;
    options.key_prefix = "a{b}";
    auto store = RedisPresence::open(RedisEndpoint{}, options);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.error().code, ErrorCode::InvalidArgument);
}

// ---- no Redis there (hermetic: a bound socket nobody listens on) ----------------

// A loopback port that refuses connections while this object lives.
class RefusingPort {
public:
    RefusingPort() {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            ADD_FAILURE() << "could not reserve a loopback port";
        }
        port_ = ntohs(addr.sin_port);
    }
    ~RefusingPort() { ::close(fd_); }
    RefusingPort(const RefusingPort&) = delete;
    RefusingPort& operator=(const RefusingPort&) = delete;
    std::uint16_t port() const { return port_; }

private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

TEST(RedisPresence, UnreachableRedisIsUnavailableAtOnce) {
    RefusingPort nobody;
    RedisEndpoint endpoint;
    endpoint.port = nobody.port();

    auto opened = RedisPresence::open(endpoint, redis_test_options());
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::Unavailable);
    EXPECT_NE(opened.error().message.find("127.0.0.1:" + std::to_string(nobody.port())), std::string::npos)
        << opened.error().message;

    RedisPresence store(endpoint, redis_test_options());
    const auto start = SteadyClock::now();
    auto beat = store.record_heartbeat("u:alice", kT0);
    ASSERT_FALSE(beat.ok());
    EXPECT_EQ(beat.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(store.count_online(kT0).error().code, ErrorCode::Unavailable);
    EXPECT_EQ(store.remove_expired(kT0).error().code, ErrorCode::Unavailable);
    const std::vector<DauMark> marks{DauMark{kToday, Platform::Ios, "u:alice"}};
    EXPECT_EQ(store.add_to_dau(marks).error().code, ErrorCode::Unavailable);
    EXPECT_EQ(store.estimate_dau(kToday).error().code, ErrorCode::Unavailable);
    EXPECT_EQ(store.drop_dau_before(kToday).error().code, ErrorCode::Unavailable);
    EXPECT_EQ(store.ping().error().code, ErrorCode::Unavailable);
    EXPECT_LT(seconds_since(start), 1.0) << "a refused connection must fail fast";
}

}  // namespace
}  // namespace beacon
