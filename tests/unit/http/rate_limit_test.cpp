#include "http/rate_limit.hpp"

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

using namespace std::chrono_literals;

IpAddress ip(std::string_view s) {
    return parse_ip(s).value();
}

TEST(RateLimitSetting, RateOrRateAndBurst) {
    auto d = parse_rate_limit("200");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->rate, 200);
    EXPECT_EQ(d->burst, 400u) << "a rate alone bursts to twice the rate, as the default does";
    auto rb = parse_rate_limit("50/60");
    ASSERT_TRUE(rb);
    EXPECT_EQ(rb->rate, 50);
    EXPECT_EQ(rb->burst, 60u);
    auto slow = parse_rate_limit("0.5");
    ASSERT_TRUE(slow);
    EXPECT_EQ(slow->rate, 0.5);
    EXPECT_EQ(slow->burst, 1u);
    auto off = parse_rate_limit("0");
    ASSERT_TRUE(off);
    EXPECT_FALSE(off->enabled());
    EXPECT_TRUE(RateLimit{}.enabled());
    EXPECT_EQ(RateLimit{}.rate, 200);
    EXPECT_EQ(RateLimit{}.burst, 400u);
    for (std::string_view bad : {"",
                                 "-1",
                                 "abc",
                                 "200/",
                                 "/400",
                                 "200/0",
                                 "200/-1",
                                 "200/1.5",
                                 "1e3",
                                 "inf",
                                 "nan",
                                 ".5",
                                 "5.",
                                 "0/5",
                                 "2000000",
                                 "200/2000000",
                                 "200 ",
                                 "200/400/1",
                                 "0x10"}) {
        EXPECT_FALSE(parse_rate_limit(bad)) << bad;
    }
    EXPECT_EQ(format_rate_limit(RateLimit{}), "200/400");
    EXPECT_EQ(format_rate_limit(*slow), "0.5/1");
    EXPECT_EQ(format_rate_limit(*off), "0");
}

TEST(TokenBucket, SpendsTheBurstThenRefillsAtTheRate) {
    RateLimit limit{10, 3};
    TokenBucket b{3, 0};
    EXPECT_EQ(b.take(limit, 0), 0);
    EXPECT_EQ(b.take(limit, 0), 0);
    EXPECT_EQ(b.take(limit, 0), 0);
    EXPECT_EQ(b.take(limit, 0), 1) << "empty: Retry-After is at least one second";
    EXPECT_EQ(b.take(limit, 99), 1) << "0.99 of a token";
    EXPECT_EQ(b.take(limit, 100), 0) << "10/s: a token every 100 ms";
    EXPECT_EQ(b.take(limit, 100), 1);
    // Never more than the burst, however long it rested.
    EXPECT_EQ(b.take(limit, 3'600'000), 0);
    EXPECT_EQ(b.take(limit, 3'600'000), 0);
    EXPECT_EQ(b.take(limit, 3'600'000), 0);
    EXPECT_GT(b.take(limit, 3'600'000), 0);
}

TEST(TokenBucket, RetryAfterIsTheWholeSecondsUntilATokenIsBack) {
    RateLimit limit{0.1, 1};  // one request every 10 s
    TokenBucket b{1, 0};
    EXPECT_EQ(b.take(limit, 0), 0);
    EXPECT_EQ(b.take(limit, 0), 10);
    EXPECT_EQ(b.take(limit, 2'500), 8) << "7.5 s left, rounded up";
    EXPECT_EQ(b.take(limit, 9'999), 1);
    EXPECT_EQ(b.take(limit, 10'000), 0);
}

TEST(TokenBucket, TimeGoingBackwardsRefillsNothing) {
    RateLimit limit{1, 1};
    TokenBucket b{1, 10'000};
    EXPECT_EQ(b.take(limit, 10'000), 0);
    EXPECT_EQ(b.take(limit, 5'000), 1);
    EXPECT_EQ(b.take(limit, 10'999), 1);
    EXPECT_EQ(b.take(limit, 11'000), 0);
}

TEST(TokenBucket, IsFullOnceRestedLongEnough) {
    RateLimit limit{2, 4};
    TokenBucket b{4, 0};
    EXPECT_TRUE(b.full_at(limit, 0));
    EXPECT_EQ(b.take(limit, 0), 0);
    EXPECT_FALSE(b.full_at(limit, 499));
    EXPECT_TRUE(b.full_at(limit, 500));
}

class RateLimiterTest : public ::testing::Test {
protected:
    ManualClock clock_{from_epoch_ms(1'700'000'000'000)};
};

TEST_F(RateLimiterTest, EachClientHasItsOwnBucket) {
    RateLimiter limiter(RateLimit{1, 2}, clock_);
    auto a = ip("192.0.2.1");
    auto b = ip("192.0.2.2");
    EXPECT_EQ(limiter.take(a), 0);
    EXPECT_EQ(limiter.take(a), 0);
    EXPECT_EQ(limiter.take(a), 1);
    EXPECT_EQ(limiter.take(b), 0) << "another client is not limited by the first";
    clock_.advance(1000ms);
    EXPECT_EQ(limiter.take(a), 0);
    EXPECT_EQ(limiter.take(a), 1);
}

TEST_F(RateLimiterTest, OffLetsEverythingThroughAndKeepsNothing) {
    RateLimiter limiter(RateLimit{0, 0}, clock_);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_EQ(limiter.take(ip("192.0.2.1")), 0);
    }
    EXPECT_EQ(limiter.bucket_count(), 0u);
}

TEST_F(RateLimiterTest, IdleBucketsAreDropped) {
    RateLimiter limiter(RateLimit{10, 10}, clock_);
    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(limiter.take(ip("198.51.100." + std::to_string(i))), 0);
    }
    EXPECT_EQ(limiter.bucket_count(), 50u);
    clock_.advance(1000ms);  // every bucket is full again
    // Requests from others sweep the idle ones away as they pass.
    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(limiter.take(ip("203.0.113.1")), i < 10 ? 0 : 1);
    }
    EXPECT_EQ(limiter.bucket_count(), 1u);
    // A dropped bucket is the same as a full one.
    EXPECT_EQ(limiter.take(ip("198.51.100.7")), 0);
}

TEST_F(RateLimiterTest, TheTableIsCappedWhateverTheNumberOfClients) {
    constexpr std::size_t kCap = 160;
    RateLimiter limiter(RateLimit{1, 1}, clock_, kCap);
    for (int i = 0; i < 20'000; ++i) {
        std::string addr = "10." + std::to_string(i / 65536 % 256) + "." + std::to_string(i / 256 % 256) + "." +
                           std::to_string(i % 256);
        EXPECT_EQ(limiter.take(ip(addr)), 0);
        ASSERT_LE(limiter.bucket_count(), kCap);
    }
    EXPECT_LE(limiter.bucket_count(), kCap);
    // A client that keeps sending stays in the table and stays limited.
    auto busy = ip("192.0.2.99");
    EXPECT_EQ(limiter.take(busy), 0);
    EXPECT_EQ(limiter.take(busy), 1);
}

TEST_F(RateLimiterTest, IPv6ClientsShareTheirSlash64) {
    RateLimiter limiter(RateLimit{1, 1}, clock_);
    EXPECT_EQ(limiter.take(limit_key(ip("2001:db8:1:2::1"))), 0);
    EXPECT_EQ(limiter.take(limit_key(ip("2001:db8:1:2::2"))), 1);
    EXPECT_EQ(limiter.take(limit_key(ip("2001:db8:1:3::1"))), 0);
}

}  // namespace
}  // namespace beacon::http
