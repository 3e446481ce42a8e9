#pragma once

// A webhook delivery: one event for BEACON_WEBHOOK_URL, as the outbox
// (webhooks/outbox.hpp) stores it. The body is fixed when the delivery is
// made, so every attempt (and every replica) sends the same bytes and the
// receiver can deduplicate on its `id`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace beacon::webhooks {

// The event types of API.md 1.1 "Webhooks", and `ping` (POST /admin/webhooks/ping).
inline constexpr std::string_view kRolloutStarted = "rollout.started";
inline constexpr std::string_view kRolloutAdvanced = "rollout.advanced";
inline constexpr std::string_view kRolloutPaused = "rollout.paused";
inline constexpr std::string_view kRolloutHalted = "rollout.halted";
inline constexpr std::string_view kRolloutResumed = "rollout.resumed";
inline constexpr std::string_view kRolloutCompleted = "rollout.completed";
inline constexpr std::string_view kOnlineDrop = "online.drop";
inline constexpr std::string_view kPing = "ping";

// Ordering keys: deliveries with one key are sent one at a time, oldest
// first (a later one waits until the earlier is delivered or given up).
// rollout.* use the version's key; online.drop and ping have one key each.
std::string version_ordering_key(std::int64_t version_id);  // "version:42"
inline constexpr std::string_view kOnlineOrderingKey = "online";
inline constexpr std::string_view kPingOrderingKey = "ping";

// Where a delivery stands, as GET /admin/webhooks/deliveries shows it.
enum class DeliveryStatus {
    Pending,          // not attempted yet
    FailedWillRetry,  // attempted, not delivered, retried at next_attempt_at
    Delivered,        // a 2xx was received
    GivenUp,          // the last failed attempt was 24 h or more after creation
};
std::string_view status_name(DeliveryStatus s);  // "pending", "failed-will-retry", "delivered", "given-up"

struct Delivery {
    std::string id;            // unique; the body's "id" (a UUID v4)
    std::string type;          // "online.drop"
    std::string ordering_key;  // see above
    std::string body;          // {"id","type","at","data"}, UTF-8 JSON, fixed at enqueue
    TimePoint created_at;      // the body's "at"
    int attempts = 0;
    TimePoint next_attempt_at;  // due from then on (while pending)
    std::optional<TimePoint> last_attempt_at;
    std::optional<int> last_status;  // HTTP status of the last attempt; none when it got no answer
    std::optional<std::string> last_error;
    std::optional<TimePoint> delivered_at;
    std::optional<TimePoint> given_up_at;

    DeliveryStatus status() const;
};

// A new delivery of `type` with `data`, created `at` (due at once), with a
// fresh random id. Internal only when the system's random source fails.
Result<Delivery> make_delivery(std::string_view type,
                               std::string_view ordering_key,
                               const boost::json::object& data,
                               TimePoint at);

// A random UUID v4 in lower-case hex ("1b4e28ba-2fa1-41d2-883f-0016d3cca427").
Result<std::string> random_uuid();

}  // namespace beacon::webhooks
