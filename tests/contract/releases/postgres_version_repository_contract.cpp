// The VersionRepository contract for the PostgreSQL adapter. Needs a server:
// BEACON_TEST_PG_URL=postgres://... (tools/test-services/postgres.sh start
// DIR prints one); without it the tests are skipped. Each test gets a fresh
// schema (beacon_vt_<pid>_<n>, reached through the URL's search_path),
// dropped afterwards, and opens the repository the way `beacon serve` would
// (PgDatabase first; the repository migrates too, so order does not matter).

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_version_repository.hpp"
#include "version_repository_contract.hpp"

namespace beacon::contract {
namespace {

using backends::postgres::PgDatabase;
using backends::postgres::PgVersionRepository;

const char* server_url() {
    const char* url = std::getenv("BEACON_TEST_PG_URL");
    return url != nullptr && *url != '\0' ? url : nullptr;
}

// Runs `sql` on a connection of its own; false (and a failure) on error.
bool admin_exec(const std::string& sql) {
    PGconn* conn = PQconnectdb(server_url());
    PQsetNoticeProcessor(
        conn, [](void*, const char*) {}, nullptr);  // "drop cascades to ..."
    bool ok = false;
    if (PQstatus(conn) != CONNECTION_OK) {
        ADD_FAILURE() << "admin connection: " << PQerrorMessage(conn);
    } else {
        PGresult* r = PQexec(conn, sql.c_str());
        ExecStatusType s = PQresultStatus(r);
        ok = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
        if (!ok) {
            ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
        }
        PQclear(r);
    }
    PQfinish(conn);
    return ok;
}

// A schema of its own, dropped on destruction (after the adapters close).
struct PgFixture {
    std::string schema;
    std::string url;
    std::unique_ptr<PgDatabase> db;
    std::unique_ptr<PgVersionRepository> repo;

    PgFixture() {
        static std::atomic<int> counter{0};
        schema = "beacon_vt_" + std::to_string(getpid()) + "_" + std::to_string(counter.fetch_add(1));
        url = std::string(server_url());
        url += (url.find('?') == std::string::npos ? "?" : "&");
        url += "options=-csearch_path%3D" + schema + "&application_name=" + schema;
    }
    ~PgFixture() {
        repo.reset();
        db.reset();
        admin_exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    }
    PgFixture(const PgFixture&) = delete;
    PgFixture& operator=(const PgFixture&) = delete;

    bool create_schema() { return admin_exec("CREATE SCHEMA " + schema); }
};

VersionRepositoryAdapter postgres_version_repository() {
    return {"Postgres", [] {
                StoreInstance<releases::VersionRepository> instance;
                if (server_url() == nullptr) {
                    return instance;  // skipped: no server configured
                }
                auto fixture = std::make_shared<PgFixture>();
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
                instance.port = fixture->repo.get();
                instance.owner = std::move(fixture);
                return instance;
            }};
}

INSTANTIATE_TEST_SUITE_P(Postgres,
                         VersionRepositoryContract,
                         ::testing::Values(postgres_version_repository()),
                         store_adapter_name<releases::VersionRepository>);

// --- PostgreSQL specifics ---------------------------------------------------------

#define REQUIRE_SERVER()                                     \
    do {                                                     \
        if (server_url() == nullptr) {                       \
            GTEST_SKIP() << "BEACON_TEST_PG_URL is not set"; \
        }                                                    \
    } while (0)

releases::ReleaseVersion plain_version(std::int64_t code) {
    releases::ReleaseVersion v;
    v.version_code = code;
    v.version_name = "v" + std::to_string(code);
    v.external_url = "https://example.com/" + std::to_string(code);
    return v;
}

// Two replicas on one database: the repository may be opened before
// PgDatabase (it migrates), and each sees the other's writes and revision.
TEST(PostgresVersionRepository, TwoReplicasSeeEachOthersWrites) {
    REQUIRE_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.create_schema());
    auto first = PgVersionRepository::open(f.url);
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = PgVersionRepository::open(f.url);
    ASSERT_TRUE(second.ok()) << second.error().message;
    auto db = PgDatabase::open(f.url);
    ASSERT_TRUE(db.ok()) << db.error().message;

    const auto before = (*second)->catalog_revision();
    ASSERT_TRUE(before.ok());
    auto created = (*first)->create(plain_version(210));
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto after = (*second)->catalog_revision();
    ASSERT_TRUE(after.ok());
    EXPECT_NE(*after, *before);

    auto won = (*second)->update(*created, 1);
    ASSERT_TRUE(won.ok()) << won.error().message;
    auto lost = (*first)->update(*created, 1);
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(lost.error().code, ErrorCode::PreconditionFailed);
}

TEST(PostgresVersionRepository, ConcurrentWritersAndReaders) {
    REQUIRE_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.create_schema());
    auto a = PgVersionRepository::open(f.url);
    auto b = PgVersionRepository::open(f.url);
    ASSERT_TRUE(a.ok() && b.ok());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            PgVersionRepository& repo = t % 2 == 0 ? **a : **b;
            for (int i = 0; i < 25; ++i) {
                if (!repo.create(plain_version(t * 1000 + i)).ok()) {
                    ++failures;
                }
                if (!repo.catalog_revision().ok() || !repo.load_catalog().ok()) {
                    ++failures;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(failures.load(), 0);
    auto catalog = (*a)->load_catalog();
    ASSERT_TRUE(catalog.ok());
    EXPECT_EQ(catalog->enabled_versions.size(), 100u);
    EXPECT_EQ(catalog->revision, 100);
}

}  // namespace
}  // namespace beacon::contract
