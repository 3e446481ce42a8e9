// POST /telemetry/events per-request work: the body text parsed into JSON (as
// http/request.cpp parse_json_body does) and then validated and merged with
// its context by parse_event_batch. The batch is what a client flushes after a
// few minutes of use: 50 events of about 300 bytes, a session start followed
// by page views and actions with properties, timestamps as ISO-8601 strings
// and as epoch milliseconds.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/time_format.hpp"
#include "telemetry/event_batch.hpp"

namespace {

namespace json = boost::json;
using beacon::from_epoch_ms;
using beacon::TimePoint;

constexpr std::size_t kEvents = 50;
constexpr std::int64_t kSessionStartMs = 1'795'593'600'000;  // 2026-11-25T08:00:00Z
// The server's clock when the batch arrives: after the last event, inside the
// accepted window (10 minutes ahead, 30 days back).
const TimePoint kNow = from_epoch_ms(kSessionStartMs + 10 * 60'000);

json::object make_event(std::size_t i) {
    json::object e;
    std::string id = "0b6f3c2e-5a1d-4c1e-9a7b-" + std::to_string(100'000'000'000 + i);
    e["eventId"] = id;
    const TimePoint at = from_epoch_ms(kSessionStartMs + static_cast<std::int64_t>(i) * 7'300);
    if (i == 0) {
        e["eventName"] = "app_session_start";
        e["timestamp"] = beacon::format_iso8601(at);
        e["properties"] = {{"coldStart", true},
                           {"launchMs", 812},
                           {"source", "launcher"},
                           {"network", "wifi"},
                           {"previousSessionGapSec", 52311},
                           {"notificationsEnabled", true},
                           {"locale", "zh-CN"}};
    } else if (i % 3 == 1) {
        e["eventName"] = "page_view";
        e["timestamp"] = beacon::to_epoch_ms(at);
        e["properties"] = {{"page", "/product/sku-" + std::to_string(10'000 + i)},
                           {"referrer", "/coupons/summer-sale"},
                           {"title", "Trail running shoes, men's"},
                           {"durationMs", 1834 + i},
                           {"scrollDepth", 0.75}};
    } else {
        e["eventName"] = "action";
        e["timestamp"] = beacon::format_iso8601(at);
        e["properties"] = {{"action", i % 2 == 0 ? "add_to_cart" : "share"},
                           {"target", "button#primary"},
                           {"screen", "/product/sku-" + std::to_string(10'000 + i)},
                           {"item", {{"sku", "sku-10482"}, {"quantity", 1}, {"priceCents", 8999}}},
                           {"experiment", {{"id", "exp-checkout-42"}, {"variant", "B"}}}};
    }
    return e;
}

std::string make_body() {
    json::array events;
    for (std::size_t i = 0; i < kEvents; ++i) {
        events.push_back(make_event(i));
    }
    json::object body;
    body["context"] = {{"installId", "i-7f3a9c2e41d84b6a"},
                       {"userId", "u-1029384756"},
                       {"platform", "android"},
                       {"appVersion", "2.104.17"},
                       {"osVersion", "14"},
                       {"deviceModel", "Pixel 8"},
                       {"region", "CN"},
                       {"sessionId", "s-5c0f2d9e"}};
    body["events"] = std::move(events);
    return json::serialize(body);
}

// The parse options of parse_json_body (src/http/request.cpp).
json::value parse_body(const std::string& body) {
    json::parse_options opts;
    opts.max_depth = 64;
    return json::parse(body, {}, opts);
}

void set_batch_counters(benchmark::State& state, const std::string& body) {
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(kEvents));
    state.counters["body_bytes"] = static_cast<double>(body.size());
}

// Checks once, outside the timing, that the batch is accepted whole: a
// benchmark of rejections would measure the wrong path.
void expect_all_accepted(benchmark::State& state, const std::string& body) {
    auto parsed = beacon::telemetry::parse_event_batch(parse_body(body), body, kNow, std::nullopt);
    if (!parsed || parsed->events.size() != kEvents || !parsed->rejected.empty()) {
        state.SkipWithError("the benchmark batch is not accepted whole");
    }
}

// The whole per-request cost: text -> JSON -> validated events.
void BM_EventBatchParseValidate(benchmark::State& state) {
    const std::string body = make_body();
    expect_all_accepted(state, body);
    for (auto _ : state) {
        auto parsed = beacon::telemetry::parse_event_batch(parse_body(body), body, kNow, std::nullopt);
        benchmark::DoNotOptimize(parsed);
    }
    set_batch_counters(state, body);
}
BENCHMARK(BM_EventBatchParseValidate);

// The two halves on their own, to see which one to work on.
void BM_EventBatchJsonParse(benchmark::State& state) {
    const std::string body = make_body();
    for (auto _ : state) {
        json::value v = parse_body(body);
        benchmark::DoNotOptimize(v);
    }
    set_batch_counters(state, body);
}
BENCHMARK(BM_EventBatchJsonParse);

void BM_EventBatchValidate(benchmark::State& state) {
    const std::string body = make_body();
    expect_all_accepted(state, body);
    const json::value v = parse_body(body);
    for (auto _ : state) {
        auto parsed = beacon::telemetry::parse_event_batch(v, body, kNow, std::nullopt);
        benchmark::DoNotOptimize(parsed);
    }
    set_batch_counters(state, body);
}
BENCHMARK(BM_EventBatchValidate);

}  // namespace
