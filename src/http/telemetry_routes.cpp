// Handlers of /telemetry/* and /admin/telemetry/*: parse and validate, call
// the telemetry services, map the Result to a response.
#include "http/telemetry_routes.hpp"

#include <algorithm>

#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "http/await_done.hpp"
#include "http/query_params.hpp"
#include "telemetry/counts_json.hpp"
#include "telemetry/event_batch.hpp"
#include "telemetry/event_listing.hpp"
#include "telemetry/history.hpp"
#include "telemetry/version_reports.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;
using telemetry::IngestOutcome;

json::value opt_json(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}

json::object event_json(const telemetry::Event& e) {
    json::object o;
    o["id"] = e.id;
    o["eventId"] = opt_json(e.event_id);
    o["eventName"] = e.event_name;
    o["installId"] = e.install_id;
    o["userId"] = opt_json(e.user_id);
    o["platform"] = e.platform ? json::value(std::string(telemetry::to_string(*e.platform))) : json::value(nullptr);
    o["appVersion"] = opt_json(e.app_version);
    o["osVersion"] = opt_json(e.os_version);
    o["deviceModel"] = opt_json(e.device_model);
    o["region"] = opt_json(e.region);
    o["sessionId"] = opt_json(e.session_id);
    o["versionCode"] = e.version_code ? json::value(*e.version_code) : json::value(nullptr);
    o["timestamp"] = format_iso8601(e.event_time);
    o["receivedAt"] = format_iso8601(e.received_at);
    if (e.properties_json.empty()) {
        o["properties"] = nullptr;
    } else {
        boost::system::error_code ec;
        auto v = json::parse(e.properties_json, ec);
        o["properties"] = ec ? json::value(nullptr) : std::move(v);
    }
    return o;
}

// A flat body (core/flat_json.hpp: what clients send) is read without
// building a document; anything else goes through Boost.JSON. Same rules.
Result<telemetry::Heartbeat> read_heartbeat(const Request& req) {
    if (auto flat = FlatObject::parse(req.body)) {
        return telemetry::parse_heartbeat(*flat, req.token_user());
    }
    auto body = parse_json_body(req.body);
    if (!body) {
        return std::move(body).error();
    }
    return telemetry::parse_heartbeat(*body, req.token_user());
}

asio::awaitable<Response> heartbeat(TelemetryApi& api, std::atomic<std::uint64_t>& heartbeats, Request& req) {
    auto hb = read_heartbeat(req);
    if (!hb) {
        co_return problem_response(hb.error());
    }
    auto now = co_await await_done<Result<TimePoint>>(
        [&](telemetry::PresenceService::HeartbeatDone done) { api.presence.record(*hb, std::move(done)); });
    if (!now) {
        co_return problem_response(now.error());
    }
    heartbeats.fetch_add(1, std::memory_order_relaxed);
    std::string out;
    out.reserve(80);
    out.append("{\"nextHeartbeatSeconds\":").append(std::to_string(api.presence.heartbeat_interval_s()));
    out.append(",\"serverTime\":\"");
    append_iso8601(out, *now);
    out.append("\"}");
    co_return json_response(bh::status::ok, std::move(out));
}

asio::awaitable<Response> online(TelemetryApi& api, Request&) {
    auto n = api.presence.online();
    if (!n) {
        co_return problem_response(n.error());
    }
    std::string out;
    out.append("{\"online\":").append(std::to_string(n->online));
    out.append(",\"windowSeconds\":").append(std::to_string(n->window_seconds));
    out.append(",\"at\":\"");
    append_iso8601(out, n->at);
    out.append("\"}");
    co_return json_response(bh::status::ok, std::move(out));
}

