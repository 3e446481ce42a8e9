// What only the SQLite version repository does, beyond the VersionRepository
// contract (tests/contract/releases): several openers of one file.

#include <memory>
#include <thread>
#include <vector>

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

// Two processes on one file (say two `beacon serve` on one data dir, or the
// server and a tool): each sees the other's writes and catalog revision.
TEST(SqliteVersionRepository, TwoOpenersOfOneFileSeeEachOthersWrites) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    // The repository may be opened before SqliteDatabase: it migrates.
    auto first = SqliteVersionRepository::open(file);
    ASSERT_TRUE(first.ok()) << first.error().message;
    auto second = SqliteVersionRepository::open(file);
    ASSERT_TRUE(second.ok()) << second.error().message;
    auto db = SqliteDatabase::open(file);
    ASSERT_TRUE(db.ok()) << db.error().message;

    const auto before = (*second)->catalog_revision();
    ASSERT_TRUE(before.ok());
    auto created = (*first)->create(plain_version(210));
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto after = (*second)->catalog_revision();
    ASSERT_TRUE(after.ok());
    EXPECT_NE(*after, *before);
    auto seen = (*second)->get(created->id);
    ASSERT_TRUE(seen.ok());
    EXPECT_EQ(seen->version_code, 210);

    // The compare-and-set holds across connections too.
    auto won = (*second)->update(*seen, 1);
    ASSERT_TRUE(won.ok()) << won.error().message;
    auto lost = (*first)->update(*created, 1);
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(lost.error().code, ErrorCode::PreconditionFailed);
}

TEST(SqliteVersionRepository, ConcurrentWritersAndReadersOnOneFile) {
    test::TempDir dir;
    const auto file = dir.path() / "beacon.db";
    auto a = SqliteVersionRepository::open(file);
    auto b = SqliteVersionRepository::open(file);
    ASSERT_TRUE(a.ok() && b.ok());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            SqliteVersionRepository& repo = t % 2 == 0 ? **a : **b;
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
