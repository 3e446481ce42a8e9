// Handlers of /telemetry/* and /admin/telemetry/*: parse and validate, call
// the telemetry services, map the Result to a response.
#include <charconv>

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "http/routes.hpp"
#include "telemetry/counts_json.hpp"
#include "telemetry/event_batch.hpp"
#include "telemetry/history.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;
using telemetry::IngestOutcome;

// Runs `start(done)`, which hands `done` to a worker thread, and resumes on
// this coroutine's executor once the worker calls it: the I/O thread serves
// other connections meanwhile.
template <class T, class Start>
asio::awaitable<T> off_thread(Start start) {
    auto result = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::shared_ptr<T>)>(
        [&start](auto handler) {
            auto h = std::make_shared<decltype(handler)>(std::move(handler));
            start([h](T r) {
                auto ex = asio::get_associated_executor(*h);
                auto shared = std::make_shared<T>(std::move(r));
                asio::post(ex, [h, shared]() mutable { std::move (*h)(shared); });
            });
        },
        asio::use_awaitable);
    co_return std::move(*result);
}

json::value opt_json(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }

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

// Reads an optional time query parameter; false (and a problem in `bad`) when malformed.
bool time_param(const Request& req, std::string_view name, std::optional<TimePoint>& out, std::optional<Response>& bad) {
    auto v = req.query_param(name);
    if (!v) {
        return true;
    }
    out = parse_time_param(*v);
    if (!out) {
        bad = field_problem(std::string(name), "must be epoch milliseconds or ISO-8601 with a zone");
        return false;
    }
    return true;
}

