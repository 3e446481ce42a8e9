#include "http/gzip.hpp"

#include <random>
#include <string>

#include <gtest/gtest.h>
#include <zlib.h>

namespace beacon::http {
namespace {

// Compresses `data` as one gzip member (what a client sends with
// Content-Encoding: gzip).
std::string gzip(std::string_view data) {
    z_stream zs{};
    EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string random_text(std::size_t n) {
    std::mt19937 rng(42);
    std::uniform_int_distribution<int> dist('a', 'z');
    std::string s(n, ' ');
    for (auto& c : s) {
        c = static_cast<char>(dist(rng));
    }
    return s;
}

TEST(Gunzip, RoundTripsSmallBody) {
    std::string body = R"({"installId":"i-12345678"})";
    auto r = gunzip(gzip(body), 4096);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, body);
}

TEST(Gunzip, RoundTripsEmptyBody) {
    auto r = gunzip(gzip(""), 4096);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->empty());
}

TEST(Gunzip, RoundTripsHighlyCompressibleBodyThatOutgrowsTheFirstBuffer) {
    std::string body(1 << 20, 'x');  // compresses about 1000:1
    auto r = gunzip(gzip(body), 1 << 20);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->size(), body.size());
    EXPECT_EQ(*r, body);
}

TEST(Gunzip, RoundTripsIncompressibleBody) {
    std::string body = random_text(200'000);
    auto r = gunzip(gzip(body), 1 << 20);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, body);
}

TEST(Gunzip, AcceptsOutputExactlyAtTheLimit) {
    std::string body(10'000, 'a');
    auto r = gunzip(gzip(body), body.size());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->size(), body.size());
}

TEST(Gunzip, RefusesOutputOverTheLimitAsUnprocessable) {
    std::string body(10'001, 'a');
    auto r = gunzip(gzip(body), 10'000);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);
}

TEST(Gunzip, StopsAZipBombAtTheLimit) {
    // 16 MiB of zeros is about 16 KiB compressed; the limit is 1 MiB.
    std::string bomb = gzip(std::string(16u << 20, '\0'));
    ASSERT_LT(bomb.size(), 100u * 1024);
    auto r = gunzip(bomb, 1 << 20);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);
}

TEST(Gunzip, RefusesCorruptDataAsInvalidArgument) {
    auto r = gunzip("this is not gzip at all", 4096);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);

    std::string flipped = gzip(random_text(1000));
    flipped[flipped.size() / 2] = static_cast<char>(~flipped[flipped.size() / 2]);
    auto r2 = gunzip(flipped, 4096);
    ASSERT_FALSE(r2.ok());
    EXPECT_EQ(r2.error().code, ErrorCode::InvalidArgument);
}

TEST(Gunzip, RefusesBadChecksumAsInvalidArgument) {
    std::string z = gzip("hello, world");
    z[z.size() - 8] = static_cast<char>(z[z.size() - 8] ^ 0x01);  // CRC32 in the trailer
    auto r = gunzip(z, 4096);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

TEST(Gunzip, RefusesTruncatedDataAsInvalidArgument) {
    std::string full = gzip(random_text(5000));
    for (std::size_t cut : {full.size() - 1, full.size() - 4, full.size() / 2, std::size_t{10}}) {
        auto r = gunzip(std::string_view(full).substr(0, cut), 1 << 20);
        ASSERT_FALSE(r.ok()) << cut;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << cut;
    }
}

TEST(Gunzip, RefusesEmptyInputAsInvalidArgument) {
    auto r = gunzip("", 4096);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

TEST(Gunzip, RefusesRawDeflateWithoutGzipHeader) {
    std::string data = "abcabcabcabc";
    z_stream zs{};
    ASSERT_EQ(deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    std::string out(256, '\0');
    zs.next_in = reinterpret_cast<Bytef*>(data.data());
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    auto r = gunzip(out, 4096);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
}

// --- several members (RFC 1952 2.2), as gunzip reads them -------------------

TEST(Gunzip, DecodesTwoConcatenatedMembers) {
    const std::string first = R"({"context":{"installId":"i-12345678"},)";
    const std::string second = R"("events":[{"eventName":"e"}]})";
    auto r = gunzip(gzip(first) + gzip(second), 4096);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, first + second);
}

TEST(Gunzip, DecodesManyMembersIncludingEmptyOnes) {
    std::string body;
    std::string expected;
    for (int i = 0; i < 50; ++i) {
        const std::string part = i % 5 == 0 ? "" : random_text(static_cast<std::size_t>(100 + i));
        body += gzip(part);
        expected += part;
    }
    auto r = gunzip(body, 1 << 20);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(*r, expected);
}

TEST(Gunzip, RefusesBytesAfterAMemberThatAreNotAMember) {
    const std::string member = gzip("hello, world");
    for (const std::string& tail : {std::string("garbage"),
                                    std::string(1, '\0'),
                                    std::string(8, '\0'),
                                    std::string("\x1f"),
                                    std::string("\x1f\x8c"),
                                    std::string("\n")}) {
        auto r = gunzip(member + tail, 4096);
        ASSERT_FALSE(r.ok()) << "tail of " << tail.size() << " bytes";
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    }
}

TEST(Gunzip, RefusesATruncatedOrCorruptSecondMember) {
    const std::string first = gzip("hello, ");
    const std::string second = gzip(random_text(2000));
    auto truncated = gunzip(first + second.substr(0, second.size() / 2), 1 << 20);
    ASSERT_FALSE(truncated.ok());
    EXPECT_EQ(truncated.error().code, ErrorCode::InvalidArgument);
    std::string bad = second;
    bad[bad.size() - 8] = static_cast<char>(bad[bad.size() - 8] ^ 0x01);  // its CRC32
    auto corrupt = gunzip(first + bad, 1 << 20);
    ASSERT_FALSE(corrupt.ok());
    EXPECT_EQ(corrupt.error().code, ErrorCode::InvalidArgument);
}

TEST(Gunzip, TheLimitCountsAllMembersTogether) {
    const std::string part(6000, 'a');
    auto under = gunzip(gzip(part) + gzip(part), 12'000);
    ASSERT_TRUE(under.ok()) << under.error().message;
    EXPECT_EQ(under->size(), 12'000u);
    auto over = gunzip(gzip(part) + gzip(part) + gzip("b"), 12'000);
    ASSERT_FALSE(over.ok());
    EXPECT_EQ(over.error().code, ErrorCode::Unprocessable);
    // A bomb split into many small members is stopped too.
    std::string bombs;
    const std::string zeros = gzip(std::string(1 << 20, '\0'));
    for (int i = 0; i < 20; ++i) {
        bombs += zeros;
    }
    auto stopped = gunzip(bombs, 4u << 20);
    ASSERT_FALSE(stopped.ok());
    EXPECT_EQ(stopped.error().code, ErrorCode::Unprocessable);
}

}  // namespace
}  // namespace beacon::http
