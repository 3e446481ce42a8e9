#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "webhooks/delivery.hpp"

namespace beacon::webhooks {

// What one attempt came to, for WebhookOutbox::record_attempt.
struct AttemptRecord {
    TimePoint at;                      // when it was made
    std::optional<int> http_status;    // none when no answer came (refused, reset, timeout)
    std::optional<std::string> error;  // none on a 2xx; short text otherwise (never the secret)
    // Exactly one of these: delivered (a 2xx), due again at `retry_at`, or given up.
    enum class Next { Delivered, Retry, GiveUp } next = Next::Retry;
    TimePoint retry_at;  // Retry only
};

// Port: the webhook outbox, deliveries stored in the database (table
// webhook_deliveries, migration 0005 of both adapters) so they survive a
// restart and are shared by the replicas of one database.
//
// Order: deliveries with one ordering key are handed out one at a time,
// oldest first (by enqueue order): only the oldest undelivered, not given-up
// delivery of a key (its head) can be claimed, so a key's next delivery waits
// until the one before is delivered or given up.
//
// Claims: claim_due() leases each delivery it returns until `lease_until`;
// until then no other claim_due(), on any replica, returns it. The lease ends
// with record_attempt() (or when it passes: a replica that died mid-send is
// replaced after its lease). So a delivery is sent by one replica at a time;
// at least once, since a replica may die after sending and before recording.
//
// In-transaction enqueue: each adapter also offers a free function that
// inserts a delivery on a connection the caller holds inside its own open
// transaction (backends/sqlite/sqlite_webhook_outbox.hpp,
// backends/postgres/pg_webhook_outbox.hpp), so a write and its event commit
// or roll back together (the rollout job's decision and its rollout.* event).
//
// Thread-safe. Errors: Unavailable when the database is down; Conflict when
// a delivery with the id exists already.
class WebhookOutbox {
public:
    virtual ~WebhookOutbox() = default;

    // Stores `d` (attempts 0, due at d.next_attempt_at) in a transaction of its own.
    virtual Result<void> enqueue(const Delivery& d) = 0;

    // Up to `limit` key heads due at `now` (next_attempt_at <= now) and not
    // leased (no lease, or one that ended at or before `now`), earliest due
    // first, each now leased until `lease_until`.
    virtual Result<std::vector<Delivery>> claim_due(TimePoint now, TimePoint lease_until, int limit) = 0;

    // Records an attempt on delivery `id`: attempts + 1, the last attempt's
    // time, status and error, and then delivered_at, next_attempt_at or
    // given_up_at as `attempt.next` says; ends its lease. NotFound for an
    // unknown id.
    virtual Result<void> record_attempt(std::string_view id, const AttemptRecord& attempt) = 0;

    // The `limit` most recently created deliveries, newest first (ties: the
    // later enqueued first). 1 <= limit.
    virtual Result<std::vector<Delivery>> latest(int limit) = 0;

    // One delivery by id; NotFound when there is none.
    virtual Result<Delivery> get(std::string_view id) = 0;
};

}  // namespace beacon::webhooks
