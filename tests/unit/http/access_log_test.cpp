#include "http/access_log.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace beacon::http {
namespace {

using namespace std::chrono_literals;

// 2026-11-25T08:00:00.042Z
const auto kAt = std::chrono::system_clock::time_point{std::chrono::milliseconds{1'795'593'600'042}};

TEST(AccessLog, TextLineMatchesTheServerLogFormat) {
    std::string out;
    AccessLog::format_line(out, AccessLog::Format::Text, kAt, "GET", "/telemetry/online", 200, 71us, "abc123");
    EXPECT_EQ(out, "2026-11-25T08:00:00.042Z info GET /telemetry/online 200 0.071ms id=abc123\n");
}

TEST(AccessLog, JsonLineIsOneValidObjectWithEscapes) {
    std::string out;
    AccessLog::format_line(out, AccessLog::Format::Json, kAt, "POST", "/a\"b\\c\x01", 503, 1.5ms, "r-1");
    ASSERT_FALSE(out.empty());
    EXPECT_EQ(out.back(), '\n');
    boost::system::error_code ec;
    auto v = boost::json::parse(out, ec);
    ASSERT_FALSE(ec) << out;
    const auto& o = v.as_object();
    EXPECT_EQ(o.at("time").as_string(), "2026-11-25T08:00:00.042Z");
    EXPECT_EQ(o.at("level").as_string(), "info");
    EXPECT_EQ(o.at("msg").as_string(), "POST /a\"b\\c\x01 503 1.500ms id=r-1");
}

TEST(AccessLog, FormatsDatesAcrossYearsAndMidnight) {
    std::string out;
    const auto new_year = std::chrono::sys_days{std::chrono::year{2027} / 1 / 1} - 1ms;
    AccessLog::format_line(out, AccessLog::Format::Text, new_year, "GET", "/", 404, 0s, "x");
    EXPECT_EQ(out.substr(0, 24), "2026-12-31T23:59:59.999Z");
}

}  // namespace
}  // namespace beacon::http
