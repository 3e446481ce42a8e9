// What only the Redis presence adapter has, against a real server: key
// layout, concurrent heartbeats, and recovery when Redis dies, freezes or
// restarts. Tests that need the shared server run when BEACON_TEST_REDIS_URL
// is set (see tools/run-redis-tests.sh) and are skipped otherwise. The
// recovery tests start their own redis-server with
// tools/test-services/redis.sh, since they stop and freeze it.

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <hiredis.h>

#include "backends/redis/redis_presence.hpp"
#include "support/redis_test_env.hpp"
#include "support/temp_dir.hpp"

namespace beacon {
namespace {

using namespace std::chrono_literals;
using backends::redis::Command;
using backends::redis::parse_redis_url;
using backends::redis::RedisConnection;
using backends::redis::RedisPresence;
using telemetry::DauMark;
using telemetry::Platform;
using SteadyClock = std::chrono::steady_clock;
using test::open_redis_presence;
using test::test_redis_url;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25, as in the contract suite
const Day kToday = std::chrono::floor<std::chrono::days>(kT0);

double seconds_since(SteadyClock::time_point start) {
    return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

std::int64_t online_or_minus_one(RedisPresence& store, TimePoint now) {
    auto r = store.count_online(now);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : -1;
}

// ---- against the shared test Redis ----------------------------------------------

class RedisPresenceLive : public ::testing::Test {
protected:
    void SetUp() override {
        url_ = test_redis_url();
        if (url_ == nullptr) {
            GTEST_SKIP() << test::kRedisUrlVariable << " is not set";
        }
    }
    const char* url_ = nullptr;
};

// The key names (hash tags included) and the DAU keys' expiry, seen from a
// plain connection.
TEST_F(RedisPresenceLive, KeysCarryHashTagsAndDauKeysExpire) {
    auto store = open_redis_presence(url_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_heartbeat("u:alice", kT0 + 60s).ok());
    const std::vector<DauMark> marks{DauMark{kToday, Platform::Android, "u:alice"}};
    ASSERT_TRUE(store->add_to_dau(marks).ok());

    const std::string online = store->online_key();
    const std::string day = store->dau_key(kToday);
    const std::string android = store->dau_key(kToday, Platform::Android);
    EXPECT_EQ(online.front(), '{');
    EXPECT_EQ(online.back(), '}');
    EXPECT_NE(day.find(":dau:2026-11-25}"), std::string::npos) << day;
    EXPECT_EQ(android, day + ":android");

    auto endpoint = parse_redis_url(url_);
    ASSERT_TRUE(endpoint.ok());
    auto conn = RedisConnection::connect(*endpoint);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    // No platform and no version: the actor is in the group "unknown:-".
    const std::string group = online + ":v:unknown:-";
    const std::string where = online + ":where";
    const std::string groups = online + ":groups";
    const std::vector<Command> commands{{"TYPE", group},
                                        {"TTL", group},
                                        {"TTL", day},
                                        {"TTL", android},
                                        {"ZSCORE", group, "u:alice"},
                                        {"EXISTS", online},
                                        {"HGET", where, "u:alice"},
                                        {"SISMEMBER", groups, "unknown:-"}};
    auto replies = (*conn)->pipeline(commands);
    ASSERT_TRUE(replies.ok()) << replies.error().message;
    EXPECT_EQ(std::string((*replies)[0]->str, (*replies)[0]->len), "zset");
    EXPECT_EQ((*replies)[1]->integer, -1) << "a group's online set itself never expires";
    constexpr long long kFourDays = 4 * 24 * 3600;
    EXPECT_GT((*replies)[2]->integer, kFourDays - 60);
    EXPECT_LE((*replies)[2]->integer, kFourDays);
    EXPECT_GT((*replies)[3]->integer, kFourDays - 60);
    EXPECT_EQ(std::string((*replies)[4]->str, (*replies)[4]->len), std::to_string(to_epoch_ms(kT0 + 60s)));
    EXPECT_EQ((*replies)[5]->integer, 0) << "there is no overall online set: the count is the groups' sum";
    EXPECT_EQ(std::string((*replies)[6]->str, (*replies)[6]->len), "unknown:-");
    EXPECT_EQ((*replies)[7]->integer, 1);
}

// Heartbeats send the script's SHA1; after SCRIPT FLUSH (or a restart) the
// NOSCRIPT reply makes the store send the text again, and nothing is lost.
TEST_F(RedisPresenceLive, HeartbeatsSurviveAScriptFlush) {
    auto store = open_redis_presence(url_);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_heartbeat("u:before", kT0 + 60s).ok());
    auto endpoint = parse_redis_url(url_);
    ASSERT_TRUE(endpoint.ok());
    auto conn = RedisConnection::connect(*endpoint);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    const std::vector<Command> flush{{"SCRIPT", "FLUSH"}};
    ASSERT_TRUE((*conn)->pipeline(flush).ok());
    const auto writes = store->stats().heartbeat_writes;
    ASSERT_TRUE(store->record_heartbeat("u:after", kT0 + 60s).ok());
    ASSERT_TRUE(store->record_heartbeat("u:again", kT0 + 60s).ok());
    EXPECT_EQ(online_or_minus_one(*store, kT0), 3);
    EXPECT_EQ(store->stats().heartbeat_writes, writes + 2);
}

// Moves and expiry leave nothing behind: after 2,500 actors spread over
// five groups (more than one forget call's 1,000), half of them moved to
// another group in one burst, have all expired, remove_expired forgets each
// once, and the groups (emptied by moves or by expiry), :groups and :where
// are gone.
TEST_F(RedisPresenceLive, ExpiryAfterMovesLeavesNoKeysBehind) {
    auto store = open_redis_presence(url_);
    ASSERT_TRUE(store);
    constexpr int kActors = 2500;
    std::vector<telemetry::HeartbeatMark> marks;
    for (int i = 0; i < kActors; ++i) {
        marks.push_back(telemetry::HeartbeatMark{
            "i:d" + std::to_string(i), kT0 + Millis{1000 + i}, Platform::Android, telemetry::VersionCode(i % 5)});
    }
    ASSERT_TRUE(store->record_heartbeats(marks).ok());
    std::vector<telemetry::HeartbeatMark> moves;
    for (int i = 0; i < kActors; i += 2) {
        moves.push_back(telemetry::HeartbeatMark{"i:d" + std::to_string(i), kT0 + Millis{2000 + i}, Platform::Ios, 7});
    }
    ASSERT_TRUE(store->record_heartbeats(moves).ok());
    EXPECT_EQ(online_or_minus_one(*store, kT0), kActors);
    auto ios = store->count_online_by_version(Platform::Ios, kT0);
    ASSERT_TRUE(ios.ok());
    ASSERT_EQ(ios->size(), 1u);
    EXPECT_EQ(ios->front().count, kActors / 2);

    auto removed = store->remove_expired(kT0 + 1h);
    ASSERT_TRUE(removed.ok()) << removed.error().message;
    EXPECT_EQ(*removed, kActors);
    EXPECT_EQ(online_or_minus_one(*store, kT0), 0);

    auto endpoint = parse_redis_url(url_);
    ASSERT_TRUE(endpoint.ok());
    auto conn = RedisConnection::connect(*endpoint);
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    const std::string online = store->online_key();
    const std::string where = online + ":where";
    const std::string groups = online + ":groups";
    std::vector<std::string> group_keys;
    for (int code = 0; code < 5; ++code) {
        group_keys.push_back(online + ":v:android:" + std::to_string(code));
    }
    group_keys.push_back(online + ":v:ios:7");
    std::vector<Command> commands{{"EXISTS", where}, {"EXISTS", groups}};
    for (const std::string& key : group_keys) {
        commands.push_back(Command{"EXISTS", key});
    }
    auto replies = (*conn)->pipeline(commands);
    ASSERT_TRUE(replies.ok()) << replies.error().message;
    for (std::size_t i = 0; i < commands.size(); ++i) {
        EXPECT_EQ((*replies)[i]->integer, 0) << commands[i][1];
    }
}

// Many threads beating at once: every call succeeds, each is one ZADD over
// the pool, and the latest expiry per actor wins. Prints the throughput.
TEST_F(RedisPresenceLive, ConcurrentHeartbeatsLatestExpiryWins) {
    constexpr int kThreads = 16;
    constexpr int kPerThread = 500;
    constexpr int kActorsPerThread = 50;
    auto store = open_redis_presence(url_);
    ASSERT_TRUE(store);

    std::atomic<int> failures{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            while (!go.load()) {
                std::this_thread::yield();
            }
            for (int i = 0; i < kPerThread; ++i) {
                const std::string actor = "i:t" + std::to_string(t) + "-" + std::to_string(i % kActorsPerThread);
                // Expiries grow per actor, so the last call is the largest.
                if (!store->record_heartbeat(actor, kT0 + Millis{1000 + i}).ok()) {
                    ++failures;
                }
            }
        });
    }
    const auto start = SteadyClock::now();
    go = true;
    for (auto& thread : threads) {
        thread.join();
    }
    const double elapsed = seconds_since(start);

