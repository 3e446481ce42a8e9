// The VersionRepository contract for the embedded SQLite adapter: a fresh
// database file per test, opened the way `beacon serve` opens it (the
// telemetry database and the version repository on the same file).

#include <memory>
#include <vector>

#include "backends/sqlite/sqlite_database.hpp"
#include "backends/sqlite/sqlite_version_repository.hpp"
#include "backends/sqlite/sqlite_webhook_outbox.hpp"
#include "support/temp_dir.hpp"
#include "version_repository_contract.hpp"

namespace beacon::contract {
namespace {

using backends::sqlite::SqliteDatabase;
using backends::sqlite::SqliteVersionRepository;
using backends::sqlite::SqliteWebhookOutbox;

struct SqliteFixture {
    test::TempDir dir;  // destroyed last (members go in reverse order)
    std::unique_ptr<SqliteDatabase> db;
    std::unique_ptr<SqliteVersionRepository> repo;
};

VersionRepositoryAdapter sqlite_version_repository() {
    return {"Sqlite", [] {
                StoreInstance<releases::VersionRepository> instance;
                auto fixture = std::make_shared<SqliteFixture>();
                const auto file = fixture->dir.path() / "beacon.db";
                auto db = SqliteDatabase::open(file);
                if (!db.ok()) {
                    ADD_FAILURE() << "opening SQLite: " << db.error().message;
                    return instance;
                }
                fixture->db = std::move(db).value();
                auto repo = SqliteVersionRepository::open(file);
                if (!repo.ok()) {
                    ADD_FAILURE() << "opening the version repository: " << repo.error().message;
                    return instance;
                }
                fixture->repo = std::move(repo).value();
                instance.open_another = [file]() -> std::unique_ptr<releases::VersionRepository> {
                    auto another = SqliteVersionRepository::open(file);
                    return another.ok() ? std::move(another).value() : nullptr;
                };
                instance.stored_deliveries = [file] {
                    auto outbox = SqliteWebhookOutbox::open(file);
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

INSTANTIATE_TEST_SUITE_P(Sqlite,
                         VersionRepositoryContract,
                         ::testing::Values(sqlite_version_repository()),
                         store_adapter_name<releases::VersionRepository>);

}  // namespace
}  // namespace beacon::contract