asio::awaitable<Response> events(TelemetryApi& api, Request& req) {
    auto body = parse_json_body(req.body);
    if (!body) {
        co_return problem_response(body.error());
    }
    auto batch = telemetry::parse_event_batch(*body, req.body, api.clock.now(), req.token_user());
    if (!batch) {
        co_return problem_response(batch.error());
    }
    IngestOutcome outcome;
    if (!batch->events.empty()) {
        auto committed = co_await await_done<Result<IngestOutcome>>([&](telemetry::EventIngestor::Done done) {
            api.ingestor.submit(std::move(batch->events), std::move(done));
        });
        if (!committed) {
            co_return problem_response(committed.error());
        }
        outcome = *committed;
    }
    json::array rejected;
    for (const auto& r : batch->rejected) {
        rejected.push_back(json::object{{"index", r.index}, {"field", r.field}, {"message", r.message}});
    }
    api.metrics.add("beacon_events_total", "result=\"accepted\"", static_cast<std::uint64_t>(outcome.accepted));
    api.metrics.add("beacon_events_total", "result=\"duplicate\"", static_cast<std::uint64_t>(outcome.duplicates));
    api.metrics.add("beacon_events_total", "result=\"rejected\"", batch->rejected.size());
    co_return json_response(
        bh::status::ok,
        json::object{
            {"accepted", outcome.accepted}, {"duplicates", outcome.duplicates}, {"rejected", std::move(rejected)}});
}

asio::awaitable<Response> realtime(TelemetryApi& api, Request&) {
    auto rt = api.presence.realtime();
    if (!rt) {
        co_return problem_response(rt.error());
    }
    co_return json_response(bh::status::ok,
                            json::object{{"online", rt->online.online},
                                         {"windowSeconds", rt->online.window_seconds},
                                         {"day", format_day(rt->day)},
                                         {"timezone", api.settings.tz.name()},
                                         {"dauApprox", rt->dau.total},
                                         {"dauApproxByPlatform", telemetry::counts_object(rt->dau.by_platform)},
                                         {"at", format_iso8601(rt->online.at)}});
}

asio::awaitable<Response> dau(TelemetryApi& api, Request& req) {
    auto days_asked = day_bounds(req);
    if (!days_asked) {
        co_return problem_response(days_asked.error());
    }
    auto days = api.dau.range(days_asked->from, days_asked->to);
    if (!days) {
        co_return problem_response(days.error());
    }
    json::array out;
    for (const auto& d : *days) {
        out.push_back(json::object{
            {"day", format_day(d.day)},
            {"dau", d.counts.total},
            {"exact", d.exact},
            {"byPlatform", telemetry::counts_object(d.counts.by_platform)},
            {"byRegion", telemetry::counts_object(d.counts.by_region)},
            {"computedAt", d.computed_at ? json::value(format_iso8601(*d.computed_at)) : json::value(nullptr)}});
    }
    co_return json_response(bh::status::ok,
                            json::object{{"timezone", api.settings.tz.name()}, {"days", std::move(out)}});
}

// The filters and page of GET /admin/telemetry/events, as the query states them.
Result<telemetry::EventQuery> event_query(const Request& req) {
    telemetry::EventQuery q;
    const std::string rule = "must be an integer from 1 to " + std::to_string(telemetry::kMaxEventPageSize);
    auto limit = integer_param(req, "limit", rule);
    if (!limit) {
        return std::move(limit).error();
    }
    if (*limit) {
        // Any value out of 1..500 stays out of it (list_events refuses it).
        q.limit = static_cast<int>(std::clamp<std::int64_t>(**limit, 0, telemetry::kMaxEventPageSize + 1));
    }
    if (auto cursor = text_param(req, "cursor")) {
        q.before_id = telemetry::decode_cursor(*cursor);
        if (!q.before_id) {
            return invalid_field("cursor", "is not a cursor this server issued");
        }
    }
    q.event_name = text_param(req, "eventName");
    q.user_id = text_param(req, "userId");
    q.install_id = text_param(req, "installId");
    auto bounds = time_bounds(req);
    if (!bounds) {
        return std::move(bounds).error();
    }
    q.from = bounds->from;
    q.to = bounds->to;
    return q;
}

