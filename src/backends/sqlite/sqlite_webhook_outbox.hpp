#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "backends/sqlite/sqlite_database.hpp"
#include "core/result.hpp"
#include "webhooks/outbox.hpp"

namespace beacon::backends::sqlite {

class Connection;

// Inserts `d` into webhook_deliveries on `c`, inside the transaction the
// caller has open on it (BEGIN IMMEDIATE ... COMMIT on a ReadWrite
// connection to the same file): the delivery commits or rolls back with the
// caller's other writes. This is how a job that decides something and
// announces it (the rollout job: its decision and its rollout.* event) makes
// both or neither. The SqliteWebhookOutbox's worker finds it at its next
// round. Conflict for an id that exists already (on a connection told
// report_duplicates_as_conflict(); else Internal).
Result<void> enqueue_webhook_delivery(Connection& c, const webhooks::Delivery& d);

// webhooks::WebhookOutbox on the embedded database file (table
// webhook_deliveries, migration 0005), with a writer and a reader
// connection of its own (as SqliteVersionRepository). A claim is one UPDATE
// ... RETURNING, so it is atomic; the embedded database belongs to one
// process, so leases only matter between its own workers. Thread-safe.
class SqliteWebhookOutbox final : public webhooks::WebhookOutbox {
public:
    // Opens `file` (creating it) and applies pending migrations.
    static Result<std::unique_ptr<SqliteWebhookOutbox>> open(const std::filesystem::path& file,
                                                             const SqliteOptions& options = {});
    ~SqliteWebhookOutbox() override;
    SqliteWebhookOutbox(const SqliteWebhookOutbox&) = delete;
    SqliteWebhookOutbox& operator=(const SqliteWebhookOutbox&) = delete;

    Result<void> enqueue(const webhooks::Delivery& d) override;
    Result<std::vector<webhooks::Delivery>> claim_due(TimePoint now, TimePoint lease_until, int limit) override;
    Result<void> record_attempt(std::string_view id, const webhooks::AttemptRecord& attempt) override;
    Result<std::vector<webhooks::Delivery>> latest(int limit) override;
    Result<webhooks::Delivery> get(std::string_view id) override;

private:
    SqliteWebhookOutbox(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader);

    std::mutex writer_mutex_;
    std::unique_ptr<Connection> writer_;
    std::mutex reader_mutex_;
    std::unique_ptr<Connection> reader_;
};

}  // namespace beacon::backends::sqlite
