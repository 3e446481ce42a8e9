// GET /openapi.json as the router serves it: public, no body, the embedded
// document byte for byte (its conformance to the server is
// tests/openapi/conformance.test.mjs).
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "http/openapi_document.hpp"
#include "http/ops_routes.hpp"

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

TEST(OpsRoutes, OpenApiDocumentIsServedPubliclyAsJson) {
    Metrics metrics;
    Router router(metrics);
    add_ops_routes(router, metrics, {});
    auto m = router.match("GET", "/openapi.json");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->options.access, Access::Public);
    EXPECT_EQ(m.route->options.body, BodyKind::None);
    EXPECT_EQ(router.match("HEAD", "/openapi.json").route, m.route);

    RequestHeader header;
    Request req{header, "/openapi.json", {}, {}, {}, std::nullopt, "id"};
    boost::asio::io_context io;
    auto done = boost::asio::co_spawn(io, m.route->handler(req), boost::asio::use_future);
    io.run();
    Response res = done.get();
    EXPECT_EQ(res.result(), bh::status::ok);
    EXPECT_EQ(res[bh::field::content_type], "application/json");
    EXPECT_EQ(std::string(res.body()), std::string(openapi_document()));
}

TEST(OpsRoutes, EmbeddedDocumentIsOpenApi31AndDescribesItself) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(openapi_document(), ec);
    ASSERT_FALSE(ec) << ec.message();
    EXPECT_TRUE(std::string_view(doc.at("openapi").as_string()).starts_with("3.1."));
    EXPECT_NE(doc.at("paths").as_object().if_contains("/openapi.json"), nullptr);
}

}  // namespace
}  // namespace beacon::http