    EXPECT_EQ(failures.load(), 0);
    const auto stats = store->stats();
    constexpr int kBeats = kThreads * kPerThread;
    EXPECT_EQ(stats.heartbeats, static_cast<std::uint64_t>(kBeats));
    EXPECT_EQ(online_or_minus_one(*store, kT0 + Millis{1000 + kPerThread - 2}), kThreads)
        << "only each actor's last heartbeat (the latest expiry) is still online";
    EXPECT_EQ(online_or_minus_one(*store, kT0), kThreads * kActorsPerThread);
    std::cout << kBeats << " heartbeats from " << kThreads << " threads in " << elapsed
              << " s = " << static_cast<long>(kBeats / elapsed) << "/s, " << stats.heartbeat_writes
              << " ZADD round trips\n";
    EXPECT_EQ(stats.heartbeat_writes, static_cast<std::uint64_t>(kBeats));
}

// ---- recovery: a redis-server of the test's own ---------------------------------

// Runs tools/test-services/redis.sh against a temporary state directory.
class OwnRedis {
public:
    OwnRedis() : script_(std::filesystem::path(BEACON_SOURCE_DIR) / "tools" / "test-services" / "redis.sh") {}
    ~OwnRedis() {
        resume();
        stop();
    }
    OwnRedis(const OwnRedis&) = delete;
    OwnRedis& operator=(const OwnRedis&) = delete;

