#pragma once

#include <string_view>

// The SQL of the SQLite webhook outbox (sqlite_webhook_outbox.hpp); the
// schema is migrations/0005_webhook_deliveries.sql.
namespace beacon::backends::sqlite::sql {

#define BEACON_WEBHOOK_COLUMNS                                                                                \
    "seq, id, type, ordering_key, body, created_at, attempts, next_attempt_at, last_attempt_at, last_status," \
    " last_error, delivered_at, given_up_at"

inline constexpr std::string_view kInsertDelivery =
    "INSERT INTO webhook_deliveries (id, type, ordering_key, body, created_at, attempts, next_attempt_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, 0, ?6)";

// Leases (until ?2) up to ?3 deliveries due at ?1 that head their ordering
// key (the key's smallest seq among pending ones) and hold no live lease.
inline constexpr std::string_view kClaimDueDeliveries =
    "UPDATE webhook_deliveries SET claimed_until = ?2 WHERE seq IN ("
    " SELECT d.seq FROM webhook_deliveries d"
    " WHERE d.delivered_at IS NULL AND d.given_up_at IS NULL AND d.next_attempt_at <= ?1"
    " AND (d.claimed_until IS NULL OR d.claimed_until <= ?1)"
    " AND d.seq = (SELECT MIN(p.seq) FROM webhook_deliveries p"
    " WHERE p.ordering_key = d.ordering_key AND p.delivered_at IS NULL AND p.given_up_at IS NULL)"
    " ORDER BY d.next_attempt_at, d.seq LIMIT ?3)"
    " RETURNING " BEACON_WEBHOOK_COLUMNS;

// ?5 delivered_at, ?6 next_attempt_at (NULL: unchanged), ?7 given_up_at.
inline constexpr std::string_view kRecordAttempt =
    "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?2, last_status = ?3,"
    " last_error = ?4, delivered_at = ?5, next_attempt_at = COALESCE(?6, next_attempt_at), given_up_at = ?7,"
    " claimed_until = NULL WHERE id = ?1";

inline constexpr std::string_view kLatestDeliveries =
    "SELECT " BEACON_WEBHOOK_COLUMNS " FROM webhook_deliveries ORDER BY created_at DESC, seq DESC LIMIT ?1";

inline constexpr std::string_view kGetDelivery =
    "SELECT " BEACON_WEBHOOK_COLUMNS " FROM webhook_deliveries WHERE id = ?1";

#undef BEACON_WEBHOOK_COLUMNS

}  // namespace beacon::backends::sqlite::sql
