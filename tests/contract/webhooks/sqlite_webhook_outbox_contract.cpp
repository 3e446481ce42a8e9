// The WebhookOutbox contract on the embedded SQLite database: a fresh file
// per test; the in-transaction enqueue on a connection of the test's own.

#include <memory>

#include "backends/sqlite/connection.hpp"
#include "backends/sqlite/sqlite_webhook_outbox.hpp"
#include "support/temp_dir.hpp"
#include "webhook_outbox_contract.hpp"

namespace beacon::contract {
namespace {

using backends::sqlite::Connection;
using backends::sqlite::SqliteWebhookOutbox;

struct SqliteOutboxFixture {
    test::TempDir dir;
    std::unique_ptr<SqliteWebhookOutbox> outbox;
};

WebhookOutboxAdapter sqlite_outbox() {
    return {"Sqlite", [] {
                StoreInstance<webhooks::WebhookOutbox> instance;
                auto fixture = std::make_shared<SqliteOutboxFixture>();
                const auto file = fixture->dir.path() / "beacon.db";
                auto outbox = SqliteWebhookOutbox::open(file);
                if (!outbox.ok()) {
                    ADD_FAILURE() << "opening SQLite: " << outbox.error().message;
                    return instance;
                }
                fixture->outbox = std::move(outbox).value();
                instance.enqueue_in_transaction = [file](const webhooks::Delivery& d, bool commit) -> Result<void> {
                    auto c = Connection::open(file, Connection::Mode::ReadWrite, Millis{5000});
                    if (!c) {
                        return std::move(c).error();
                    }
                    if (auto r = (*c)->exec("BEGIN IMMEDIATE"); !r) {
                        return r;
                    }
                    if (auto r = backends::sqlite::enqueue_webhook_delivery(**c, d); !r) {
                        return r;
                    }
                    return (*c)->exec(commit ? "COMMIT" : "ROLLBACK");
                };
                instance.open_another = [file]() -> std::unique_ptr<webhooks::WebhookOutbox> {
                    auto another = SqliteWebhookOutbox::open(file);
                    return another.ok() ? std::move(another).value() : nullptr;
                };
                instance.port = fixture->outbox.get();
                instance.owner = std::move(fixture);
                return instance;
            }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite,
                         WebhookOutboxContract,
                         ::testing::Values(sqlite_outbox()),
                         store_adapter_name<webhooks::WebhookOutbox>);

}  // namespace
}  // namespace beacon::contract