asio::awaitable<Response> heartbeat(TelemetryApi& api, Request& req) {
    auto body = parse_json_body(req.body);
    if (auto* r = std::get_if<Response>(&body)) {
        co_return std::move(*r);
    }
    auto hb = telemetry::parse_heartbeat(std::get<json::value>(body), req.token_user());
    if (!hb) {
        co_return problem_response(hb.error());
    }
    Result<TimePoint> now = api.presence.now();
    if (api.heartbeats != nullptr) {
        auto written = co_await off_thread<Result<void>>([&](telemetry::HeartbeatBatcher::Done done) {
            api.heartbeats->submit(api.presence.mark(*hb, *now), std::move(done));
        });
        if (!written) {
            now = std::move(written).error();
        }
    } else {
        now = api.presence.heartbeat(*hb);
    }
    if (!now) {
        count_backend_error(api.metrics, now.error(), "presence");
        co_return problem_response(now.error());
    }
    api.metrics.add("beacon_heartbeats_total", "");
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
        count_backend_error(api.metrics, n.error(), "presence");
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
    if (auto* r = std::get_if<Response>(&body)) {
        co_return std::move(*r);
    }
    auto batch = telemetry::parse_event_batch(std::get<json::value>(body), api.clock.now(), req.token_user());
    if (!batch) {
        co_return problem_response(batch.error());
    }
    IngestOutcome outcome;
    if (!batch->events.empty()) {
        auto committed = co_await off_thread<Result<IngestOutcome>>(
            [&](telemetry::EventIngestor::Done done) { api.ingestor.submit(std::move(batch->events), std::move(done)); });
        if (!committed) {
            count_backend_error(api.metrics, committed.error(), "database");
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
    co_return json_response(bh::status::ok, json::object{{"accepted", outcome.accepted},
                                                         {"duplicates", outcome.duplicates},
                                                         {"rejected", std::move(rejected)}});
}

asio::awaitable<Response> realtime(TelemetryApi& api, Request&) {
    auto rt = api.presence.realtime();
    if (!rt) {
        count_backend_error(api.metrics, rt.error(), "presence");
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
    Day today = api.dau.today();
    Day to = today;
    if (auto v = req.query_param("to")) {
        auto d = parse_day(*v);
        if (!d) {
            co_return field_problem("to", "must be a day such as 2026-11-25");
        }
        to = *d;
    }
    Day from = to - std::chrono::days(29);
    if (auto v = req.query_param("from")) {
        auto d = parse_day(*v);
        if (!d) {
            co_return field_problem("from", "must be a day such as 2026-11-01");
        }
        from = *d;
    }
    if (from > to) {
        co_return field_problem("from", "must not be after to");
    }
    if ((to - from).count() + 1 > 366) {
        co_return field_problem("from", "the range spans more than 366 days");
    }
    auto days = api.dau.range(from, to);
    if (!days) {
        count_backend_error(api.metrics, days.error(), "database");
        co_return problem_response(days.error());
    }
    json::array out;
    for (const auto& d : *days) {
        out.push_back(json::object{{"day", format_day(d.day)},
                                   {"dau", d.counts.total},
                                   {"exact", d.exact},
                                   {"byPlatform", telemetry::counts_object(d.counts.by_platform)},
                                   {"byRegion", telemetry::counts_object(d.counts.by_region)},
                                   {"computedAt", d.computed_at ? json::value(format_iso8601(*d.computed_at))
                                                                : json::value(nullptr)}});
    }
    co_return json_response(bh::status::ok, json::object{{"timezone", api.settings.tz.name()}, {"days", std::move(out)}});
}

asio::awaitable<Response> list_events(TelemetryApi& api, Request& req) {
    telemetry::EventQuery q;
    if (auto v = req.query_param("limit")) {
        int limit = 0;
        auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
        if (ec != std::errc{} || p != v->data() + v->size() || limit < 1 || limit > 500) {
            co_return field_problem("limit", "must be an integer from 1 to 500");
        }
        q.limit = limit;
    }
    if (auto v = req.query_param("cursor"); v && !v->empty()) {
        q.before_id = telemetry::decode_cursor(*v);
        if (!q.before_id) {
            co_return field_problem("cursor", "is not a cursor this server issued");
        }
    }
    auto text = [&](std::string_view name) -> std::optional<std::string> {
        auto v = req.query_param(name);
        return v && !v->empty() ? std::optional<std::string>(std::string(*v)) : std::nullopt;
    };
    q.event_name = text("eventName");
    q.user_id = text("userId");
    q.install_id = text("installId");
    std::optional<Response> bad;
    if (!time_param(req, "from", q.from, bad) || !time_param(req, "to", q.to, bad)) {
        co_return std::move(*bad);
    }
    auto page = api.events.list(q);
    if (!page) {
        count_backend_error(api.metrics, page.error(), "database");
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
    Millis interval = std::chrono::minutes(5);
    if (auto v = req.query_param("interval")) {
        auto i = telemetry::parse_history_interval(*v);
        if (!i) {
            co_return field_problem("interval", "must be 1m, 5m or 1h");
        }
        interval = *i;
    }
    std::optional<TimePoint> from, to;
    std::optional<Response> bad;
    if (!time_param(req, "from", from, bad) || !time_param(req, "to", to, bad)) {
        co_return std::move(*bad);
    }
    TimePoint end = to.value_or(api.clock.now());
    TimePoint start = from.value_or(end - std::chrono::hours(24));
    auto buckets = telemetry::online_history(api.snapshots, interval, start, end);
    if (!buckets) {
        count_backend_error(api.metrics, buckets.error(), "database");
        co_return problem_response(buckets.error());
    }
    json::array points;
    for (const auto& b : *buckets) {
        points.push_back(json::object{{"at", format_iso8601(b.at)},
                                      {"avg", b.avg},
                                      {"min", b.min},
                                      {"max", b.max},
                                      {"samples", b.samples}});
    }
    std::string name = interval == std::chrono::minutes(1) ? "1m" : interval == std::chrono::hours(1) ? "1h" : "5m";
    co_return json_response(bh::status::ok, json::object{{"interval", name}, {"points", std::move(points)}});
}

}  // namespace

void count_backend_error(Metrics& metrics, const Error& e, const char* backend) {
    if (e.code == ErrorCode::Unavailable || e.code == ErrorCode::Internal) {
        metrics.add("beacon_backend_errors_total", std::string("backend=\"") + backend + "\"");
    }
}

void add_telemetry_routes(Router& router, TelemetryApi& api) {
    auto bind = [&api](auto fn) { return [&api, fn](Request& r) { return fn(api, r); }; };
    router.add("POST", "/telemetry/heartbeat", {.access = Access::OptionalUser, .body = BodyKind::JsonGzip, .body_limit = kHeartbeatLimit},
               bind(heartbeat));
    router.add("GET", "/telemetry/online", {.access = Access::Public}, bind(online));
    router.add("POST", "/telemetry/events", {.access = Access::OptionalUser, .body = BodyKind::JsonGzip, .body_limit = kEventsLimit},
               bind(events));
    router.add("GET", "/admin/telemetry/realtime", {.access = Access::Admin}, bind(realtime));
    router.add("GET", "/admin/telemetry/dau", {.access = Access::Admin, .executor = Executor::Blocking}, bind(dau));
    router.add("GET", "/admin/telemetry/events", {.access = Access::Admin, .executor = Executor::Blocking}, bind(list_events));
    router.add("GET", "/admin/telemetry/online/history", {.access = Access::Admin, .executor = Executor::Blocking}, bind(history));
}

}  // namespace beacon::http
