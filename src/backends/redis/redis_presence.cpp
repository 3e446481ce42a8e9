#include "backends/redis/redis_presence.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <utility>

#include <hiredis/hiredis.h>

namespace beacon::backends::redis {
namespace {

using telemetry::Platform;

constexpr std::size_t kPlatformCount = static_cast<std::size_t>(Platform::Unknown) + 1;
// Members per PFADD, so a large batch never becomes one huge command.
constexpr std::size_t kPfaddChunk = 4096;
// Actors forgotten per remove_expired script call, so Redis is never busy
// with one call for long; and the calls per remove_expired, at most.
constexpr std::size_t kForgetChunk = 1000;
constexpr std::size_t kMaxForgetCalls = 100000;
// Marks per heartbeat script call, at most: its ZADD and HSET unpack two
// values per actor, within the ~8000 that Lua's unpack takes.
constexpr std::size_t kMaxHeartbeatBatch = 2000;

// The scripts touch only keys that share KEYS[1]'s hash tag (they build the
// group keys from it), so on Redis Cluster they stay in its slot.
//
// Heartbeats. The actor's group ("<platform>:<code>" or "<platform>:-") is
// remembered in the :where hash; each actor is in exactly one group's
// sorted set, and the online count is the sum of the groups' counts (there
// is no overall set: a second sorted set doubled Redis's work per
// heartbeat, see docs/PERFORMANCE.md). An actor whose group changed leaves
// its old group's set in the same script.
//
// ARGV, laid out by write_heartbeats so that the script hands slices of it
// to Redis and builds no table per heartbeat: n, the n actors (each once:
// its latest mark in the burst), then per group: the group, m, and m
// (expiry ms, actor) pairs, the actors in the same order as in the list.
// Commands: HMGET of the old groups, ZADD per group, and only for the
// actors that moved ZREM per old group, HSET and SADD. Lua's unpack takes
// at most ~8000 values: a call carries at most kMaxHeartbeatBatch marks.
constexpr std::string_view kHeartbeatScript = R"lua(
local base = KEYS[1]
local n = tonumber(ARGV[1])
local old = redis.call('HMGET', base .. ':where', unpack(ARGV, 2, n + 1))
local moved, groups, leaves = {}, {}, {}
local at, done = n + 2, 0
while at <= #ARGV do
  local group, m = ARGV[at], tonumber(ARGV[at + 1])
  local first = at + 2
  for k = 1, m do
    local was = old[done + k]
    if was ~= group then
      local actor = ARGV[first + 2 * k - 1]
      if was then
        local l = leaves[was]
        if not l then
          l = {}
          leaves[was] = l
        end
        l[#l + 1] = actor
      end
      moved[#moved + 1] = actor
      moved[#moved + 1] = group
      if groups[#groups] ~= group then groups[#groups + 1] = group end
    end
  end
  redis.call('ZADD', base .. ':v:' .. group, unpack(ARGV, first, first + 2 * m - 1))
  done = done + m
  at = first + 2 * m
end
for g, l in pairs(leaves) do redis.call('ZREM', base .. ':v:' .. g, unpack(l)) end
if #moved > 0 then
  redis.call('HSET', base .. ':where', unpack(moved))
  redis.call('SADD', base .. ':groups', unpack(groups))
end
return n
)lua";

// ARGV = the exclusive minimum expiry ("(<now ms>"): the online actors,
// summed over every group.
constexpr std::string_view kCountOnlineScript = R"lua(
local base = KEYS[1]
local n = 0
for _, g in ipairs(redis.call('SMEMBERS', base .. ':groups')) do
  n = n + redis.call('ZCOUNT', base .. ':v:' .. g, ARGV[1], '+inf')
end
return n
)lua";

// ARGV = platform, the exclusive minimum expiry ("(<now ms>"): the
// platform's groups with their online counts, as (group, count) pairs.
constexpr std::string_view kCountGroupsScript = R"lua(
local online = KEYS[1]
local prefix = ARGV[1] .. ':'
local out = {}
for _, g in ipairs(redis.call('SMEMBERS', online .. ':groups')) do
  if string.sub(g, 1, #prefix) == prefix then
    local n = redis.call('ZCOUNT', online .. ':v:' .. g, ARGV[2], '+inf')
    if n > 0 then
      out[#out + 1] = g
      out[#out + 1] = n
    end
  end
end
return out
)lua";

// ARGV = the inclusive maximum expiry (now ms), a limit: forgets at most
// `limit` expired actors (from their group's set and :where), takes the
// groups left empty (by expiry or by moves) out of :groups, and returns how
// many actors it forgot.
constexpr std::string_view kForgetScript = R"lua(
local base = KEYS[1]
local limit = tonumber(ARGV[2])
local gone = 0
for _, g in ipairs(redis.call('SMEMBERS', base .. ':groups')) do
  local key = base .. ':v:' .. g
  if gone < limit then
    local actors = redis.call('ZRANGEBYSCORE', key, '-inf', ARGV[1], 'LIMIT', 0, limit - gone)
    if #actors > 0 then
      redis.call('ZREM', key, unpack(actors))
      redis.call('HDEL', base .. ':where', unpack(actors))
      gone = gone + #actors
    end
  end
  if redis.call('ZCARD', key) == 0 then redis.call('SREM', base .. ':groups', g) end
end
return gone
)lua";

// KEYS[1] = a day's platform key: its per-version estimates, as (code or
// "-", count) pairs.
constexpr std::string_view kDauVersionsScript = R"lua(
local base = KEYS[1]
local out = {}
for _, c in ipairs(redis.call('SMEMBERS', base .. ':versions')) do
  out[#out + 1] = c
  out[#out + 1] = redis.call('PFCOUNT', base .. ':v:' .. c)
end
return out
)lua";

// KEYS[1] = a day's key, ARGV = the platform names: deletes the day's
// per-version estimates.
constexpr std::string_view kDropDauVersionsScript = R"lua(
for _, p in ipairs(ARGV) do
  local base = KEYS[1] .. ':' .. p
  for _, c in ipairs(redis.call('SMEMBERS', base .. ':versions')) do
    redis.call('DEL', base .. ':v:' .. c)
  end
  redis.call('DEL', base .. ':versions')
end
return 0
)lua";

bool is_noscript(const redisReply& reply) {
    constexpr std::string_view kNoScript = "NOSCRIPT";
    return reply.type == REDIS_REPLY_ERROR && std::string_view(reply.str, reply.len).starts_with(kNoScript);
}

std::string code_text(std::optional<telemetry::VersionCode> code) {
    return code ? std::to_string(*code) : std::string("-");
}

std::string group_text(Platform platform, std::optional<telemetry::VersionCode> code) {
    std::string g(telemetry::to_string(platform));
    g += ':';
    g += code_text(code);
    return g;
}

// The inverse of code_text: nullopt for "-"; false for anything else that
// is no version code (a key written by something else).
bool parse_code(std::string_view text, std::optional<telemetry::VersionCode>& code) {
    if (text == "-") {
        code.reset();
        return true;
    }
    std::int64_t v = 0;
    if (text.empty() || text.size() > 10) {
        return false;
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    if (v > telemetry::kMaxVersionCode) {
        return false;
    }
    code = static_cast<telemetry::VersionCode>(v);
    return true;
}

// (code text, count) pairs of a script's array reply, after `skip` bytes of
// each text (the group's "<platform>:").
Result<std::vector<telemetry::VersionCount>> version_counts(const redisReply& reply,
                                                            std::size_t skip,
                                                            std::string_view what) {
    auto bad = [&] { return make_error(ErrorCode::Unavailable, std::string(what) + ": unexpected reply from Redis"); };
    if (reply.type == REDIS_REPLY_ERROR) {
        return check_reply(reply, what).error();
    }
    if (reply.type != REDIS_REPLY_ARRAY || reply.elements % 2 != 0) {
        return bad();
    }
    std::vector<telemetry::VersionCount> counts;
    for (std::size_t i = 0; i < reply.elements; i += 2) {
        const redisReply* name = reply.element[i];
        const redisReply* n = reply.element[i + 1];
        if (name->type != REDIS_REPLY_STRING || n->type != REDIS_REPLY_INTEGER || name->len < skip) {
            return bad();
        }
        telemetry::VersionCount vc;
        if (!parse_code(std::string_view(name->str + skip, name->len - skip), vc.version_code)) {
            continue;  // not ours
        }
        vc.count = n->integer;
        if (vc.count > 0) {
            counts.push_back(vc);
        }
    }
    telemetry::sort_version_counts(counts);
    return counts;
}

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
    if (o.pool_size == 0 || o.max_heartbeat_batch == 0 || o.max_heartbeat_batch > kMaxHeartbeatBatch) {
        return bad("pool size must be at least 1 and the heartbeat batch 1 to " + std::to_string(kMaxHeartbeatBatch));
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
    auto loaded = store->pool_.run(Command{"SCRIPT", "LOAD", kHeartbeatScript});
    if (!loaded) {
        return std::move(loaded).error().with_context("loading the heartbeat script");
    }
    const redisReply& sha = *loaded->front();
    if (auto checked = check_reply(sha, "SCRIPT LOAD"); !checked) {
        return std::move(checked).error().with_context("loading the heartbeat script");
    }
    if (sha.type != REDIS_REPLY_STRING) {
        return make_error(ErrorCode::Unavailable, "loading the heartbeat script: unexpected reply from Redis");
    }
    store->heartbeat_sha_.assign(sha.str, sha.len);
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

Result<void> RedisPresence::record_heartbeat(const telemetry::HeartbeatMark& mark) {
    return record_heartbeats(std::span(&mark, 1));
}

Result<void> RedisPresence::record_heartbeats(std::span<const telemetry::HeartbeatMark> marks) {
    heartbeats_.fetch_add(marks.size(), std::memory_order_relaxed);
    for (std::size_t start = 0; start < marks.size(); start += options_.max_heartbeat_batch) {
        const std::size_t end = std::min(marks.size(), start + options_.max_heartbeat_batch);
        if (auto r = write_heartbeats(marks.subspan(start, end - start)); !r) {
            return r;
        }
    }
    return ok();
}

Result<void> RedisPresence::write_heartbeats(std::span<const telemetry::HeartbeatMark> batch) {
    // Each actor's last mark (the latest heartbeat wins), grouped by group in
    // the order the groups first appear: the script's layout (above).
    std::unordered_map<std::string_view, std::size_t> last;
    last.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        last[batch[i].actor] = i;
    }
    std::vector<std::string> group_names;
    std::vector<std::vector<std::size_t>> members;
    std::unordered_map<std::string, std::size_t> group_index;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        if (last[batch[i].actor] != i) {
            continue;
        }
        auto [it, added] =
            group_index.try_emplace(group_text(batch[i].platform, batch[i].version_code), group_names.size());
        if (added) {
            group_names.push_back(it->first);
            members.emplace_back();
        }
        members[it->second].push_back(i);
    }

    std::vector<std::string> texts;
    texts.reserve(1 + last.size() + group_names.size());  // no reallocation: the command views into it
    Command eval;
    eval.reserve(5 + 3 * last.size() + 2 * group_names.size());
    if (heartbeat_sha_.empty()) {
        eval.push_back("EVAL");
        eval.push_back(kHeartbeatScript);
    } else {
        eval.push_back("EVALSHA");
        eval.push_back(heartbeat_sha_);
    }
    eval.push_back("1");
    eval.push_back(online_key_);
    texts.push_back(std::to_string(last.size()));
    eval.push_back(texts.back());
    for (const std::vector<std::size_t>& group : members) {
        for (std::size_t i : group) {
            eval.push_back(batch[i].actor);
        }
    }
    for (std::size_t g = 0; g < group_names.size(); ++g) {
        eval.push_back(group_names[g]);
        texts.push_back(std::to_string(members[g].size()));
        eval.push_back(texts.back());
        for (std::size_t i : members[g]) {
            texts.push_back(std::to_string(to_epoch_ms(batch[i].expires_at)));
            eval.push_back(texts.back());
            eval.push_back(batch[i].actor);
        }
    }
    heartbeat_writes_.fetch_add(1, std::memory_order_relaxed);
    auto replies = pool_.run(eval);
    if (replies && is_noscript(*replies->front())) {  // Redis restarted or flushed its scripts
        eval[0] = "EVAL";
        eval[1] = kHeartbeatScript;
        replies = pool_.run(eval);
    }
    if (!replies) {
        return std::move(replies).error().with_context("recording heartbeat");
    }
    auto added = integer_reply(*replies->front(), "EVAL heartbeats");
    if (!added) {
        return std::move(added).error().with_context("recording heartbeat");
    }
    return ok();
}

Result<std::int64_t> RedisPresence::count_online(TimePoint now) {
    // Expiry strictly after now: "(" makes the minimum exclusive.
    std::string min = "(";  // (not "(" + ...: g++ 12 -O3 warns falsely with -Wrestrict)
    min += std::to_string(to_epoch_ms(now));
    auto replies = pool_.run(Command{"EVAL", kCountOnlineScript, "1", online_key_, min});
    if (!replies) {
        return std::move(replies).error().with_context("counting online actors");
    }
    auto count = integer_reply(*replies->front(), "EVAL count");
    if (!count) {
        return std::move(count).error().with_context("counting online actors");
    }
    return count;
}

Result<std::vector<telemetry::VersionCount>> RedisPresence::count_online_by_version(Platform platform, TimePoint now) {
    std::string min = "(";
    min += std::to_string(to_epoch_ms(now));
    const std::string_view name = telemetry::to_string(platform);
    auto replies = pool_.run(Command{"EVAL", kCountGroupsScript, "1", online_key_, name, min});
    if (!replies) {
        return std::move(replies).error().with_context("counting online actors per version");
    }
    auto counts = version_counts(*replies->front(), name.size() + 1, "counting online actors per version");
    if (!counts) {
        return std::move(counts).error();
    }
    return counts;
}

Result<std::int64_t> RedisPresence::remove_expired(TimePoint now) {
    const std::string max = std::to_string(to_epoch_ms(now));  // inclusive: expiry at now is expired
    const std::string limit = std::to_string(kForgetChunk);
    std::int64_t removed = 0;
    for (std::size_t call = 0; call < kMaxForgetCalls; ++call) {
        auto replies = pool_.run(Command{"EVAL", kForgetScript, "1", online_key_, max, limit});
        if (!replies) {
            return std::move(replies).error().with_context("removing expired actors");
        }
        auto gone = integer_reply(*replies->front(), "EVAL forget");
        if (!gone) {
            return std::move(gone).error().with_context("removing expired actors");
        }
        removed += *gone;
        if (static_cast<std::size_t>(*gone) < kForgetChunk) {
            break;
        }
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
        std::map<std::pair<Platform, std::optional<telemetry::VersionCode>>, std::vector<std::string_view>> by_version;
    };
    std::map<Day, DayMembers> days;
    std::size_t key_count = 0;
    for (const telemetry::DauMark& mark : marks) {
        const auto p = static_cast<std::size_t>(mark.platform);
        assert(p < kPlatformCount);
        DayMembers& day = days[mark.day];
        day.all.push_back(mark.actor);
        day.by_platform[p].push_back(mark.actor);
        day.by_version[{mark.platform, mark.version_code}].push_back(mark.actor);
    }
    for (const auto& [day, members] : days) {
        key_count += 1 + kPlatformCount + 3 * members.by_version.size();
    }

    std::vector<std::string> keys;
    keys.reserve(key_count);  // no reallocation: commands view into it
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
        for (const auto& [group, actors] : members.by_version) {
            const std::string platform_key = dau_key(day, group.first);
            keys.push_back(code_text(group.second));
            const std::string_view code = keys.back();
            add_key(platform_key + ":v:" + std::string(code), actors);
            keys.push_back(platform_key + ":versions");
            commands.push_back(Command{"SADD", keys.back(), code});
            commands.push_back(Command{"EXPIRE", keys.back(), ttl_seconds_});
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

Result<std::vector<telemetry::VersionCount>> RedisPresence::estimate_dau_by_version(Day day, Platform platform) {
    const std::string key = dau_key(day, platform);
    auto replies = pool_.run(Command{"EVAL", kDauVersionsScript, "1", key});
    if (!replies) {
        return std::move(replies).error().with_context("reading the DAU estimate per version");
    }
    auto counts = version_counts(*replies->front(), 0, "reading the DAU estimate per version");
    if (!counts) {
        return std::move(counts).error();
    }
    return counts;
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
        Command drop_versions{"EVAL", kDropDauVersionsScript, "1", keys[keys.size() - 1 - kPlatformCount]};
        for (std::size_t p = 0; p < kPlatformCount; ++p) {
            drop_versions.push_back(telemetry::to_string(static_cast<Platform>(p)));
        }
        commands.push_back(std::move(drop_versions));
    }
    auto replies = pool_.run(commands);
    if (!replies) {
        return std::move(replies).error().with_context("dropping old DAU estimates");
    }
    for (const ReplyPtr& reply : *replies) {
        auto checked = check_reply(*reply, "DEL / EVAL");
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
