#include "telemetry/day_actor_tally.hpp"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace beacon::telemetry {
namespace {

using Groups = std::map<std::string, std::int64_t>;

TEST(DayActorTally, CountsEachActorOnceOverallAndOncePerPlatformAndRegion) {
    DayActorTally tally;
    tally.add("i:a", "android", "DE");
    tally.add("i:a", "android", "DE");  // a second session start of the same actor
    tally.add("i:a", "android", "FR");  // travelled: once under each region
    tally.add("u:7", "ios", "DE");
    tally.add("u:7", "android", "DE");  // two platforms: once in the total, once under each
    tally.add("i:b", "", "");           // neither stored: "unknown"
    const DailyCounts c = tally.finish();
    EXPECT_EQ(c.total, 3);
    EXPECT_EQ(c.by_platform, (Groups{{"android", 2}, {"ios", 1}, {"unknown", 1}}));
    EXPECT_EQ(c.by_region, (Groups{{"DE", 2}, {"FR", 1}, {"unknown", 1}}));
}

TEST(DayActorTally, AUserAndAnInstallWithTheSameIdAreTwoActors) {
    DayActorTally tally;
    tally.add("u:same", "android", "DE");
    tally.add("i:same", "android", "DE");
    EXPECT_EQ(tally.finish().total, 2);
}

TEST(DayActorTally, NothingAddedIsAllZero) {
    DayActorTally tally;
    const DailyCounts c = tally.finish();
    EXPECT_EQ(c.total, 0);
    EXPECT_TRUE(c.by_platform.empty());
    EXPECT_TRUE(c.by_region.empty());
}

TEST(DayActorTally, ManyActorsAreCountedExactly) {
    // Enough actors that a hash of them would be tempting; the count is exact.
    DayActorTally tally;
    for (int i = 0; i < 100000; ++i) {
        const std::string actor = "i:install-" + std::to_string(i % 60000);
        tally.add(actor, i % 2 == 0 ? "android" : "ios", i % 3 == 0 ? "DE" : "US");
    }
    const DailyCounts c = tally.finish();
    EXPECT_EQ(c.total, 60000);
    // i and i + 60000 share an actor: actor k is android when k is even (60000 is even).
    EXPECT_EQ(c.by_platform, (Groups{{"android", 30000}, {"ios", 30000}}));
    // Actor k's rows: i = k and, for k < 40000, i = k + 60000 (the same residue mod 3).
    EXPECT_EQ(c.by_region.at("DE"), 20000);
    EXPECT_EQ(c.by_region.at("US"), 40000);
}

}  // namespace
}  // namespace beacon::telemetry
