// The WebhookOutbox contract on PostgreSQL. Needs a server:
// BEACON_TEST_PG_URL (tools/run-pg-tests.sh); without it the tests are
// skipped. A fresh schema per test (support/pg_test_db.hpp); the
// in-transaction enqueue on a connection of the test's own.

#include <memory>

#include "backends/postgres/connection.hpp"
#include "backends/postgres/pg_webhook_outbox.hpp"
#include "backends/postgres/queries.hpp"
#include "backends/postgres/transaction.hpp"
#include "support/pg_test_db.hpp"
#include "webhook_outbox_contract.hpp"

namespace beacon::contract {
namespace {

using backends::postgres::PgConnection;
using backends::postgres::PgWebhookOutbox;

struct PgOutboxFixture : test::PgFixture {
    std::unique_ptr<PgWebhookOutbox> outbox;
    PgOutboxFixture() : PgFixture("beacon_wh") {}
    ~PgOutboxFixture() override { outbox.reset(); }
};

WebhookOutboxAdapter postgres_outbox() {
    return {"Postgres", [] {
                StoreInstance<webhooks::WebhookOutbox> instance;
                if (test::pg_test_url() == nullptr) {
                    return instance;  // skipped: no server configured
                }
                auto fixture = std::make_shared<PgOutboxFixture>();
                if (!fixture->create_schema()) {
                    return instance;
                }
                auto outbox = PgWebhookOutbox::open(fixture->url);
                if (!outbox.ok()) {
                    ADD_FAILURE() << "opening PostgreSQL: " << outbox.error().message;
                    return instance;
                }
                fixture->outbox = std::move(outbox).value();
                const std::string url = fixture->url;
                instance.enqueue_in_transaction = [url](const webhooks::Delivery& d, bool commit) -> Result<void> {
                    auto c = PgConnection::connect(backends::postgres::ConnectSettings{.url = url});
                    if (!c) {
                        return std::move(c).error();
                    }
                    auto r = backends::postgres::in_transaction(
                        **c, backends::postgres::sql::kBegin, "test transaction", [&]() -> Result<void> {
                            if (auto e = backends::postgres::enqueue_webhook_delivery(**c, d); !e) {
                                return e;
                            }
                            // Rolled back by in_transaction when the body fails.
                            return commit ? ok() : Result<void>(make_error(ErrorCode::Internal, "roll back"));
                        });
                    return commit ? r : ok();
                };
                instance.open_another = [url]() -> std::unique_ptr<webhooks::WebhookOutbox> {
                    auto another = PgWebhookOutbox::open(url);
                    return another.ok() ? std::move(another).value() : nullptr;
                };
                instance.port = fixture->outbox.get();
                instance.owner = std::move(fixture);
                return instance;
            }};
}

INSTANTIATE_TEST_SUITE_P(Postgres,
                         WebhookOutboxContract,
                         ::testing::Values(postgres_outbox()),
                         store_adapter_name<webhooks::WebhookOutbox>);

}  // namespace
}  // namespace beacon::contract
