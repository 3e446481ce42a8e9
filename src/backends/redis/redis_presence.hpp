#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "backends/redis/redis_connection.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "telemetry/presence_store.hpp"

namespace beacon::backends::redis {

struct RedisPresenceOptions {
    // Start of every key name; tests use a unique one each. Must not be empty
    // or contain '{' or '}' (it sits inside the hash tag).
    std::string key_prefix = "beacon";
    // Connections to Redis at most (heartbeat flushes, counts, DAU, ping).
    std::size_t pool_size = 4;
    std::size_t max_heartbeat_batch = 1024;  // actors per script call of record_heartbeats
    // DAU keys expire this long after their last add: with marks added during
    // their day, at least 3 days after the day ends in any time zone.
    std::chrono::seconds dau_ttl = std::chrono::days{4};
    // How many days before the boundary drop_dau_before() deletes; older keys
    // have expired anyway (dau_ttl).
    int dau_drop_lookback_days = 30;
};

// The PresenceStore on Redis 7 (hiredis), for running several replicas.
//
// Keys (hash tags let Redis Cluster place them; each command or script
// touches one slot):
//   {<prefix>:presence}:v:<group>     sorted set, member = actor, score = expiry epoch ms,
//                                     for the actors whose latest heartbeat is in
//                                     <group> = "<platform>:<code>" ("-": none)
//   {<prefix>:presence}:where         hash, actor -> its group
//   {<prefix>:presence}:groups        set of the groups with actors
//   {<prefix>:dau:YYYY-MM-DD}         HyperLogLog of the day's actors
//   {<prefix>:dau:YYYY-MM-DD}:<platform>   HyperLogLog per platform
//   {<prefix>:dau:YYYY-MM-DD}:<platform>:v:<code>   HyperLogLog per version code ("-": none)
//   {<prefix>:dau:YYYY-MM-DD}:<platform>:versions   set of the codes above
// A day's keys share a slot, so its estimate is one pipelined round trip.
//
// Commands: record_heartbeat(s) = one EVALSHA per batch (ZADD to the actor's
// group, moving it out of its previous group when the group changed; one
// variadic command per key); count_online = one EVAL (ZCOUNT (now +inf of
// every group, summed; removes nothing); count_online_by_version = one
// EVAL (ZCOUNT of each group of the platform); remove_expired = EVALs that
// forget up to 1000 expired actors each (group, :where; a group left empty
// leaves :groups);
// add_to_dau = PFADD + EXPIRE per key (and SADD of the code), one
// pipeline; estimate_dau = PFCOUNT of the day key and the six platform
// keys, one pipeline, platforms at zero omitted; estimate_dau_by_version =
// one EVAL; drop_dau_before = DEL of each day's keys and an EVAL for its
// version keys within the lookback, one pipeline. Redis's HyperLogLog is
// P=14, like the in-process store.
//
// Heartbeats: record_heartbeat is one script call per call, concurrent calls spread
// over the pool. Bursts are grouped above this store, by
// telemetry::HeartbeatBatcher (one writer thread, one record_heartbeats call
// per burst, max_heartbeat_batch actors per script call), which is what the server
// uses with Redis, so no I/O thread waits on it.
//
// Errors: Unavailable, with a short message, when Redis cannot be reached,
// times out (RedisEndpoint timeouts, 2 s by default) or answers with an error.
// A broken connection is discarded and the next call reconnects, so the store
// recovers by itself when Redis returns. Thread-safe.
class RedisPresence final : public telemetry::PresenceStore, public HealthProbe {
public:
    // Validates the options and PINGs once, so a wrong address or password
    // stops the start, and loads the heartbeat script (SCRIPT LOAD: a burst
    // then sends its SHA1, not its text; after a restart or SCRIPT FLUSH the
    // first call that gets NOSCRIPT sends the text again).
    // InvalidArgument for bad options, Unavailable otherwise.
    static Result<std::unique_ptr<RedisPresence>> open(RedisEndpoint endpoint, RedisPresenceOptions options = {});

    // No I/O; connects on first use and sends the heartbeat script's text
    // with every call. `options` must be valid (see open()).
    RedisPresence(RedisEndpoint endpoint, RedisPresenceOptions options);
    ~RedisPresence() override;
    RedisPresence(const RedisPresence&) = delete;
    RedisPresence& operator=(const RedisPresence&) = delete;

    // telemetry::PresenceStore
    using telemetry::PresenceStore::record_heartbeat;
    Result<void> record_heartbeat(const telemetry::HeartbeatMark& mark) override;
    // One script call per max_heartbeat_batch marks (telemetry::HeartbeatBatcher's path).
    Result<void> record_heartbeats(std::span<const telemetry::HeartbeatMark> marks) override;
    Result<std::int64_t> count_online(TimePoint now) override;
    Result<std::vector<telemetry::VersionCount>> count_online_by_version(telemetry::Platform platform,
                                                                         TimePoint now) override;
    Result<std::int64_t> remove_expired(TimePoint now) override;
    Result<void> add_to_dau(std::span<const telemetry::DauMark> marks) override;
    Result<telemetry::DauEstimate> estimate_dau(Day day) override;
    Result<std::vector<telemetry::VersionCount>> estimate_dau_by_version(Day day,
                                                                         telemetry::Platform platform) override;
    Result<void> drop_dau_before(Day day) override;

    // HealthProbe: PING.
    Result<void> ping() override;

    struct Stats {
        std::uint64_t heartbeats = 0;        // heartbeats recorded (record_heartbeat(s))
        std::uint64_t heartbeat_writes = 0;  // script round trips they took
    };
    Stats stats() const;

    const std::string& online_key() const { return online_key_; }
    std::string dau_key(Day day) const;
    std::string dau_key(Day day, telemetry::Platform platform) const;

private:
    // One heartbeat script call for `batch`, in order.
    Result<void> write_heartbeats(std::span<const telemetry::HeartbeatMark> batch);

    RedisPool pool_;
    const RedisPresenceOptions options_;
    const std::string online_key_;
    const std::string ttl_seconds_;
    std::string heartbeat_sha_;  // set by open(), before any use; empty: send the text

    std::atomic<std::uint64_t> heartbeats_{0};
    std::atomic<std::uint64_t> heartbeat_writes_{0};
};

}  // namespace beacon::backends::redis
