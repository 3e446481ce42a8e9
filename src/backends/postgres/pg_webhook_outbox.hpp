#pragma once

#include <memory>
#include <string>

#include "backends/postgres/connection.hpp"
#include "backends/postgres/pg_database.hpp"
#include "core/result.hpp"
#include "webhooks/outbox.hpp"

namespace beacon::backends::postgres {

// Inserts `d` into webhook_deliveries on `c`, inside the transaction the
// caller has open on it (in_transaction in transaction.hpp): the delivery
// commits or rolls back with the caller's other writes. This is how a job
// that decides something and announces it (the rollout job: its decision
// and its rollout.* event) makes both or neither. Every replica's worker
// can send it once it is committed. Conflict for an id that exists already.
Result<void> enqueue_webhook_delivery(PgConnection& c, const webhooks::Delivery& d);

// webhooks::WebhookOutbox on PostgreSQL (table webhook_deliveries of the same
// database and schema as PgDatabase, migration 0005), for any number of
// replicas: a claim is one UPDATE of the key heads it selected FOR UPDATE
// SKIP LOCKED, leasing them with claimed_until, so one replica sends a given
// delivery at a time (webhook_queries.hpp says why it is safe under READ
// COMMITTED). A pool of its own (PgOptions::pool_size, default 8; the
// worker uses one connection at a time). Thread-safe.
class PgWebhookOutbox final : public webhooks::WebhookOutbox {
public:
    // Connects to `url` and applies the pending migrations (PgDatabase::migrate).
    static Result<std::unique_ptr<PgWebhookOutbox>> open(std::string url, PgOptions options = {});
    ~PgWebhookOutbox() override = default;
    PgWebhookOutbox(const PgWebhookOutbox&) = delete;
    PgWebhookOutbox& operator=(const PgWebhookOutbox&) = delete;

    Result<void> enqueue(const webhooks::Delivery& d) override;
    Result<std::vector<webhooks::Delivery>> claim_due(TimePoint now, TimePoint lease_until, int limit) override;
    Result<void> record_attempt(std::string_view id, const webhooks::AttemptRecord& attempt) override;
    Result<std::vector<webhooks::Delivery>> latest(int limit) override;
    Result<webhooks::Delivery> get(std::string_view id) override;

private:
    explicit PgWebhookOutbox(std::unique_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

    std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace beacon::backends::postgres