    // Starts the server (again on the same port after the first start).
    bool start() {
        const std::string port = url_.empty() ? "" : " " + url_.substr(url_.rfind(':') + 1);
        const std::string out = run("start", port);
        if (out.rfind("redis://", 0) != 0) {
            ADD_FAILURE() << "redis.sh start failed: " << out;
            return false;
        }
        url_ = out;
        return true;
    }
    void stop() { (void)run("stop", ""); }
    // SIGSTOP / SIGCONT: a server that accepts connections but never answers.
    void freeze() { send_signal(SIGSTOP); }
    void resume() { send_signal(SIGCONT); }
    const std::string& url() const { return url_; }

private:
    std::string run(const std::string& verb, const std::string& args) {
        const std::string cmd = "bash '" + script_.string() + "' " + verb + " '" + dir_.path().string() + "'" + args;
        std::string out;
        if (FILE* p = ::popen(cmd.c_str(), "r")) {
            char buf[256];
            while (std::fgets(buf, sizeof buf, p) != nullptr) {
                out += buf;
            }
            ::pclose(p);
        }
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) {
            out.pop_back();
        }
        return out;
    }
    void send_signal(int sig) {
        std::ifstream pid_file(dir_.path() / "redis.pid");
        pid_t pid = 0;
        if (pid_file >> pid && pid > 0) {
            ::kill(pid, sig);
        }
    }

    std::filesystem::path script_;
    test::TempDir dir_;
    std::string url_;
};

