#pragma once

#include <string_view>

// The SQL of the PostgreSQL webhook outbox (pg_webhook_outbox.hpp); the
// schema is migrations/0005_webhook_deliveries.sql. Instants go in as
// ISO-8601 text and come back as epoch milliseconds.
namespace beacon::backends::postgres::sql {

#define BEACON_WEBHOOK_COLUMNS(t)                                                                                    \
    t "seq, " t "id, " t "type, " t "ordering_key, " t "body, (extract(epoch FROM " t                                \
      "created_at) * 1000)::bigint, " t "attempts, (extract(epoch FROM " t                                           \
      "next_attempt_at) * 1000)::bigint, (extract(epoch FROM " t "last_attempt_at) * 1000)::bigint, " t              \
      "last_status, " t "last_error, (extract(epoch FROM " t "delivered_at) * 1000)::bigint, (extract(epoch FROM " t \
      "given_up_at) * 1000)::bigint"

inline constexpr std::string_view kInsertDelivery =
    "INSERT INTO webhook_deliveries (id, type, ordering_key, body, created_at, attempts, next_attempt_at)"
    " VALUES ($1, $2, $3, $4, $5, 0, $6)";

// Leases (until $2) up to $3 deliveries due at $1 that head their ordering
// key and hold no live lease. FOR UPDATE SKIP LOCKED: a row another replica
// is claiming this instant is left to it. Under READ COMMITTED a row locked
// after the other's commit is checked again against the conditions on `d`
// (which is why they are written on d, not only on the head): a lease taken,
// or a delivery delivered, meanwhile drops it. A key's head is judged on the
// statement's snapshot, so a replica never takes a key's second delivery
// while it sees the first pending.
inline constexpr std::string_view kClaimDueDeliveries =
    "WITH due AS ("
    " SELECT d.seq FROM webhook_deliveries d"
    " WHERE d.delivered_at IS NULL AND d.given_up_at IS NULL AND d.next_attempt_at <= $1"
    " AND (d.claimed_until IS NULL OR d.claimed_until <= $1)"
    " AND d.seq = (SELECT min(p.seq) FROM webhook_deliveries p"
    " WHERE p.ordering_key = d.ordering_key AND p.delivered_at IS NULL AND p.given_up_at IS NULL)"
    " ORDER BY d.next_attempt_at, d.seq LIMIT $3"
    " FOR UPDATE OF d SKIP LOCKED)"
    " UPDATE webhook_deliveries w SET claimed_until = $2 FROM due WHERE w.seq = due.seq"
    " RETURNING " BEACON_WEBHOOK_COLUMNS("w.");

// $5 delivered_at, $6 next_attempt_at (NULL: unchanged), $7 given_up_at.
inline constexpr std::string_view kRecordAttempt =
    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = $2, last_status = $3,"
    " last_error = $4, delivered_at = $5, next_attempt_at = COALESCE($6, next_attempt_at), given_up_at = $7,"
    " claimed_until = NULL WHERE id = $1";

inline constexpr std::string_view kLatestDeliveries =
    "SELECT " BEACON_WEBHOOK_COLUMNS("") " FROM webhook_deliveries ORDER BY created_at DESC, seq DESC LIMIT $1";

inline constexpr std::string_view kGetDelivery =
    "SELECT " BEACON_WEBHOOK_COLUMNS("") " FROM webhook_deliveries WHERE id = $1";

#undef BEACON_WEBHOOK_COLUMNS

}  // namespace beacon::backends::postgres::sql
