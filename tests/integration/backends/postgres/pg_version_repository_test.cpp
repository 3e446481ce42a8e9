// What only the PostgreSQL version repository does, beyond the
// VersionRepository contract (tests/contract/releases): replicas on one
// database. Needs BEACON_TEST_PG_URL (tools/run-pg-tests.sh); skipped
// without it. Each test gets a fresh schema (support/pg_test_db.hpp).

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_version_repository.hpp"
#include "support/pg_test_db.hpp"

namespace beacon {
namespace {

using backends::postgres::PgDatabase;
using backends::postgres::PgVersionRepository;
using test::PgFixture;

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
    REQUIRE_PG_SERVER();
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
    REQUIRE_PG_SERVER();
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
}  // namespace beacon
