// The database-port contracts, instantiated for the embedded SQLite adapter:
// a fresh database file in a temporary directory per test.

#include <memory>
#include <type_traits>

#include "backends/sqlite/sqlite_database.hpp"
#include "store_contract.hpp"
#include "support/temp_dir.hpp"

namespace beacon::contract {
namespace {

using backends::sqlite::SqliteDatabase;

struct SqliteFixture {
    test::TempDir dir;  // destroyed after db (members are destroyed in reverse)
    std::unique_ptr<SqliteDatabase> db;
};

std::shared_ptr<SqliteFixture> open_sqlite() {
    auto fixture = std::make_shared<SqliteFixture>();
    auto db = SqliteDatabase::open(fixture->dir.path() / "beacon.db");
    if (!db.ok()) {
        ADD_FAILURE() << "opening SQLite: " << db.error().message;
        return nullptr;
    }
    fixture->db = std::move(db).value();
    return fixture;
}

template <typename Port>
StoreAdapter<Port> sqlite_adapter() {
    return {"Sqlite", [] {
                StoreInstance<Port> instance;
                auto fixture = open_sqlite();
                if (!fixture) {
                    return instance;
                }
                SqliteDatabase* db = fixture->db.get();
                instance.port = db;
                if constexpr (std::is_same_v<Port, telemetry::EventStore>) {
                    instance.fail_next_append_after = [db](std::size_t n) { db->fail_next_append_after_for_test(n); };
                }
                instance.owner = std::move(fixture);
                return instance;
            }};
}

INSTANTIATE_TEST_SUITE_P(Sqlite,
                         EventStoreContract,
                         ::testing::Values(sqlite_adapter<telemetry::EventStore>()),
                         store_adapter_name<telemetry::EventStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite,
                         DailyStatsStoreContract,
                         ::testing::Values(sqlite_adapter<telemetry::DailyStatsStore>()),
                         store_adapter_name<telemetry::DailyStatsStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite,
                         SnapshotStoreContract,
                         ::testing::Values(sqlite_adapter<telemetry::SnapshotStore>()),
                         store_adapter_name<telemetry::SnapshotStore>);
INSTANTIATE_TEST_SUITE_P(Sqlite,
                         JobLedgerContract,
                         ::testing::Values(sqlite_adapter<jobs::JobLedger>()),
                         store_adapter_name<jobs::JobLedger>);

}  // namespace
}  // namespace beacon::contract
