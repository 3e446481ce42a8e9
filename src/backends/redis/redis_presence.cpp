#include "backends/redis/redis_presence.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <map>
#include <utility>

namespace beacon::backends::redis {
namespace {

using telemetry::Platform;

constexpr std::size_t kPlatformCount = static_cast<std::size_t>(Platform::Unknown) + 1;
// Members per PFADD, so a large batch never becomes one huge command.
constexpr std::size_t kPfaddChunk = 4096;

std::string day_text(Day day) {
    const std::chrono::year_month_day ymd{day};
    char buf[32];
    std::snprintf(buf,
                  sizeof buf,
                  "%04d-%02u-%02u",
                  static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return buf;
}

Result<void> validate(const RedisPresenceOptions& o) {
    auto bad = [](std::string why) { return make_error(ErrorCode::InvalidArgument, "redis presence: " + why); };
    if (o.key_prefix.empty() || o.key_prefix.find_first_of("{}") != std::string::npos) {
        return bad("key prefix must be non-empty and contain no '{' or '}'");
    }
    if (o.pool_size == 0 || o.max_heartbeat_batch == 0) {
        return bad("pool size and heartbeat batch must be at least 1");
    }
    if (o.dau_ttl.count() <= 0 || o.dau_drop_lookback_days < 0) {
        return bad("DAU TTL must be positive and the drop lookback non-negative");
    }
    return ok();
}

}  // namespace

Result<std::unique_ptr<RedisPresence>> RedisPresence::open(RedisEndpoint endpoint, RedisPresenceOptions options) {
    auto valid = validate(options);
    if (!valid) {
        return std::move(valid).error();
    }
    auto store = std::make_unique<RedisPresence>(std::move(endpoint), std::move(options));
    auto pinged = store->ping();
    if (!pinged) {
        return std::move(pinged).error();
    }
    return store;
}

RedisPresence::RedisPresence(RedisEndpoint endpoint, RedisPresenceOptions options)
    : pool_(std::move(endpoint), options.pool_size),
      options_(std::move(options)),
      online_key_("{" + options_.key_prefix + ":presence}"),
      ttl_seconds_(std::to_string(options_.dau_ttl.count())) {
    assert(validate(options_).ok());
}

RedisPresence::~RedisPresence() = default;

std::string RedisPresence::dau_key(Day day) const {
    return "{" + options_.key_prefix + ":dau:" + day_text(day) + "}";
}

std::string RedisPresence::dau_key(Day day, Platform platform) const {
    return dau_key(day) + ":" + std::string(telemetry::to_string(platform));
}

RedisPresence::Stats RedisPresence::stats() const {
    return Stats{heartbeats_.load(std::memory_order_relaxed), heartbeat_writes_.load(std::memory_order_relaxed)};
}

// ---- online set -------------------------------------------------------------

Result<void> RedisPresence::record_heartbeat(std::string_view actor, TimePoint expires_at) {
    heartbeats_.fetch_add(1, std::memory_order_relaxed);
    const std::pair<std::string_view, std::int64_t> alone{actor, to_epoch_ms(expires_at)};
    return write_heartbeats(std::span(&alone, 1));
}

Result<void> RedisPresence::record_heartbeats(std::span<const telemetry::HeartbeatMark> marks) {
    heartbeats_.fetch_add(marks.size(), std::memory_order_relaxed);
    std::vector<std::pair<std::string_view, std::int64_t>> pairs;
    for (std::size_t start = 0; start < marks.size(); start += options_.max_heartbeat_batch) {
        const std::size_t end = std::min(marks.size(), start + options_.max_heartbeat_batch);
        pairs.clear();
        for (std::size_t i = start; i < end; ++i) {
            pairs.emplace_back(marks[i].actor, to_epoch_ms(marks[i].expires_at));
        }
        if (auto r = write_heartbeats(pairs); !r) {
            return r;
        }
    }
    return ok();
}

Result<void> RedisPresence::write_heartbeats(std::span<const std::pair<std::string_view, std::int64_t>> batch) {
    std::vector<std::string> scores;
    scores.reserve(batch.size());  // no reallocation: the command views into it
    Command zadd;
    zadd.reserve(2 + 2 * batch.size());
    zadd.push_back("ZADD");
    zadd.push_back(online_key_);
    for (const auto& [actor, expiry_ms] : batch) {
        scores.push_back(std::to_string(expiry_ms));
        zadd.push_back(scores.back());
        zadd.push_back(actor);
    }
    heartbeat_writes_.fetch_add(1, std::memory_order_relaxed);
    auto replies = pool_.run(zadd);
    if (!replies) {
        return std::move(replies).error().with_context("recording heartbeat");
    }
    auto added = integer_reply(*replies->front(), "ZADD");
    if (!added) {
        return std::move(added).error().with_context("recording heartbeat");
    }
    return ok();
}

Result<std::int64_t> RedisPresence::count_online(TimePoint now) {
    // Expiry strictly after now: "(" makes the minimum exclusive.
    std::string min = "(";  // (not "(" + ...: g++ 12 -O3 warns falsely with -Wrestrict)
    min += std::to_string(to_epoch_ms(now));
    auto replies = pool_.run(Command{"ZCOUNT", online_key_, min, "+inf"});
    if (!replies) {
        return std::move(replies).error().with_context("counting online actors");
    }
    auto count = integer_reply(*replies->front(), "ZCOUNT");
    if (!count) {
        return std::move(count).error().with_context("counting online actors");
    }
    return count;
}

Result<std::int64_t> RedisPresence::remove_expired(TimePoint now) {
    const std::string max = std::to_string(to_epoch_ms(now));  // inclusive: expiry at now is expired
    auto replies = pool_.run(Command{"ZREMRANGEBYSCORE", online_key_, "-inf", max});
    if (!replies) {
        return std::move(replies).error().with_context("removing expired actors");
    }
    auto removed = integer_reply(*replies->front(), "ZREMRANGEBYSCORE");
    if (!removed) {
        return std::move(removed).error().with_context("removing expired actors");
    }
    return removed;
}

// ---- DAU estimate -------------------------------------------------------------

Result<void> RedisPresence::add_to_dau(std::span<const telemetry::DauMark> marks) {
    if (marks.empty()) {
        return ok();
    }
    struct DayMembers {
        std::vector<std::string_view> all;
        std::array<std::vector<std::string_view>, kPlatformCount> by_platform;
    };
    std::map<Day, DayMembers> days;
    for (const telemetry::DauMark& mark : marks) {
        const auto p = static_cast<std::size_t>(mark.platform);
        assert(p < kPlatformCount);
        DayMembers& day = days[mark.day];
        day.all.push_back(mark.actor);
        day.by_platform[p].push_back(mark.actor);
    }

    std::vector<std::string> keys;
    keys.reserve(days.size() * (1 + kPlatformCount));  // no reallocation: commands view into it
    std::vector<Command> commands;
    auto add_key = [&](std::string key, const std::vector<std::string_view>& members) {
        keys.push_back(std::move(key));
        const std::string_view k = keys.back();
        for (std::size_t start = 0; start < members.size(); start += kPfaddChunk) {
            const std::size_t end = std::min(members.size(), start + kPfaddChunk);
            Command pfadd;
            pfadd.reserve(2 + end - start);
            pfadd.push_back("PFADD");
            pfadd.push_back(k);
            pfadd.insert(pfadd.end(),
                         members.begin() + static_cast<std::ptrdiff_t>(start),
                         members.begin() + static_cast<std::ptrdiff_t>(end));
            commands.push_back(std::move(pfadd));
        }
        commands.push_back(Command{"EXPIRE", k, ttl_seconds_});
    };
    for (const auto& [day, members] : days) {
        add_key(dau_key(day), members.all);
        for (std::size_t p = 0; p < kPlatformCount; ++p) {
            if (!members.by_platform[p].empty()) {
                add_key(dau_key(day, static_cast<Platform>(p)), members.by_platform[p]);
            }
        }
    }

    auto replies = pool_.run(commands);
    if (!replies) {
        return std::move(replies).error().with_context("adding to the DAU estimate");
    }
    for (std::size_t i = 0; i < commands.size(); ++i) {
        auto checked = check_reply(*(*replies)[i], commands[i][0]);
        if (!checked) {
            return std::move(checked).error().with_context("adding to the DAU estimate");
        }
    }
    return ok();
}

Result<telemetry::DauEstimate> RedisPresence::estimate_dau(Day day) {
    // The platform set is fixed, so count every platform key instead of
    // discovering them (KEYS/SCAN); a missing key counts 0 and an added actor
    // always makes a sketch count at least 1, so zero means "none added".
    std::array<std::string, 1 + kPlatformCount> keys;
    keys[0] = dau_key(day);
    for (std::size_t p = 0; p < kPlatformCount; ++p) {
        keys[1 + p] = dau_key(day, static_cast<Platform>(p));
    }
    std::vector<Command> commands;
    commands.reserve(keys.size());
    for (const std::string& key : keys) {
        commands.push_back(Command{"PFCOUNT", key});
    }
    auto replies = pool_.run(commands);
    if (!replies) {
        return std::move(replies).error().with_context("reading the DAU estimate");
    }
    telemetry::DauEstimate estimate;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        auto count = integer_reply(*(*replies)[i], "PFCOUNT");
        if (!count) {
            return std::move(count).error().with_context("reading the DAU estimate");
        }
        if (i == 0) {
            estimate.total = *count;
        } else if (*count > 0) {
            estimate.by_platform.emplace(telemetry::to_string(static_cast<Platform>(i - 1)), *count);
        }
    }
    return estimate;
}

Result<void> RedisPresence::drop_dau_before(Day day) {
    const auto lookback = static_cast<std::size_t>(options_.dau_drop_lookback_days);
    if (lookback == 0) {
        return ok();
    }
    std::vector<std::string> keys;
    keys.reserve(lookback * (1 + kPlatformCount));  // no reallocation: commands view into it
    std::vector<Command> commands;
    commands.reserve(lookback);
    for (std::size_t back = 1; back <= lookback; ++back) {
        const Day old = day - std::chrono::days{static_cast<int>(back)};
        // One DEL per day: its keys share a hash slot, as Redis Cluster requires.
        Command del{"DEL"};
        keys.push_back(dau_key(old));
        del.push_back(keys.back());
        for (std::size_t p = 0; p < kPlatformCount; ++p) {
            keys.push_back(dau_key(old, static_cast<Platform>(p)));
            del.push_back(keys.back());
        }
        commands.push_back(std::move(del));
    }
    auto replies = pool_.run(commands);
    if (!replies) {
        return std::move(replies).error().with_context("dropping old DAU estimates");
    }
    for (const ReplyPtr& reply : *replies) {
        auto checked = check_reply(*reply, "DEL");
        if (!checked) {
            return std::move(checked).error().with_context("dropping old DAU estimates");
        }
    }
    return ok();
}

Result<void> RedisPresence::ping() {
    auto replies = pool_.run(Command{"PING"});
    if (!replies) {
        return std::move(replies).error();
    }
    return check_reply(*replies->front(), "PING");
}

}  // namespace beacon::backends::redis
