// The web console's routes (http/console_routes.hpp) and their headers
// (http/security_headers.hpp), over the table the build embedded and over a
// small table of our own.
#include "http/console_routes.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "http/gzip.hpp"
#include "http/security_headers.hpp"

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

Response get(Router& router, std::string_view path, std::string_view accept_encoding = "", std::string_view inm = "") {
    auto m = router.match("GET", path);
    EXPECT_NE(m.route, nullptr) << path;
    if (m.route == nullptr) {
        return Response{bh::status::not_found, 11};
    }
    RequestHeader header;
    if (!accept_encoding.empty()) {
        header.set(bh::field::accept_encoding, accept_encoding);
    }
    if (!inm.empty()) {
        header.set(bh::field::if_none_match, inm);
    }
    Request req{header, path, {}, m.params, {}, std::nullopt, "id"};
    boost::asio::io_context io;
    auto done = boost::asio::co_spawn(io, m.route->handler(req), boost::asio::use_future);
    io.run();
    Response res = done.get();
    add_security_headers(res, path);
    return res;
}

const ConsoleAsset* asset_ending(std::string_view suffix) {
    for (const auto& a : console_assets()) {
        if (a.path.starts_with("assets/") && a.path.ends_with(suffix)) {
            return &a;
        }
    }
    return nullptr;
}

struct ConsoleRoutes : ::testing::Test {
    Metrics metrics;
    Router router{metrics};
    void SetUp() override { add_console_routes(router); }
};

TEST_F(ConsoleRoutes, BarePathRedirectsPermanentlyToTheSlash) {
    auto res = get(router, "/console");
    EXPECT_EQ(res.result(), bh::status::permanent_redirect);
    EXPECT_EQ(res[bh::field::location], "/console/");
}

TEST_F(ConsoleRoutes, EmbeddedBuildHasAnIndexAndHashedAssets) {
    const ConsoleAsset* js = asset_ending(".js");
    const ConsoleAsset* css = asset_ending(".css");
    ASSERT_NE(js, nullptr);
    ASSERT_NE(css, nullptr);
    auto index = get(router, "/console/");
    ASSERT_EQ(index.result(), bh::status::ok);
    std::string html(index.body());
    EXPECT_NE(html.find("/console/" + std::string(js->path)), std::string::npos);
    EXPECT_NE(html.find("/console/" + std::string(css->path)), std::string::npos);
    EXPECT_EQ(html.find("<script>"), std::string::npos) << "no inline script under the CSP";
    EXPECT_EQ(js->etag.size(), 66u);  // a quoted SHA-256 in hex
}

TEST_F(ConsoleRoutes, AssetHitIsImmutableAndCachedForAYear) {
    const ConsoleAsset* js = asset_ending(".js");
    ASSERT_NE(js, nullptr);
    auto res = get(router, "/console/" + std::string(js->path));
    ASSERT_EQ(res.result(), bh::status::ok);
    EXPECT_EQ(res[bh::field::cache_control], "public, max-age=31536000, immutable");
    EXPECT_EQ(res[bh::field::content_type], "text/javascript; charset=utf-8");
    EXPECT_EQ(res[bh::field::etag], js->etag);
    EXPECT_EQ(std::string(res.body()), std::string(js->bytes));
    EXPECT_EQ(res[bh::field::content_encoding], "");
}

TEST_F(ConsoleRoutes, AssetMissIsA404) {
    EXPECT_EQ(get(router, "/console/assets/app-NOPE.js").result(), bh::status::not_found);
    EXPECT_EQ(get(router, "/console/assets/").result(), bh::status::not_found);
    EXPECT_EQ(get(router, "/console/favicon.ico").result(), bh::status::not_found);
}

TEST_F(ConsoleRoutes, NoPathTraversal) {
    EXPECT_EQ(get(router, "/console/assets/../index.html").result(), bh::status::not_found);
    EXPECT_EQ(get(router, "/console/assets/../x").result(), bh::status::not_found);
    EXPECT_EQ(get(router, "/console/assets/..%2F..%2Fetc%2Fpasswd").result(), bh::status::not_found);
    EXPECT_EQ(get(router, "/console/../../etc/passwd").result(), bh::status::not_found);
    // The table, not the disk: a name is found only as the build wrote it.
    EXPECT_EQ(console_response(console_assets(), "assets/../../CMakeLists.txt", RequestHeader{}).result(),
              bh::status::not_found);
}

