#include "telemetry/presence_service.hpp"

#include <future>

#include <boost/json.hpp>

#include "telemetry/version_code.hpp"

namespace beacon::telemetry {
namespace {

namespace json = boost::json;

// The fields of a heartbeat body, read from a Boost.JSON document or from
// a FlatObject (the fast path), so that both go through one set of rules.
// string(): nullopt when absent or null; sets `bad` when present with another
// type. version_code(): false when present (not null) and not a valid code.
class JsonFields {
public:
    explicit JsonFields(const json::object& o) : o_(o) {}
    std::optional<std::string_view> string(std::string_view key, bool& bad) const {
        const json::value* v = o_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return std::nullopt;
        }
        if (!v->is_string()) {
            bad = true;
            return std::nullopt;
        }
        return std::string_view(v->get_string());
    }
    bool version_code(std::string_view key, std::optional<VersionCode>& out) const {
        const json::value* v = o_.if_contains(key);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        out = read_version_code(*v);
        return out.has_value();
    }

private:
    const json::object& o_;
};

class FlatFields {
public:
    explicit FlatFields(const FlatObject& o) : o_(o) {}
    std::optional<std::string_view> string(std::string_view key, bool& bad) const {
        const FlatMember* m = o_.find(key);
        if (m == nullptr || m->kind == FlatMember::Kind::Null) {
            return std::nullopt;
        }
        if (m->kind != FlatMember::Kind::String) {
            bad = true;
            return std::nullopt;
        }
        return m->text;
    }
    bool version_code(std::string_view key, std::optional<VersionCode>& out) const {
        const FlatMember* m = o_.find(key);
        if (m == nullptr || m->kind == FlatMember::Kind::Null) {
            return true;
        }
        if (m->kind == FlatMember::Kind::Int) {
            out = read_version_code(json::value(m->number));  // a scalar: no allocation
        }
        return out.has_value();
    }

private:
    const FlatObject& o_;
};

template <class Fields>
Result<Heartbeat> read_heartbeat(const Fields& o, const std::optional<std::string>& token_user) {
    Heartbeat hb;
    bool bad = false;
    auto install = o.string("installId", bad);
    if (bad || !install) {
        return invalid_field("installId", bad ? "must be a string" : "is required");
    }
    if (!is_valid_install_id(*install)) {
        return invalid_field("installId", "must be 8 to 128 characters of [A-Za-z0-9._:-]");
    }
    hb.install_id = std::string(*install);

    if (token_user && !is_valid_user_id(*token_user)) {
        return invalid_field(
            "userId", "the token's sub is the userId and must be 1 to 128 characters without control characters");
    }
    auto user = o.string("userId", bad);
    if (bad || (user && !is_valid_user_id(*user))) {
        return invalid_field("userId", "must be a string of 1 to 128 characters without control characters");
    }
    if (token_user) {
        hb.user_id = token_user;
    } else if (user) {
        hb.user_id = std::string(*user);
    }

    auto platform = o.string("platform", bad);
    if (bad) {
        return invalid_field("platform", "must be a string");
    }
    if (platform) {
        hb.platform = parse_platform(*platform);
        if (!hb.platform) {
            return invalid_field("platform", "must be one of android, ios, web, desktop, other");
        }
    }

    auto version = o.string("appVersion", bad);
    if (bad || (version && !is_valid_text(*version, 128))) {
        return invalid_field("appVersion", "must be 1 to 128 characters without control characters");
    }
    if (version) {
        hb.app_version = std::string(*version);
    }

    auto region = o.string("region", bad);
    if (bad) {
        return invalid_field("region", "must be a string");
    }
    if (region) {
        hb.region = normalize_region(*region);
        if (!hb.region) {
            return invalid_field("region", "must be two ASCII letters (ISO 3166-1 alpha-2)");
        }
    }

    if (!o.version_code("versionCode", hb.version_code)) {
        return invalid_field("versionCode", std::string(kVersionCodeRule));
    }
    return hb;
}

}  // namespace

