#include "http/client_address.hpp"

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

IpAddress ip(std::string_view s) {
    auto a = parse_ip(s);
    EXPECT_TRUE(a) << s;
    return a.value_or(IpAddress{});
}

TrustedProxies trusted(std::string_view list) {
    auto blocks = parse_cidr_list(list);
    EXPECT_TRUE(blocks.ok()) << list;
    return TrustedProxies(blocks.ok() ? *blocks : std::vector<Cidr>{});
}

std::string client_of(std::string_view peer, std::vector<std::string_view> xff, const TrustedProxies& t) {
    return client_address(ip(peer), xff, t).to_string();
}

TEST(IpAddress, ParsesBothFamiliesAndPrintsThemBack) {
    EXPECT_EQ(ip("192.0.2.1").to_string(), "192.0.2.1");
    EXPECT_TRUE(ip("192.0.2.1").is_v4());
    EXPECT_EQ(ip("2001:DB8::1").to_string(), "2001:db8::1");
    EXPECT_FALSE(ip("2001:db8::1").is_v4());
    // An IPv4-mapped IPv6 address is the IPv4 address.
    EXPECT_EQ(ip("::ffff:192.0.2.1"), ip("192.0.2.1"));
}

TEST(IpAddress, RefusesWhatIsNotALiteralAddress) {
    for (std::string_view bad : {"",
                                 "1.2.3",
                                 "1.2.3.4.5",
                                 "256.1.1.1",
                                 "01.2.3.4",
                                 "1.2.3.4 ",
                                 "example.com",
                                 "[::1]",
                                 "::1%eth0",
                                 "1.2.3.4:80",
                                 "2001:db8::1::2",
                                 "unknown"}) {
        EXPECT_FALSE(parse_ip(bad)) << bad;
    }
}

TEST(Cidr, MatchesItsBlockOnly) {
    auto v4 = parse_cidr("10.0.0.0/8");
    ASSERT_TRUE(v4.ok());
    EXPECT_TRUE(v4->contains(ip("10.255.1.2")));
    EXPECT_FALSE(v4->contains(ip("11.0.0.1")));
    EXPECT_FALSE(v4->contains(ip("::a00:1"))) << "an IPv6 address is not in an IPv4 block";

    auto odd = parse_cidr("192.168.0.0/23");
    ASSERT_TRUE(odd.ok());
    EXPECT_TRUE(odd->contains(ip("192.168.1.255")));
    EXPECT_FALSE(odd->contains(ip("192.168.2.0")));

    auto v6 = parse_cidr("2001:db8::/32");
    ASSERT_TRUE(v6.ok());
    EXPECT_TRUE(v6->contains(ip("2001:db8:ffff::1")));
    EXPECT_FALSE(v6->contains(ip("2001:db9::1")));
    EXPECT_FALSE(v6->contains(ip("10.0.0.1")));

    auto host = parse_cidr("203.0.113.7");
    ASSERT_TRUE(host.ok());
    EXPECT_TRUE(host->contains(ip("203.0.113.7")));
    EXPECT_FALSE(host->contains(ip("203.0.113.8")));
    auto host6 = parse_cidr("::1");
    ASSERT_TRUE(host6.ok());
    EXPECT_TRUE(host6->contains(ip("::1")));

    auto all = parse_cidr("0.0.0.0/0");
    ASSERT_TRUE(all.ok());
    EXPECT_TRUE(all->contains(ip("198.51.100.1")));
    EXPECT_FALSE(all->contains(ip("2001:db8::1"))) << "0.0.0.0/0 is every IPv4 address, not every address";
    auto all6 = parse_cidr("::/0");
    ASSERT_TRUE(all6.ok());
    EXPECT_TRUE(all6->contains(ip("2001:db8::1")));
}

TEST(Cidr, RefusesMalformedBlocksSayingWhy) {
    for (std::string_view bad : {"",
                                 "/8",
                                 "10.0.0.0/",
                                 "10.0.0.0/33",
                                 "2001:db8::/129",
                                 "10.0.0.0/-1",
                                 "10.0.0.0/8/8",
                                 "10.0.0.0/x",
                                 "10.0.0/8",
                                 "fe80::/10%eth0",
                                 "10.0.0.0 /8",
                                 "example.com/8"}) {
        auto c = parse_cidr(bad);
        EXPECT_FALSE(c.ok()) << bad;
        if (!c.ok()) {
            EXPECT_NE(c.error().message.find("is not a CIDR block"), std::string::npos) << c.error().message;
        }
    }
    auto host_bits = parse_cidr("10.0.0.1/8");
    ASSERT_FALSE(host_bits.ok());
    EXPECT_NE(host_bits.error().message.find("did you mean 10.0.0.0/8"), std::string::npos)
        << host_bits.error().message;
}