TEST_F(ConsoleRoutes, DeepLinksGetTheIndexNeverCached) {
    for (std::string_view path : {"/console/", "/console/versions", "/console/events", "/console/a/b/c"}) {
        auto res = get(router, path);
        ASSERT_EQ(res.result(), bh::status::ok) << path;
        EXPECT_EQ(res[bh::field::cache_control], "no-store") << path;
        EXPECT_EQ(res[bh::field::content_type], "text/html; charset=utf-8") << path;
    }
}

TEST_F(ConsoleRoutes, EveryAnswerCarriesTheStrictCsp) {
    const ConsoleAsset* css = asset_ending(".css");
    ASSERT_NE(css, nullptr);
    for (std::string path : {std::string("/console"),
                             std::string("/console/jobs"),
                             "/console/" + std::string(css->path),
                             std::string("/console/assets/missing.js")}) {
        auto res = get(router, path);
        std::string csp(res["Content-Security-Policy"]);
        EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << path;
        EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << path;
        EXPECT_NE(csp.find("style-src 'self'"), std::string::npos) << path;
        EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << path;
        EXPECT_EQ(csp.find("unsafe"), std::string::npos) << path;
        EXPECT_EQ(res["X-Content-Type-Options"], "nosniff") << path;
        EXPECT_EQ(res["Referrer-Policy"], "no-referrer") << path;
    }
}

TEST_F(ConsoleRoutes, GzipWhenAcceptedWithVary) {
    const ConsoleAsset* js = asset_ending(".js");
    ASSERT_NE(js, nullptr);
    std::string path = "/console/" + std::string(js->path);
    auto gz = get(router, path, "gzip, deflate, br");
    ASSERT_EQ(gz.result(), bh::status::ok);
    EXPECT_EQ(gz[bh::field::content_encoding], "gzip");
    EXPECT_EQ(gz[bh::field::vary], "Accept-Encoding");
    auto plain = gunzip(std::string(gz.body()), 16 << 20);
    ASSERT_TRUE(plain);
    EXPECT_EQ(*plain, std::string(js->bytes));
    EXPECT_LT(gz.body().size(), js->bytes.size());

    EXPECT_EQ(get(router, path, "identity")[bh::field::content_encoding], "");
    EXPECT_EQ(get(router, path, "gzip;q=0, br")[bh::field::content_encoding], "");
    EXPECT_EQ(get(router, path, "br, GZIP;q=0.5")[bh::field::content_encoding], "gzip");
    EXPECT_EQ(get(router, path)[bh::field::vary], "Accept-Encoding");
}

TEST_F(ConsoleRoutes, MatchingEtagIsA304) {
    const ConsoleAsset* js = asset_ending(".js");
    ASSERT_NE(js, nullptr);
    auto res = get(router, "/console/" + std::string(js->path), "gzip", js->etag);
    EXPECT_EQ(res.result(), bh::status::not_modified);
    EXPECT_EQ(res.body().size(), 0u);
}

TEST(ConsoleResponse, ServesOnlyWhatTheTableHolds) {
    const ConsoleAsset table[] = {
        {"index.html", "text/html; charset=utf-8", "\"i\"", "<html></html>", ""},
        {"assets/a-1.css", "text/css; charset=utf-8", "\"c\"", "body{}", ""},
    };
    RequestHeader h;
    EXPECT_EQ(std::string(console_response(table, "overview", h).body()), "<html></html>");
    EXPECT_EQ(std::string(console_response(table, "assets/a-1.css", h).body()), "body{}");
    EXPECT_EQ(console_response(table, "assets/a-2.css", h).result(), bh::status::not_found);
    EXPECT_EQ(console_response(table, "assets/index.html", h).result(), bh::status::not_found);
    EXPECT_EQ(console_response({}, "", h).result(), bh::status::not_found);
}

TEST(ConsoleTargets, AdminHeadersStayAsTheyWere) {
    Response res{bh::status::ok, 11};
    add_security_headers(res, "/admin/jobs");
    EXPECT_EQ(res["Content-Security-Policy"], "frame-ancestors 'none'");
    EXPECT_TRUE(is_console_target("/console"));
    EXPECT_TRUE(is_console_target("/console/x?y=1"));
    EXPECT_FALSE(is_console_target("/consoles"));
}

}  // namespace
}  // namespace beacon::http