Result<Heartbeat> parse_heartbeat(const json::value& body, const std::optional<std::string>& token_user) {
    const json::object* o = body.if_object();
    if (o == nullptr) {
        return invalid_field("", "the body must be a JSON object");
    }
    return read_heartbeat(JsonFields(*o), token_user);
}

Result<Heartbeat> parse_heartbeat(const FlatObject& body, const std::optional<std::string>& token_user) {
    return read_heartbeat(FlatFields(body), token_user);
}

PresenceService::PresenceService(PresenceStore& store,
                                 const Clock& clock,
                                 const TelemetrySettings& settings,
                                 HeartbeatRecording recording)
    : store_(store), clock_(clock), settings_(settings) {
    if (recording == HeartbeatRecording::Batched) {
        batcher_ = std::make_unique<HeartbeatBatcher>(store_);
    }
}

PresenceService::~PresenceService() {
    stop();
}

void PresenceService::stop() {
    if (batcher_) {
        batcher_->stop();
    }
}

HeartbeatMark PresenceService::mark(const Heartbeat& hb, TimePoint now) const {
    return HeartbeatMark{actor_key(hb.install_id, hb.user_id),
                         now + std::chrono::seconds(settings_.online_window_s),
                         hb.platform.value_or(Platform::Unknown),
                         hb.version_code};
}

void PresenceService::record(const Heartbeat& hb, HeartbeatDone done) {
    const TimePoint now = clock_.now();
    HeartbeatMark m = mark(hb, now);
    if (batcher_) {
        batcher_->submit(std::move(m), [now, done = std::move(done)](Result<void> written) {
            done(written ? Result<TimePoint>(now) : Result<TimePoint>(std::move(written).error()));
        });
        return;
    }
    auto r = store_.record_heartbeat(m);
    done(r ? Result<TimePoint>(now) : Result<TimePoint>(std::move(r).error()));
}

Result<TimePoint> PresenceService::heartbeat(const Heartbeat& hb) {
    std::promise<Result<TimePoint>> promise;
    auto result = promise.get_future();
    record(hb, [&promise](Result<TimePoint> r) { promise.set_value(std::move(r)); });
    return result.get();
}

Result<OnlineCount> PresenceService::online() {
    TimePoint now = clock_.now();
    std::int64_t at = cached_at_ms_.load(std::memory_order_acquire);
    if (at >= 0 && at <= to_epoch_ms(now) && to_epoch_ms(now) - at < 1000) {
        return OnlineCount{
            cached_online_.load(std::memory_order_relaxed), settings_.online_window_s, from_epoch_ms(at)};
    }
    auto n = store_.count_online(now);
    if (!n) {
        return std::move(n).error();
    }
    cached_online_.store(*n, std::memory_order_relaxed);
    cached_at_ms_.store(to_epoch_ms(now), std::memory_order_release);
    return OnlineCount{*n, settings_.online_window_s, now};
}

Result<Realtime> PresenceService::realtime() {
    auto online_now = online();
    if (!online_now) {
        return std::move(online_now).error();
    }
    Day today = settings_.tz.day_of(online_now->at);
    auto dau = store_.estimate_dau(today);
    if (!dau) {
        return std::move(dau).error();
    }
    return Realtime{*online_now, today, std::move(*dau)};
}

Result<VersionAudience> PresenceService::versions(Platform platform) {
    VersionAudience audience;
    audience.at = clock_.now();
    audience.day = settings_.tz.day_of(audience.at);
    auto online = store_.count_online_by_version(platform, audience.at);
    if (!online) {
        return std::move(online).error();
    }
    auto dau = store_.estimate_dau(audience.day);
    if (!dau) {
        return std::move(dau).error();
    }
    auto dau_by_version = store_.estimate_dau_by_version(audience.day, platform);
    if (!dau_by_version) {
        return std::move(dau_by_version).error();
    }
    for (const VersionCount& v : *online) {
        audience.online += v.count;
    }
    if (auto it = dau->by_platform.find(std::string(to_string(platform))); it != dau->by_platform.end()) {
        audience.dau_approx = it->second;
    }
    audience.online_by_version = std::move(*online);
    audience.dau_by_version = std::move(*dau_by_version);
    return audience;
}

}  // namespace beacon::telemetry
