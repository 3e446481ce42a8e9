#include "telemetry/actor_hash.hpp"

#include <gtest/gtest.h>

namespace beacon::telemetry {
namespace {

// Vectors from Python's hashlib: int.from_bytes(md5(key).digest()[:8], 'big'),
// as a signed 64-bit integer. PostgreSQL's expression for the same value is
// checked by the contract suite (the migration's backfill against the append).
TEST(ActorHash, IsTheFirstEightBytesOfTheMd5OfTheActorKeyBigEndianAndSigned) {
    EXPECT_EQ(actor_hash("i:install-0001"), -4179847331855307504);
    EXPECT_EQ(actor_hash("u:user-1"), -1897034887956912656);
    EXPECT_EQ(actor_hash("install-0001", std::nullopt), actor_hash("i:install-0001"));
    EXPECT_EQ(actor_hash("install-0001", std::string("user-1")), actor_hash("u:user-1"));
}

TEST(ActorHash, KeepsAUserIdAndAnInstallIdOfTheSameTextApart) {
    EXPECT_NE(actor_hash("same", std::nullopt), actor_hash("other", std::string("same")));
}

}  // namespace
}  // namespace beacon::telemetry
