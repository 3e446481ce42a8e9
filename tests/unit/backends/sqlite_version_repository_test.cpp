// What only the SQLite version repository does, beyond the VersionRepository
// contract (tests/contract/releases): how it is opened.

#include <memory>

#include <gtest/gtest.h>

#include "backends/sqlite/sqlite_database.hpp"
#include "backends/sqlite/sqlite_version_repository.hpp"
#include "support/temp_dir.hpp"

namespace beacon {
namespace {

using backends::sqlite::SqliteDatabase;
using backends::sqlite::SqliteVersionRepository;

releases::ReleaseVersion plain_version(std::int64_t code) {
    releases::ReleaseVersion v;
    v.version_code = code;
    v.version_name = "v" + std::to_string(code);
    v.external_url = "https://example.com/" + std::to_string(code);
    return v;
}

// The repository may be opened before SqliteDatabase, on a new file: it
// migrates. (Two openers of one file: VersionRepositoryContract, Sqlite.)
TEST(SqliteVersionRepository, MayBeOpenedBeforeTheDatabase) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    auto repo = SqliteVersionRepository::open(file);
    ASSERT_TRUE(repo.ok()) << repo.error().message;
    auto db = SqliteDatabase::open(file);
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto created = (*repo)->create(plain_version(210));
    ASSERT_TRUE(created.ok()) << created.error().message;
    EXPECT_EQ((*repo)->get(created->id)->version_code, 210);
}

}  // namespace
}  // namespace beacon