asio::awaitable<Response> list_events(TelemetryApi& api, Request& req) {
    auto q = event_query(req);
    if (!q) {
        co_return problem_response(q.error());
    }
    auto page = telemetry::list_events(api.events, *q);
    if (!page) {
        co_return problem_response(page.error());
    }
    json::array out;
    for (const auto& e : page->events) {
        out.push_back(event_json(e));
    }
    json::value next = nullptr;
    if (page->has_more && !page->events.empty()) {
        next = telemetry::encode_cursor(page->events.back().id);
    }
    co_return json_response(bh::status::ok, json::object{{"events", std::move(out)}, {"nextCursor", next}});
}

asio::awaitable<Response> history(TelemetryApi& api, Request& req) {
    telemetry::HistoryQuery q;
    if (auto v = req.query_param("interval")) {
        q.interval = telemetry::parse_history_interval(*v);
        if (!q.interval) {
            co_return field_problem("interval", "must be 1m, 5m or 1h");
        }
    }
    auto bounds = time_bounds(req);
    if (!bounds) {
        co_return problem_response(bounds.error());
    }
    q.from = bounds->from;
    q.to = bounds->to;
    auto h = telemetry::online_history(api.snapshots, api.clock.now(), q);
    if (!h) {
        co_return problem_response(h.error());
    }
    json::array points;
    for (const auto& b : h->buckets) {
        points.push_back(json::object{
            {"at", format_iso8601(b.at)}, {"avg", b.avg}, {"min", b.min}, {"max", b.max}, {"samples", b.samples}});
    }
    co_return json_response(
        bh::status::ok,
        json::object{{"interval", telemetry::history_interval_name(h->interval)}, {"points", std::move(points)}});
}

asio::awaitable<Response> peaks(TelemetryApi& api, Request& req) {
    auto days_asked = day_bounds(req);
    if (!days_asked) {
        co_return problem_response(days_asked.error());
    }
    auto days =
        telemetry::online_peaks(api.snapshots, days_asked->from, days_asked->to, api.clock.now(), api.settings.tz);
    if (!days) {
        co_return problem_response(days.error());
    }
    json::array out;
    for (const auto& d : *days) {
        out.push_back(
            json::object{{"day", format_day(d.day)}, {"peak", d.peak.online}, {"at", format_iso8601(d.peak.at)}});
    }
    co_return json_response(bh::status::ok,
                            json::object{{"timezone", api.settings.tz.name()}, {"days", std::move(out)}});
}

}  // namespace

void add_telemetry_routes(Router& router, TelemetryApi& api) {
    auto bind = [&api](auto fn) { return [&api, fn](Request& r) { return fn(api, r); }; };
    const RouteOptions client_json{
        .access = Access::OptionalUser, .body = BodyKind::JsonGzip, .body_limit = kHeartbeatLimit};
    const RouteOptions admin_read{.access = Access::Admin, .executor = Executor::Blocking};
    auto& heartbeats = api.metrics.counter("beacon_heartbeats_total", "");
    router.add("POST", "/telemetry/heartbeat", client_json, [&api, &heartbeats](Request& r) {
        return heartbeat(api, heartbeats, r);
    });
    router.add("GET", "/telemetry/online", {.access = Access::Public}, bind(online));
    router.add("POST",
               "/telemetry/events",
               {.access = Access::OptionalUser, .body = BodyKind::JsonGzip, .body_limit = kEventsLimit},
               bind(events));
    router.add("GET", "/admin/telemetry/realtime", {.access = Access::Admin}, bind(realtime));
    router.add("GET", "/admin/telemetry/dau", admin_read, bind(dau));
    router.add("GET", "/admin/telemetry/events", admin_read, bind(list_events));
    router.add("GET", "/admin/telemetry/online/history", admin_read, bind(history));
    router.add("GET", "/admin/telemetry/online/peaks", admin_read, bind(peaks));
}

}  // namespace beacon::http