// Redis is stopped while callers keep beating, then started again on the same
// port: during the outage calls fail with Unavailable promptly, and afterwards
// they succeed again on the same store object.
TEST_F(RedisPresenceLive, RecoversWhenRedisRestarts) {
    OwnRedis redis;
    ASSERT_TRUE(redis.start());
    auto store = open_redis_presence(redis.url());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_heartbeat("u:alice", kT0 + 60s).ok());

    struct Outcome {
        double seconds;
        bool ok;
        ErrorCode code;
    };
    std::atomic<bool> running{true};
    std::vector<std::vector<Outcome>> outcomes(4);
    std::vector<std::thread> beaters;
    for (std::size_t t = 0; t < outcomes.size(); ++t) {
        beaters.emplace_back([&, t] {
            for (int i = 0; running.load(); ++i) {
                const auto start = SteadyClock::now();
                Result<void> r = ok();
                if (t == 0) {
                    if (auto counted = store->count_online(kT0); !counted) {
                        r = counted.error();
                    }
                } else {
                    r = store->record_heartbeat("i:beater-" + std::to_string(t), kT0 + 60s);
                }
                outcomes[t].push_back({seconds_since(start), r.ok(), r.ok() ? ErrorCode::Internal : r.error().code});
                std::this_thread::sleep_for(2ms);
            }
        });
    }
    std::this_thread::sleep_for(300ms);
    redis.stop();
    const auto stopped = SteadyClock::now();

    // While down: each kind of call fails, with Unavailable, and fast.
    auto down = store->record_heartbeat("u:bob", kT0 + 60s);
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(store->estimate_dau(kToday).error().code, ErrorCode::Unavailable);
    EXPECT_EQ(store->ping().error().code, ErrorCode::Unavailable);
    std::cout << "first failure " << seconds_since(stopped) * 1000
              << " ms after redis-server exited: " << down.error().message << "\n";
    std::this_thread::sleep_for(700ms);

    ASSERT_TRUE(redis.start());
    // The very next call works: connections the restart closed are noticed
    // before use, not by failing a call.
    const auto restarted = SteadyClock::now();
    auto back = store->record_heartbeat("u:carol", kT0 + 60s);
    const double back_seconds = seconds_since(restarted);
    EXPECT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(store->ping().ok());
    std::this_thread::sleep_for(500ms);
    running = false;
    for (auto& thread : beaters) {
        thread.join();
    }

    // No persistence: only what was written after the restart is there.
    auto online = store->count_online(kT0);
    ASSERT_TRUE(online.ok()) << online.error().message;
    EXPECT_EQ(*online, 1 + 3) << "carol and the three beaters";

    double slowest = 0;
    int failed = 0;
    for (const auto& per_thread : outcomes) {
        ASSERT_FALSE(per_thread.empty());
        EXPECT_TRUE(per_thread.back().ok) << "calls succeed again after the restart";
        for (const Outcome& o : per_thread) {
            slowest = std::max(slowest, o.seconds);
            if (!o.ok) {
                ++failed;
                EXPECT_EQ(o.code, ErrorCode::Unavailable);
            }
        }
    }
    EXPECT_GT(failed, 0) << "the outage was seen";
    EXPECT_LT(slowest, 2.5) << "no call hangs while Redis is down";
    std::cout << "outage: " << failed << " calls failed with Unavailable, slowest call " << slowest * 1000
              << " ms; first call after the restart succeeded in " << back_seconds * 1000 << " ms\n";
}

// A server that accepts connections but never answers (frozen, or a network
// partition): calls give up after the command timeout, and the store works
// again once it answers.
TEST_F(RedisPresenceLive, FrozenRedisTimesOutThenRecovers) {
    OwnRedis redis;
    ASSERT_TRUE(redis.start());
    auto store = open_redis_presence(redis.url());  // default timeouts: 2 s
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->record_heartbeat("u:alice", kT0 + 60s).ok());

    redis.freeze();
    auto start = SteadyClock::now();
    auto beat = store->record_heartbeat("u:bob", kT0 + 60s);
    const double beat_seconds = seconds_since(start);
    ASSERT_FALSE(beat.ok());
    EXPECT_EQ(beat.error().code, ErrorCode::Unavailable);
    EXPECT_NE(beat.error().message.find("no answer within 2000 ms"), std::string::npos) << beat.error().message;
    EXPECT_GE(beat_seconds, 1.5);
    EXPECT_LT(beat_seconds, 3.0);

    start = SteadyClock::now();
    auto count = store->count_online(kT0);
    const double count_seconds = seconds_since(start);
    ASSERT_FALSE(count.ok());
    EXPECT_EQ(count.error().code, ErrorCode::Unavailable);
    EXPECT_LT(count_seconds, 3.0);
    std::cout << "frozen redis: heartbeat failed after " << beat_seconds * 1000 << " ms, count after "
              << count_seconds * 1000 << " ms: " << beat.error().message << "\n";

    redis.resume();
    auto back = store->record_heartbeat("u:carol", kT0 + 60s);
    EXPECT_TRUE(back.ok()) << back.error().message;
    auto online = store->count_online(kT0);
    ASSERT_TRUE(online.ok()) << online.error().message;
    // Alice from before the freeze and carol; bob's ZADD timed out but sat in
    // the server's socket buffer, so it may have run after the resume.
    EXPECT_GE(*online, 2);
    EXPECT_LE(*online, 3);
}

}  // namespace
}  // namespace beacon
