// Handlers of /admin/webhooks.
#include "http/webhook_routes.hpp"

#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "http/query_params.hpp"
#include "webhooks/delivery.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

constexpr std::int64_t kDefaultLimit = 50;
constexpr std::int64_t kMaxLimit = 500;

json::value time_or_null(const std::optional<TimePoint>& t) {
    return t ? json::value(format_iso8601(*t)) : json::value(nullptr);
}

json::object delivery_json(const webhooks::Delivery& d) {
    const webhooks::DeliveryStatus status = d.status();
    const bool pending =
        status == webhooks::DeliveryStatus::Pending || status == webhooks::DeliveryStatus::FailedWillRetry;
    json::object o{{"id", d.id},
                   {"type", d.type},
                   {"at", format_iso8601(d.created_at)},
                   {"status", webhooks::status_name(status)},
                   {"attempts", d.attempts}};
    o["lastAttemptAt"] = time_or_null(d.last_attempt_at);
    o["lastStatus"] = d.last_status ? json::value(*d.last_status) : json::value(nullptr);
    o["lastError"] = d.last_error ? json::value(*d.last_error) : json::value(nullptr);
    o["nextAttemptAt"] = pending ? json::value(format_iso8601(d.next_attempt_at)) : json::value(nullptr);
    o["deliveredAt"] = time_or_null(d.delivered_at);
    o["givenUpAt"] = time_or_null(d.given_up_at);
    return o;
}

asio::awaitable<Response> list_deliveries(WebhookApi& api, Request& req) {
    const std::string rule = "must be an integer from 1 to " + std::to_string(kMaxLimit);
    auto limit = integer_param(req, "limit", rule);
    if (!limit) {
        co_return problem_response(limit.error());
    }
    const std::int64_t n = limit->value_or(kDefaultLimit);
    if (n < 1 || n > kMaxLimit) {
        co_return field_problem("limit", rule);
    }
    auto latest = api.outbox.latest(static_cast<int>(n));
    if (!latest) {
        co_return problem_response(latest.error());
    }
    json::array out;
    for (const auto& d : *latest) {
        out.push_back(delivery_json(d));
    }
    co_return json_response(bh::status::ok, json::object{{"deliveries", std::move(out)}});
}

asio::awaitable<Response> ping(WebhookApi& api, Request&) {
    if (!api.enabled) {
        co_return problem_response(
            make_error(ErrorCode::Conflict, "no webhook URL is configured (BEACON_WEBHOOK_URL)"));
    }
    const TimePoint now = api.clock.now();
    auto delivery = webhooks::make_delivery(
        webhooks::kPing, webhooks::kPingOrderingKey, json::object{{"message", "a test event from Beacon"}}, now);
    if (!delivery) {
        co_return problem_response(delivery.error());
    }
    if (auto r = api.outbox.enqueue(*delivery); !r) {
        co_return problem_response(r.error());
    }
    if (api.wake) {
        api.wake();
    }
    co_return json_response(bh::status::accepted, delivery_json(*delivery));
}

}  // namespace

void add_webhook_routes(Router& router, WebhookApi& api) {
    router.add("GET",
               "/admin/webhooks/deliveries",
               {.access = Access::Admin, .executor = Executor::Blocking},
               [&api](Request& r) { return list_deliveries(api, r); });
    router.add(
        "POST", "/admin/webhooks/ping", {.access = Access::Admin, .executor = Executor::Blocking}, [&api](Request& r) {
            return ping(api, r);
        });
}

}  // namespace beacon::http
