// What only the PostgreSQL version repository does, beyond the
// VersionRepository contract (tests/contract/releases): how it is opened.
// Needs BEACON_TEST_PG_URL (tools/run-pg-tests.sh); skipped without it.
// Each test gets a fresh schema (support/pg_test_db.hpp).

#include <memory>
#include <string>

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

// The repository may be opened before PgDatabase, on a new schema: it
// migrates. (Replicas on one database: VersionRepositoryContract, Postgres.)
TEST(PostgresVersionRepository, MayBeOpenedBeforeTheDatabase) {
    REQUIRE_PG_SERVER();
    PgFixture f;
    ASSERT_TRUE(f.create_schema());
    auto repo = PgVersionRepository::open(f.url);
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    auto db = PgDatabase::open(f.url);
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto created = (*repo)->create(plain_version(210));
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ((*repo)->get(created->id)->version_code, 210);
}

}  // namespace
}  // namespace beacon
