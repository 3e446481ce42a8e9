// Release health over HTTP, in both modes (API.md 1.1 "Release health"):
// crash-free sessions and users of a version against the previous one,
// from session starts and crash events sent as a client would, the
// verdict, the window parameter and the crash event setting.
#include <chrono>
#include <string>

#include "core/time_format.hpp"
#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

class ReleaseHealthTest : public E2eTest {
protected:
    static json::object event(const std::string& name,
                              const std::string& install,
                              const std::string& session,
                              std::int64_t code,
                              std::int64_t at_ms) {
        return json::object{{"installId", install},
                            {"platform", "android"},
                            {"eventName", name},
                            {"sessionId", session},
                            {"versionCode", code},
                            {"timestamp", iso(at_ms)}};
    }

    // `sessions` session starts of `code` by as many installs, the first
    // `crashed` of them followed by a crash event named `crash_name`.
    static void sessions(HttpClient& c, std::int64_t code, int sessions, int crashed, const std::string& crash_name) {
        const std::int64_t at = now_ms() - 10 * kMinuteMs;
        json::array batch;
        for (int i = 0; i < sessions; ++i) {
            const std::string install = uid();
            batch.push_back(event("app_session_start", install, "s-" + std::to_string(i), code, at));
            if (i < crashed) {
                batch.push_back(event(crash_name, install, "s-" + std::to_string(i), code, at + kMinuteMs));
            }
            if (batch.size() >= 400 || i + 1 == sessions) {
                auto r = post_events(c, {}, batch);
                ASSERT_EQ(r.status, 200) << r.describe();
                ASSERT_EQ(r.json().at("accepted").as_int64(), static_cast<std::int64_t>(batch.size()));
                batch.clear();
            }
        }
    }

    static std::string create(HttpClient& c, std::int64_t code) {
        auto r = c.post_json(
            "/admin/versions",
            json::object{{"platform", "android"}, {"versionCode", code}, {"versionName", "v" + std::to_string(code)}},
            admin());
        EXPECT_EQ(r.status, 201) << r.describe();
        return r.status == 201 ? std::to_string(r.json().at("id").as_int64()) : "0";
    }
};

TEST_F(ReleaseHealthTest, AVersionThatCrashesMoreThanThePreviousOneIsUnhealthy) {
    auto& server = dedicated();
    auto c = server.client();
    const std::string id = create(c, 210);
    sessions(c, 200, 100, 0, "app_crash");
    sessions(c, 210, 120, 2, "app_crash");
    auto r = ok_object(c.get("/admin/versions/" + id + "/health", admin()));
    const auto& v = r.at("version").as_object();
    EXPECT_EQ(v.at("versionCode").as_int64(), 210);
    EXPECT_EQ(v.at("sessions").as_int64(), 120);
    EXPECT_EQ(v.at("crashedSessions").as_int64(), 2);
    EXPECT_DOUBLE_EQ(v.at("crashFreeSessions").to_number<double>(), 0.983333);
    EXPECT_EQ(v.at("users").as_int64(), 120);
    EXPECT_EQ(v.at("crashedUsers").as_int64(), 2);
    EXPECT_DOUBLE_EQ(v.at("crashFreeUsers").to_number<double>(), 0.983333);
    const auto& control = r.at("control").as_object();
    EXPECT_EQ(control.at("versionCode").as_int64(), 200);
    EXPECT_EQ(control.at("sessions").as_int64(), 100);
    EXPECT_DOUBLE_EQ(control.at("crashFreeSessions").to_number<double>(), 1.0);
    EXPECT_EQ(r.at("verdict"), "unhealthy") << json::serialize(r);
    ASSERT_FALSE(r.at("reasons").as_array().empty());
    // The window: 24 h before now by default.
    const auto& window = r.at("window").as_object();
    auto from = parse_iso8601(std::string(window.at("from").as_string()));
    auto to = parse_iso8601(std::string(window.at("to").as_string()));
    ASSERT_TRUE(from && to);
    EXPECT_EQ(*to - *from, std::chrono::hours(24));
}

TEST_F(ReleaseHealthTest, TooFewSessionsIsInsufficientDataAndNoControlIsNull) {
    auto& server = dedicated();
    auto c = server.client();
    const std::string id = create(c, 300);
    auto empty = ok_object(c.get("/admin/versions/" + id + "/health?window=1h", admin()));
    EXPECT_EQ(empty.at("verdict"), "insufficient-data");
    EXPECT_TRUE(empty.at("control").is_null());
    EXPECT_TRUE(empty.at("version").at("crashFreeSessions").is_null());
    EXPECT_TRUE(empty.at("version").at("crashFreeUsers").is_null());
    sessions(c, 300, 100, 1, "app_crash");  // exactly minSessions, 0.99
    auto healthy = ok_object(c.get("/admin/versions/" + id + "/health?window=30d", admin()));
    EXPECT_EQ(healthy.at("verdict"), "healthy") << json::serialize(healthy);
    EXPECT_DOUBLE_EQ(healthy.at("version").at("crashFreeSessions").to_number<double>(), 0.99);
}

TEST_F(ReleaseHealthTest, TheCrashEventIsASetting) {
    auto& server = dedicated({}, {{"BEACON_CRASH_EVENT", "fatal_error"}});
    auto c = server.client();
    const std::string id = create(c, 400);
    sessions(c, 400, 100, 5, "app_crash");     // not crashes here
    sessions(c, 400, 100, 10, "fatal_error");  // these are
    auto r = ok_object(c.get("/admin/versions/" + id + "/health", admin()));
    EXPECT_EQ(r.at("version").at("sessions").as_int64(), 200);
    EXPECT_EQ(r.at("version").at("crashedSessions").as_int64(), 10);
    EXPECT_EQ(r.at("verdict"), "unhealthy");  // 0.95 < 0.98
}

TEST_F(ReleaseHealthTest, EveryBadWindowIsA400NamingIt) {
    auto c = shared().client();
    const std::string id = create(c, 500);
    const std::string path = "/admin/versions/" + id + "/health?window=";
    for (const char* bad : {"59m", "31d", "0", "abc", "-1h", "24x", ""}) {
        EXPECT_TRUE(IsProblem(c.get(path + qenc(bad), admin()), 400, "validation", "window")) << bad;
    }
    EXPECT_EQ(c.get(path + "1h", admin()).status, 200);
    EXPECT_EQ(c.get(path + "30d", admin()).status, 200);
    EXPECT_EQ(c.get(path + "3600", admin()).status, 200) << "plain seconds, as in the settings";
    EXPECT_TRUE(IsProblem(c.get("/admin/versions/999999/health", admin()), 404, "not-found"));
    EXPECT_EQ(c.get("/admin/versions/" + id + "/health").status, 401);
}

}  // namespace
}  // namespace beacon::e2e
