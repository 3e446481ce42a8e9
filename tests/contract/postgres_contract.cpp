// The database-port contracts, instantiated for the PostgreSQL adapter. They
// need a server: BEACON_TEST_PG_URL (tools/run-pg-tests.sh starts one with
// tools/test-services/postgres.sh); without it every test here is skipped.
// Each test gets a fresh schema (support/pg_test_db.hpp). What only the
// adapter does is in tests/integration/backends/postgres.

#include <memory>
#include <type_traits>

#include "backends/postgres/pg_database.hpp"
#include "store_contract.hpp"
#include "support/pg_test_db.hpp"

namespace beacon::contract {
namespace {

using backends::postgres::PgDatabase;
using test::PgFixture;

template <typename Port>
StoreAdapter<Port> postgres_adapter(std::string name) {
    return {std::move(name), [] {
                StoreInstance<Port> instance;
                if (test::pg_test_url() == nullptr) {
                    return instance;  // skipped: no server configured
                }
                auto fixture = std::make_shared<PgFixture>();
                if (!fixture->open()) {
                    return instance;
                }
                PgDatabase* db = fixture->db.get();
                instance.port = db;
                if constexpr (std::is_same_v<Port, telemetry::EventStore>) {
                    instance.fail_next_append_after = [db](std::size_t n) { db->fail_next_append_after_for_test(n); };
                    instance.retention_by_month = true;
                }
                instance.owner = std::move(fixture);
                return instance;
            }};
}

INSTANTIATE_TEST_SUITE_P(Postgres,
                         EventStoreContract,
                         ::testing::Values(postgres_adapter<telemetry::EventStore>("Postgres")),
                         store_adapter_name<telemetry::EventStore>);
INSTANTIATE_TEST_SUITE_P(Postgres,
                         DailyStatsStoreContract,
                         ::testing::Values(postgres_adapter<telemetry::DailyStatsStore>("Postgres")),
                         store_adapter_name<telemetry::DailyStatsStore>);
INSTANTIATE_TEST_SUITE_P(Postgres,
                         SnapshotStoreContract,
                         ::testing::Values(postgres_adapter<telemetry::SnapshotStore>("Postgres")),
                         store_adapter_name<telemetry::SnapshotStore>);
INSTANTIATE_TEST_SUITE_P(Postgres,
                         JobLedgerContract,
                         ::testing::Values(postgres_adapter<jobs::JobLedger>("Postgres")),
                         store_adapter_name<jobs::JobLedger>);

}  // namespace
}  // namespace beacon::contract
