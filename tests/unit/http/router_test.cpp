#include "http/router.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

class RouterTest : public ::testing::Test {
protected:
    RouterTest() : router_(metrics_) {}

    void add(const char* method, const char* pattern) { router_.add(method, pattern, RouteOptions{}, Handler{}); }

    // "METHOD pattern" of the matched route, or "404" / "405 <Allow>".
    std::string match(std::string_view method, std::string_view path) {
        auto m = router_.match(method, path);
        if (m.route != nullptr) {
            return m.route->method + " " + m.route->pattern;
        }
        EXPECT_TRUE(m.params.empty());
        return m.allow.empty() ? "404" : "405 " + m.allow;
    }

    std::vector<std::string> params(std::string_view method, std::string_view path) {
        return router_.match(method, path).params;
    }

    Metrics metrics_;
    Router router_;
};

TEST_F(RouterTest, MatchesLiteralPaths) {
    add("GET", "/telemetry/online");
    add("POST", "/telemetry/events");
    EXPECT_EQ(match("GET", "/telemetry/online"), "GET /telemetry/online");
    EXPECT_EQ(match("POST", "/telemetry/events"), "POST /telemetry/events");
    EXPECT_TRUE(params("GET", "/telemetry/online").empty());
}

TEST_F(RouterTest, PlaceholderMatchesOneNonEmptySegment) {
    add("GET", "/admin/versions/{id}");
    add("POST", "/admin/jobs/{name}/run");
    EXPECT_EQ(match("GET", "/admin/versions/7"), "GET /admin/versions/{id}");
    EXPECT_EQ(params("GET", "/admin/versions/7"), std::vector<std::string>{"7"});
    EXPECT_EQ(params("POST", "/admin/jobs/nightly-dau/run"), std::vector<std::string>{"nightly-dau"});
    EXPECT_EQ(match("GET", "/admin/versions/"), "404");
    EXPECT_EQ(match("GET", "/admin/versions/7/8"), "404");
    EXPECT_EQ(match("POST", "/admin/jobs//run"), "404");
}

TEST_F(RouterTest, ParamsStayPercentEncoded) {
    add("GET", "/files/{key}");
    EXPECT_EQ(params("GET", "/files/android%2Fabc.apk"), std::vector<std::string>{"android%2Fabc.apk"});
}

TEST_F(RouterTest, LiteralSegmentWinsOverPlaceholder) {
    add("GET", "/admin/versions/{id}");
    add("GET", "/admin/versions/latest");
    add("POST", "/admin/versions/upload");
    add("POST", "/admin/versions/{id}");
    EXPECT_EQ(match("GET", "/admin/versions/latest"), "GET /admin/versions/latest");
    EXPECT_TRUE(params("GET", "/admin/versions/latest").empty());
    EXPECT_EQ(match("GET", "/admin/versions/42"), "GET /admin/versions/{id}");
    EXPECT_EQ(match("POST", "/admin/versions/upload"), "POST /admin/versions/upload");
    EXPECT_EQ(match("POST", "/admin/versions/42"), "POST /admin/versions/{id}");
}

TEST_F(RouterTest, PlaceholderTakesALiteralLookingSegmentForOtherMethods) {
    add("POST", "/admin/versions/upload");
    add("GET", "/admin/versions/{id}");
    // No GET route is literal here: "upload" is an id for GET.
    EXPECT_EQ(match("GET", "/admin/versions/upload"), "GET /admin/versions/{id}");
    EXPECT_EQ(params("GET", "/admin/versions/upload"), std::vector<std::string>{"upload"});
}

TEST_F(RouterTest, UnknownPathIsNotFound) {
    add("GET", "/telemetry/online");
    EXPECT_EQ(match("GET", "/telemetry/offline"), "404");
    EXPECT_EQ(match("GET", "/telemetry"), "404");
    EXPECT_EQ(match("GET", "/telemetry/online/now"), "404");
    EXPECT_EQ(match("GET", "/"), "404");
    EXPECT_EQ(match("GET", ""), "404");
    EXPECT_EQ(match("GET", "telemetry/online"), "404");
    EXPECT_EQ(match("GET", "/TELEMETRY/online"), "404");  // paths are case-sensitive
}

