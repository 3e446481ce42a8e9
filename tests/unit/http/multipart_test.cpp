#include "http/multipart.hpp"

#include <gtest/gtest.h>

#include <random>

namespace beacon::http {
namespace {

struct Collected {
    std::string bytes;
    MultipartFileReader::Sink sink() {
        return [this](std::string_view b) -> Result<void> {
            bytes.append(b);
            return {};
        };
    }
};

std::string body_with(std::string_view boundary, std::string_view content) {
    std::string b;
    b += "preamble text\r\n--";
    b += boundary;
    b += "\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhello\r\n--";
    b += boundary;
    b += "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"app-release.apk\"\r\n";
    b += "Content-Type: application/vnd.android.package-archive\r\n\r\n";
    b += content;
    b += "\r\n--";
    b += boundary;
    b += "--\r\nepilogue";
    return b;
}

TEST(Multipart, BoundaryFromContentType) {
    EXPECT_EQ(multipart_boundary("multipart/form-data; boundary=abc123"), "abc123");
    EXPECT_EQ(multipart_boundary("Multipart/Form-Data; charset=x; boundary=\"a b:c\""), "a b:c");
    EXPECT_FALSE(multipart_boundary("multipart/mixed; boundary=abc"));
    EXPECT_FALSE(multipart_boundary("multipart/form-data"));
    EXPECT_FALSE(multipart_boundary("multipart/form-data; boundary=" + std::string(71, 'x')));
}

TEST(Multipart, ExtractsTheFilePartWhateverTheChunking) {
    std::string content;
    std::mt19937 rng(7);
    for (int i = 0; i < 100000; ++i) {
        content.push_back(static_cast<char>(rng()));
    }
    content += "\r\n--bound";  // looks like, but is not, a delimiter
    std::string body = body_with("boundXYZ", content);
    for (std::size_t chunk : {1UL, 2UL, 7UL, 64UL, 4096UL, body.size()}) {
        Collected c;
        MultipartFileReader r("boundXYZ", c.sink());
        for (std::size_t i = 0; i < body.size(); i += chunk) {
            ASSERT_TRUE(r.feed(std::string_view(body).substr(i, chunk))) << chunk;
        }
        ASSERT_TRUE(r.finish());
        EXPECT_EQ(c.bytes, content) << "chunk " << chunk;
        EXPECT_EQ(r.file_name(), "app-release.apk");
        EXPECT_EQ(r.file_content_type(), "application/vnd.android.package-archive");
    }
}

TEST(Multipart, MissingFilePartIsAFieldError) {
    std::string body = "--b\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nx\r\n--b--\r\n";
    Collected c;
    MultipartFileReader r("b", c.sink());
    ASSERT_TRUE(r.feed(body));
    auto done = r.finish();
    ASSERT_FALSE(done);
    ASSERT_EQ(done.error().fields.size(), 1u);
    EXPECT_EQ(done.error().fields[0].field, "file");
}

TEST(Multipart, TruncatedBodyIsRefused) {
    std::string body = body_with("b", "data");
    Collected c;
    MultipartFileReader r("b", c.sink());
    ASSERT_TRUE(r.feed(body.substr(0, body.size() - 14)));
    EXPECT_FALSE(r.finish());
}

TEST(Multipart, OversizedPartHeadersAreRefused) {
    std::string body = "--b\r\nX-Filler: " + std::string(10000, 'a');
    Collected c;
    MultipartFileReader r("b", c.sink());
    EXPECT_FALSE(r.feed(body));
}

TEST(Multipart, SinkErrorsStopTheRead) {
    std::string body = body_with("b", std::string(1000, 'z'));
    MultipartFileReader r(
        "b", [](std::string_view) -> Result<void> { return make_error(ErrorCode::PayloadTooLarge, "too big"); });
    auto res = r.feed(body);
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().code, ErrorCode::PayloadTooLarge);
}

TEST(Multipart, TwoFilePartsAreRefused) {
    std::string body =
        "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nx\r\n"
        "--b\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\ny\r\n--b--";
    Collected c;
    MultipartFileReader r("b", c.sink());
    EXPECT_FALSE(r.feed(body));
}

}  // namespace
}  // namespace beacon::http
