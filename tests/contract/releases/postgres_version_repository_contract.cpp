// The VersionRepository contract for the PostgreSQL adapter. Needs a server:
// BEACON_TEST_PG_URL=postgres://... (tools/test-services/postgres.sh start
// DIR prints one); without it the tests are skipped. Each test gets a fresh
// schema (beacon_vt_<pid>_<n>, support/pg_test_db.hpp), and opens the repository the way `beacon serve` would
// (PgDatabase first; the repository migrates too, so order does not matter).

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_version_repository.hpp"
#include "backends/postgres/pg_webhook_outbox.hpp"
#include "support/pg_test_db.hpp"
#include "version_repository_contract.hpp"

namespace beacon::contract {
namespace {

using backends::postgres::PgDatabase;
using backends::postgres::PgVersionRepository;
using backends::postgres::PgWebhookOutbox;

// A schema of its own (beacon_vt_<pid>_<n>) with the repository beside the
// database, dropped on destruction (after the adapters close).
struct PgReleasesFixture : test::PgFixture {
    std::unique_ptr<PgVersionRepository> repo;

    PgReleasesFixture() : PgFixture("beacon_vt") {}
    ~PgReleasesFixture() override { repo.reset(); }
};

VersionRepositoryAdapter postgres_version_repository() {
    return {"Postgres", [] {
                StoreInstance<releases::VersionRepository> instance;
                if (test::pg_test_url() == nullptr) {
                    return instance;  // skipped: no server configured
                }
                auto fixture = std::make_shared<PgReleasesFixture>();
                if (!fixture->create_schema()) {
                    return instance;
                }
                auto db = PgDatabase::open(fixture->url);
                if (!db.ok()) {
                    ADD_FAILURE() << "opening PostgreSQL: " << db.error().message;
                    return instance;
                }
                fixture->db = std::move(db).value();
                auto repo = PgVersionRepository::open(fixture->url);
                if (!repo.ok()) {
                    ADD_FAILURE() << "opening the version repository: " << repo.error().message;
                    return instance;
                }
                fixture->repo = std::move(repo).value();
                instance.open_another = [url = fixture->url]() -> std::unique_ptr<releases::VersionRepository> {
                    auto another = PgVersionRepository::open(url);
                    return another.ok() ? std::move(another).value() : nullptr;
                };
                instance.stored_deliveries = [url = fixture->url] {
                    auto outbox = PgWebhookOutbox::open(url);
                    if (!outbox.ok()) {
                        ADD_FAILURE() << "opening the outbox: " << outbox.error().message;
                        return std::vector<webhooks::Delivery>{};
                    }
                    auto all = (*outbox)->latest(1000);
                    EXPECT_TRUE(all.ok());
                    return all.ok() ? std::move(all).value() : std::vector<webhooks::Delivery>{};
                };
                instance.port = fixture->repo.get();
                instance.owner = std::move(fixture);
                return instance;
            }};
}

INSTANTIATE_TEST_SUITE_P(Postgres,
                         VersionRepositoryContract,
                         ::testing::Values(postgres_version_repository()),
                         store_adapter_name<releases::VersionRepository>);

}  // namespace
}  // namespace beacon::contract