TEST(Cidr, ListsAreCommaSeparatedAndEmptyIsNone) {
    auto none = parse_cidr_list("  ");
    ASSERT_TRUE(none.ok());
    EXPECT_TRUE(none->empty());
    auto two = parse_cidr_list("10.0.0.0/8, 2001:db8::/32");
    ASSERT_TRUE(two.ok());
    EXPECT_EQ(two->size(), 2u);
    EXPECT_FALSE(parse_cidr_list("10.0.0.0/8,,::1").ok());
    EXPECT_FALSE(parse_cidr_list("10.0.0.0/8,").ok());
    auto bad = parse_cidr_list("10.0.0.0/8, 300.0.0.0/8");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("300.0.0.0/8"), std::string::npos) << bad.error().message;
}

TEST(ForwardedFor, EntriesMayCarryAPort) {
    EXPECT_EQ(parse_forwarded_for_entry(" 192.0.2.1 ")->to_string(), "192.0.2.1");
    EXPECT_EQ(parse_forwarded_for_entry("192.0.2.1:4711")->to_string(), "192.0.2.1");
    EXPECT_EQ(parse_forwarded_for_entry("2001:db8::1")->to_string(), "2001:db8::1");
    EXPECT_EQ(parse_forwarded_for_entry("[2001:db8::1]")->to_string(), "2001:db8::1");
    EXPECT_EQ(parse_forwarded_for_entry("[2001:db8::1]:443")->to_string(), "2001:db8::1");
    for (std::string_view bad : {"",
                                 "unknown",
                                 "_hidden",
                                 "192.0.2.1:",
                                 "192.0.2.1:x",
                                 "[192.0.2.1]",
                                 "[::1",
                                 "[::1]x",
                                 "[::1]:",
                                 "1.2.3.4.5"}) {
        EXPECT_FALSE(parse_forwarded_for_entry(bad)) << bad;
    }
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItSends) {
    EXPECT_EQ(client_of("198.51.100.9", {"1.1.1.1"}, TrustedProxies{}), "198.51.100.9");
    EXPECT_EQ(client_of("198.51.100.9", {"1.1.1.1"}, trusted("10.0.0.0/8")), "198.51.100.9");
}

TEST(ClientAddress, BehindATrustedProxyTheRightmostUntrustedEntryIsTheClient) {
    auto t = trusted("10.0.0.0/8, 2001:db8:aaaa::/48");
    // The proxy appended the client's address.
    EXPECT_EQ(client_of("10.0.0.1", {"203.0.113.5"}, t), "203.0.113.5");
    // What the client wrote itself (left) is not believed.
    EXPECT_EQ(client_of("10.0.0.1", {"6.6.6.6, 203.0.113.5"}, t), "203.0.113.5");
    // Two trusted hops: both skipped.
    EXPECT_EQ(client_of("10.0.0.1", {"6.6.6.6, 203.0.113.5, 10.1.1.1"}, t), "203.0.113.5");
    // Several header fields are one list, in order.
    EXPECT_EQ(client_of("10.0.0.1", {"6.6.6.6", "203.0.113.5", "10.1.1.1"}, t), "203.0.113.5");
    // IPv6 clients and proxies; ports are dropped.
    EXPECT_EQ(client_of("2001:db8:aaaa::1", {"[2001:db8:1::5]:1234"}, t), "2001:db8:1::5");
    EXPECT_EQ(client_of("2001:db8:aaaa::1", {"203.0.113.5:80, 2001:db8:aaaa::2"}, t), "203.0.113.5");
    // An IPv4-mapped peer is trusted as its IPv4 address.
    EXPECT_EQ(client_of("::ffff:10.0.0.1", {"203.0.113.5"}, t), "203.0.113.5");
}

TEST(ClientAddress, EdgeCases) {
    auto t = trusted("10.0.0.0/8");
    // No header: the proxy itself.
    EXPECT_EQ(client_of("10.0.0.1", {}, t), "10.0.0.1");
    EXPECT_EQ(client_of("10.0.0.1", {""}, t), "10.0.0.1");
    // Every entry trusted: the leftmost (farthest) hop is the best known.
    EXPECT_EQ(client_of("10.0.0.1", {"10.9.9.9, 10.2.2.2"}, t), "10.9.9.9");
    // A malformed entry stops the walk at the last trusted hop: the client
    // cannot pick an address by writing garbage.
    EXPECT_EQ(client_of("10.0.0.1", {"203.0.113.5, unknown"}, t), "10.0.0.1");
    EXPECT_EQ(client_of("10.0.0.1", {"203.0.113.5, garbage, 10.2.2.2"}, t), "10.2.2.2");
    // Empty list elements are skipped.
    EXPECT_EQ(client_of("10.0.0.1", {"203.0.113.5, , "}, t), "203.0.113.5");
}

TEST(LimitKey, IPv6CountsByItsSlash64) {
    EXPECT_EQ(limit_key(ip("2001:db8:1:2:aaaa::1")), limit_key(ip("2001:db8:1:2:bbbb::2")));
    EXPECT_NE(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
    EXPECT_EQ(limit_key(ip("192.0.2.1")), ip("192.0.2.1"));
    EXPECT_NE(limit_key(ip("192.0.2.1")), limit_key(ip("192.0.2.2")));
}

}  // namespace
}  // namespace beacon::http
