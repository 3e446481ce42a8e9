// GET /admin/jobs and POST /admin/jobs/{name}/run (API.md "Admin jobs").
#include <map>
#include <regex>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

const std::regex kIsoMillisZ(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

class JobsTest : public E2eTest {};

// Epoch ms of an ISO-8601 UTC time as the server writes it.
std::int64_t parse_iso_ms(const std::string& s) {
    using namespace std::chrono;
    int y = std::stoi(s.substr(0, 4)), mo = std::stoi(s.substr(5, 2)), d = std::stoi(s.substr(8, 2));
    int h = std::stoi(s.substr(11, 2)), mi = std::stoi(s.substr(14, 2)), se = std::stoi(s.substr(17, 2));
    int ms = std::stoi(s.substr(20, 3));
    sys_days day = year{y} / month{static_cast<unsigned>(mo)} / std::chrono::day{static_cast<unsigned>(d)};
    return duration_cast<milliseconds>(day.time_since_epoch()).count() + h * kHourMs + mi * kMinuteMs + se * 1000 + ms;
}

std::map<std::string, json::object> jobs_by_name(HttpClient& c) {
    std::map<std::string, json::object> out;
    auto body = ok_object(c.get("/admin/jobs", admin()));
    for (const auto& j : body.at("jobs").as_array()) {
        out[std::string(j.at("name").as_string())] = j.as_object();
    }
    return out;
}

TEST_F(JobsTest, ListsTheFiveJobsWithTheirSchedules) {
    auto& server = dedicated();
    auto c = server.client();
    auto now = now_ms();
    auto jobs = jobs_by_name(c);
    ASSERT_EQ(jobs.size(), 5u);
    std::map<std::string, std::pair<std::string, std::int64_t>> want{
        {"online-snapshot", {"every minute", kMinuteMs}},
        {"cleanup", {"hourly", kHourMs}},
        {"nightly-dau", {"daily at 01:00 UTC", kDayMs + kHourMs}},
        {"rolling-dau", {"every 10 minutes", 10 * kMinuteMs}},
        {"rollout", {"every 5 minutes", 5 * kMinuteMs}},
    };
    for (const auto& [name, expected] : want) {
        ASSERT_TRUE(jobs.contains(name)) << name;
        const auto& j = jobs[name];
        EXPECT_EQ(j.at("schedule"), json::value(expected.first)) << name;
        std::string next(j.at("nextRunAt").as_string());
        ASSERT_TRUE(std::regex_match(next, kIsoMillisZ)) << next;
        auto next_ms = parse_iso_ms(next);
        EXPECT_GT(next_ms, now - 5000) << name;
        EXPECT_LE(next_ms, now + expected.second + 5000) << name;
        EXPECT_TRUE(j.contains("lastRunAt") && j.contains("lastDurationMs") && j.contains("lastError")) << name;
        EXPECT_TRUE(j.at("lastError").is_null()) << name;
    }
    // Nothing ran before this server started (a scheduled tick may have run since).
    for (const auto& [name, j] : jobs) {
        if (!j.at("lastRunAt").is_null()) {
            EXPECT_GE(parse_iso_ms(std::string(j.at("lastRunAt").as_string())), now - 60'000) << name;
        }
    }
}

TEST_F(JobsTest, RunningAJobReportsAndRecordsIt) {
    auto& server = dedicated();
    auto c = server.client();
    for (const char* name : {"online-snapshot", "cleanup", "nightly-dau", "rolling-dau", "rollout"}) {
        auto before = now_ms();
        auto r = ok_object(c.post(std::string("/admin/jobs/") + name + "/run", "", admin()));
        EXPECT_EQ(r.at("name"), json::value(name));
        std::string ran(r.at("ranAt").as_string());
        ASSERT_TRUE(std::regex_match(ran, kIsoMillisZ)) << ran;
        EXPECT_GE(parse_iso_ms(ran), before - 2000);
        EXPECT_LE(parse_iso_ms(ran), now_ms() + 2000);
        EXPECT_GE(r.at("durationMs").as_int64(), 0);
        EXPECT_TRUE(r.at("result").is_object()) << name;
    }
    auto cleanup_result = ok_object(c.post("/admin/jobs/cleanup/run", "", admin())).at("result").as_object();
    EXPECT_TRUE(cleanup_result.contains("expiredPresence") && cleanup_result.contains("deletedEvents") &&
                cleanup_result.contains("deletedSnapshots"))
        << json::serialize(cleanup_result);

    auto jobs = jobs_by_name(c);
    for (const auto& [name, j] : jobs) {
        ASSERT_TRUE(j.at("lastRunAt").is_string()) << name;
        EXPECT_TRUE(std::regex_match(std::string(j.at("lastRunAt").as_string()), kIsoMillisZ));
        EXPECT_GE(j.at("lastDurationMs").as_int64(), 0) << name;
        EXPECT_TRUE(j.at("lastError").is_null()) << name;
    }

    auto metrics = c.get("/metrics").body;
    for (const char* name : {"online-snapshot", "cleanup", "nightly-dau", "rolling-dau", "rollout"}) {
        EXPECT_NE(metrics.find(std::string("beacon_job_runs_total{job=\"") + name + "\",result=\"ok\"}"),
                  std::string::npos)
            << name;
    }
}

TEST_F(JobsTest, RunRejectsUnknownJobsAndMisplacedParameters) {
    auto& c = client();
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs/no-such-job/run", "", admin()), 404, "not-found"));
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs/Rolling-DAU/run", "", admin()), 404, "not-found"));
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs/%2e%2e/run", "", admin()), 404, "not-found"));
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs//run", "", admin()), 404, "not-found"));
    EXPECT_TRUE(IsProblem(c.post("/admin/jobs/rolling-dau/run?day=2026-01-01", "", admin()), 400, "validation", "day"));
    auto r = c.get("/admin/jobs/rolling-dau/run", admin());
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
    EXPECT_EQ(r.header("Allow").value_or(""), "POST");
    r = c.post("/admin/jobs", "", admin());
    EXPECT_TRUE(IsProblem(r, 405, "method-not-allowed"));
}

}  // namespace
}  // namespace beacon::e2e
