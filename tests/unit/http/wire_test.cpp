#include "http/wire.hpp"

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

TEST(Wire, TextResponseIsStatusLineFieldsBlankLineBody) {
    Response res = json_response(bh::status::ok, std::string("{\"ok\":true}"));
    res.set("X-Request-Id", "r1");
    EXPECT_EQ(serialize_text_response(res, false),
              "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Request-Id: r1\r\n\r\n"
              "{\"ok\":true}");
}

TEST(Wire, AddsContentLengthWhenMissingAndKeepsConnectionClose) {
    Response res{bh::status::not_found, 11};
    res.body() = "nope";
    res.keep_alive(false);
    const std::string wire = serialize_text_response(res, false);
    EXPECT_EQ(wire.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << wire;
    EXPECT_NE(wire.find("Connection: close\r\n"), std::string::npos) << wire;
    EXPECT_NE(wire.find("Content-Length: 4\r\n"), std::string::npos) << wire;
    EXPECT_TRUE(wire.ends_with("\r\n\r\nnope")) << wire;
}

TEST(Wire, BodilessStatusesGetNoContentLength) {
    for (auto status : {bh::status::not_modified, bh::status::no_content}) {
        Response res = empty_response(status);
        res.set(bh::field::etag, "\"abc\"");
        const std::string wire = serialize_text_response(res, false);
        EXPECT_EQ(wire.find("Content-Length"), std::string::npos) << wire;
        EXPECT_TRUE(wire.ends_with("ETag: \"abc\"\r\n\r\n")) << wire;
    }
}

TEST(Wire, HeadOnlyLeavesTheBodyOut) {
    Response res = json_response(bh::status::ok, std::string("{\"a\":1}"));
    const std::string wire = serialize_text_response(res, true);
    EXPECT_TRUE(wire.ends_with("Content-Length: 7\r\n\r\n")) << wire;
}

}  // namespace
}  // namespace beacon::http
