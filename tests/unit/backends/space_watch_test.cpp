#include "backends/sqlite/space_watch.hpp"

#include <atomic>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace beacon::backends::sqlite {
namespace {

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

struct FakeDisk {
    std::atomic<std::uint64_t> free{100 * kMiB};
    SpaceWatch watch{"/data", [this] { return std::optional<std::uint64_t>(free.load()); }};
};

TEST(SpaceWatch, OkWhileThereIsRoomAndNothingFailed) {
    FakeDisk d;
    EXPECT_TRUE(d.watch.check().ok());
    d.watch.wrote();
    EXPECT_TRUE(d.watch.check().ok());
}

TEST(SpaceWatch, DownWhenAlmostNothingIsFreeAndBackWhenSpaceReturns) {
    FakeDisk d;
    d.free = 4096;
    auto r = d.watch.check();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    EXPECT_NE(r.error().message.find("no space left"), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("/data"), std::string::npos) << r.error().message;
    d.free = 0;
    EXPECT_FALSE(d.watch.check().ok());
    d.free = 50 * kMiB;
    EXPECT_TRUE(d.watch.check().ok());
}

TEST(SpaceWatch, AFailedWriteIsDownUntilSpaceIsFreedOrAWriteSucceeds) {
    FakeDisk d;
    d.free = 3 * kMiB;  // some left, but the write that needed more failed
    d.watch.out_of_space();
    EXPECT_FALSE(d.watch.check().ok());
    d.free = 3 * kMiB + kMiB / 2;
    EXPECT_FALSE(d.watch.check().ok()) << "a little more is not enough";
    d.free = 4 * kMiB + 1;
    EXPECT_TRUE(d.watch.check().ok()) << "recovered once space was freed, without a write";
    EXPECT_TRUE(d.watch.check().ok());

    d.watch.out_of_space();
    EXPECT_FALSE(d.watch.check().ok());
    d.watch.wrote();
    EXPECT_TRUE(d.watch.check().ok()) << "a write that succeeded proves there is room";
}

TEST(SpaceWatch, ReadsTheRealFileSystem) {
    test::TempDir dir;
    SpaceWatch watch(dir.path());
    EXPECT_TRUE(watch.check().ok()) << "the test machine's temp dir has room";
}

}  // namespace
}  // namespace beacon::backends::sqlite