TEST_F(RouterTest, KnownPathWithOtherMethodIsMethodNotAllowedWithAllow) {
    add("POST", "/telemetry/events");
    EXPECT_EQ(match("GET", "/telemetry/events"), "405 POST");
    EXPECT_EQ(match("DELETE", "/telemetry/events"), "405 POST");
}

TEST_F(RouterTest, AllowListsHeadWhereGetIsServed) {
    add("GET", "/admin/versions/{id}");
    add("PATCH", "/admin/versions/{id}");
    add("DELETE", "/admin/versions/{id}");
    EXPECT_EQ(match("POST", "/admin/versions/7"), "405 GET, HEAD, PATCH, DELETE");
    EXPECT_EQ(match("PUT", "/admin/versions/7"), "405 GET, HEAD, PATCH, DELETE");
}

TEST_F(RouterTest, AllowCombinesLiteralAndPlaceholderRoutes) {
    add("POST", "/admin/versions/upload");
    add("GET", "/admin/versions/{id}");
    EXPECT_EQ(match("PUT", "/admin/versions/upload"), "405 POST, GET, HEAD");
}

TEST_F(RouterTest, AllowNamesEachMethodOnce) {
    add("GET", "/admin/versions/{id}");
    add("GET", "/admin/versions/latest");
    add("POST", "/admin/versions/upload");
    add("POST", "/admin/versions/{id}");
    EXPECT_EQ(match("DELETE", "/admin/versions/latest"), "405 GET, HEAD, POST");
}

TEST_F(RouterTest, HeadIsServedByGetRoutes) {
    add("GET", "/files/{key}");
    EXPECT_EQ(match("HEAD", "/files/abc"), "GET /files/{key}");
    EXPECT_EQ(params("HEAD", "/files/abc"), std::vector<std::string>{"abc"});
}

TEST_F(RouterTest, HeadOnAPostOnlyPathIsMethodNotAllowed) {
    add("POST", "/telemetry/heartbeat");
    EXPECT_EQ(match("HEAD", "/telemetry/heartbeat"), "405 POST");
}

TEST_F(RouterTest, TrailingSlashIsADifferentPath) {
    add("GET", "/telemetry/online");
    add("GET", "/admin/jobs");
    EXPECT_EQ(match("GET", "/telemetry/online/"), "404");
    EXPECT_EQ(match("POST", "/admin/jobs/"), "404");
}

TEST_F(RouterTest, MethodsAreCaseSensitive) {
    add("GET", "/healthz");
    EXPECT_EQ(match("get", "/healthz"), "405 GET, HEAD");
}

TEST_F(RouterTest, EveryRouteGetsAMetricsSlotNamedByItsPattern) {
    add("GET", "/admin/versions/{id}");
    auto m = router_.match("GET", "/admin/versions/1");
    ASSERT_NE(m.route, nullptr);
    ASSERT_NE(m.route->metrics, nullptr);
    EXPECT_EQ(m.route->metrics->route, "/admin/versions/{id}");
    EXPECT_EQ(m.route->metrics, &metrics_.route_slot("/admin/versions/{id}"));
}

}  // namespace
}  // namespace beacon::http

namespace beacon::http {
namespace {

TEST_F(RouterTest, CatchAllTakesTheRestOfThePathAndLosesToEverythingElse) {
    add("GET", "/console");
    add("GET", "/console/{rest*}");
    add("GET", "/console/special");
    EXPECT_EQ(match("GET", "/console"), "GET /console");
    EXPECT_EQ(match("GET", "/console/"), "GET /console/{rest*}");
    EXPECT_EQ(params("GET", "/console/"), std::vector<std::string>{""});
    EXPECT_EQ(params("GET", "/console/assets/app-1.js"), std::vector<std::string>{"assets/app-1.js"});
    EXPECT_EQ(params("GET", "/console/a//b/"), std::vector<std::string>{"a//b/"});
    EXPECT_EQ(match("GET", "/console/special"), "GET /console/special");
    EXPECT_EQ(match("POST", "/console/x"), "405 GET, HEAD");
    EXPECT_EQ(match("GET", "/consoles"), "404");
}

}  // namespace
}  // namespace beacon::http
