// Health-gated rollouts over HTTP, in both modes (API.md 1.1 "Health-gated
// rollouts"): a plan starts at its first step, session and crash events sent
// as a client would drive a manual `rollout` run to halt a version (and the
// update check stops offering it), a healthy version advances once stepEvery
// has passed, the verbs with If-Match and their 409s, the decisions and
// their webhooks, every bad plan a 400 naming the field, and the CLI verbs.
#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "core/time_format.hpp"
#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class RolloutsTest : public E2eTest {
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
    // `crashed` of them followed by an app_crash.
    static void sessions(HttpClient& c, std::int64_t code, int sessions, int crashed) {
        const std::int64_t at = now_ms() - 5 * kMinuteMs;
        json::array batch;
        for (int i = 0; i < sessions; ++i) {
            const std::string install = uid();
            batch.push_back(event("app_session_start", install, "s-" + std::to_string(i), code, at));
            if (i < crashed) {
                batch.push_back(event("app_crash", install, "s-" + std::to_string(i), code, at + 1000));
            }
        }
        auto r = post_events(c, {}, batch);
        ASSERT_EQ(r.status, 200) << r.describe();
        ASSERT_EQ(r.json().at("accepted").as_int64(), static_cast<std::int64_t>(batch.size()));
    }

    // A version of `code` on `channel` with an external URL (so it is
    // offered) and `plan` (a JSON object, or null).
    static json::object create(
        HttpClient& c, const std::string& channel, std::int64_t code, json::value plan, bool forced = false) {
        auto r = c.post_json("/admin/versions",
                             json::object{{"platform", "android"},
                                          {"channel", channel},
                                          {"versionCode", code},
                                          {"versionName", "v" + std::to_string(code)},
                                          {"isForceUpdate", forced},
                                          {"externalUrl", "https://example.com/app-" + std::to_string(code) + ".apk"},
                                          {"rolloutPlan", std::move(plan)}},
                             admin());
        EXPECT_EQ(r.status, 201) << r.describe();
        return r.status == 201 ? r.json().as_object() : json::object{};
    }

    static std::string path(const json::object& v, const std::string& tail = "") {
        return "/admin/versions/" + std::to_string(v.at("id").as_int64()) + "/rollout" + tail;
    }

    static Headers if_match(std::int64_t revision) {
        Headers h = admin();
        h.emplace_back("If-Match", "\"" + std::to_string(revision) + "\"");
        return h;
    }

    static HttpResponse patch(HttpClient& c, const std::string& target, std::string body) {
        Headers h = admin();
        h.emplace_back("Content-Type", "application/json");
        return c.request(test::HttpRequest{"PATCH", target, h, std::move(body)});
    }

    static json::object run_rollout_job(HttpClient& c) {
        return ok_object(c.post("/admin/jobs/rollout/run", "", admin())).at("result").as_object();
    }

    static bool offered(HttpClient& c, const std::string& channel, std::int64_t code) {
        auto r = ok_object(c.get("/app/version/check?platform=android&channel=" + channel +
                                 "&current_version_code=1&install_id=" + uid()));
        return r.at("needUpdate").as_bool() && r.at("latest").at("versionCode").as_int64() == code;
    }
};

TEST_F(RolloutsTest, APlanStartsAtItsFirstStepAndTheVerbsFollowTheStates) {
    auto& c = client();
    const std::string ch = "ro-" + uid("").substr(0, 8);
    auto v = create(c, ch, 300, json::object{{"steps", json::array{10, 50, 100}}, {"stepEvery", "1h"}});
    ASSERT_FALSE(v.empty());
    EXPECT_EQ(v.at("rolloutPercent").as_int64(), 10);
    EXPECT_EQ(v.at("rolloutState"), "running");
    const auto& plan = v.at("rolloutPlan").as_object();
    EXPECT_EQ(plan.at("stepEvery"), "1h");
    EXPECT_EQ(plan.at("minSessions").as_int64(), 100);
    EXPECT_DOUBLE_EQ(plan.at("minCrashFree").to_number<double>(), 0.98);
    EXPECT_DOUBLE_EQ(plan.at("maxCrashFreeDrop").to_number<double>(), 0.005);

    auto r = ok_object(c.get(path(v), admin()));
    EXPECT_EQ(r.at("state"), "running");
    EXPECT_EQ(r.at("rolloutPercent").as_int64(), 10);
    auto last = parse_iso8601(std::string(r.at("lastStepAt").as_string()));
    auto next = parse_iso8601(std::string(r.at("nextStepAt").as_string()));
    ASSERT_TRUE(last && next);
    EXPECT_EQ(*next - *last, std::chrono::hours(1));
    ASSERT_EQ(r.at("decisions").as_array().size(), 1u);
    const auto& start = r.at("decisions").as_array()[0].as_object();
    EXPECT_EQ(start.at("action"), "start");
    EXPECT_EQ(start.at("from").as_int64(), 0);
    EXPECT_EQ(start.at("to").as_int64(), 10);
    EXPECT_EQ(start.at("by"), "admin");
    EXPECT_TRUE(start.at("health").is_null());

    // The plan drives rolloutPercent while it runs.
    const std::string version_path = "/admin/versions/" + std::to_string(v.at("id").as_int64());
    EXPECT_TRUE(IsProblem(patch(c, version_path, R"({"rolloutPercent": 40})"), 409, "conflict"));
    EXPECT_TRUE(IsProblem(c.post(path(v, "/resume"), "", admin()), 409, "conflict"));

    // Pause with a stale If-Match is a 412; with the current one it pauses.
    EXPECT_TRUE(IsProblem(c.post(path(v, "/pause"), "", if_match(99)), 412, "precondition-failed"));
    auto paused = ok_object(c.post(path(v, "/pause"), "", if_match(v.at("revision").as_int64())));
    EXPECT_EQ(paused.at("state"), "paused");
    EXPECT_TRUE(paused.at("nextStepAt").is_null());
    EXPECT_TRUE(IsProblem(c.post(path(v, "/pause"), "", admin()), 409, "conflict"));
    // Advance while paused: the next step now, still paused.
    auto advanced = ok_object(c.post(path(v, "/advance"), "", admin()));
    EXPECT_EQ(advanced.at("rolloutPercent").as_int64(), 50);
    EXPECT_EQ(advanced.at("state"), "paused");
    auto resumed = ok_object(c.post(path(v, "/resume"), "", admin()));
    EXPECT_EQ(resumed.at("state"), "running");
    auto done = ok_object(c.post(path(v, "/advance"), "", admin()));
    EXPECT_EQ(done.at("rolloutPercent").as_int64(), 100);
    EXPECT_EQ(done.at("state"), "completed");
    for (const char* verb : {"/pause", "/resume", "/advance"}) {
        EXPECT_TRUE(IsProblem(c.post(path(v, verb), "", admin()), 409, "conflict")) << verb;
    }
    // Newest first.
    std::vector<std::string> actions;
    for (const auto& d : done.at("decisions").as_array()) {
        actions.emplace_back(d.at("action").as_string());
    }
    EXPECT_EQ(actions, (std::vector<std::string>{"complete", "resume", "advance", "pause", "start"}));

    // A version without a plan allows none of the verbs.
    auto plain = create(c, ch, 301, nullptr);
    auto none = ok_object(c.get(path(plain), admin()));
    EXPECT_TRUE(none.at("plan").is_null() && none.at("state").is_null() && none.at("lastStepAt").is_null());
    EXPECT_TRUE(none.at("decisions").as_array().empty());
    for (const char* verb : {"/pause", "/resume", "/advance"}) {
        EXPECT_TRUE(IsProblem(c.post(path(plain, verb), "", admin()), 409, "conflict")) << verb;
    }
    // A plan set by PATCH starts it; null removes it.
    auto patched = ok_object(patch(
        c, "/admin/versions/" + std::to_string(plain.at("id").as_int64()), R"({"rolloutPlan": {"steps": [5, 100]}})"));
    EXPECT_EQ(patched.at("rolloutPercent").as_int64(), 5);
    EXPECT_EQ(patched.at("rolloutState"), "running");
    auto removed = ok_object(patch(c,
                                   "/admin/versions/" + std::to_string(plain.at("id").as_int64()),
                                   R"({"rolloutPlan": null, "rolloutPercent": 30})"));
    EXPECT_TRUE(removed.at("rolloutPlan").is_null() && removed.at("rolloutState").is_null());
    EXPECT_EQ(removed.at("rolloutPercent").as_int64(), 30);

    EXPECT_TRUE(IsProblem(c.get("/admin/versions/999999/rollout", admin()), 404, "not-found"));
    EXPECT_TRUE(IsProblem(c.post("/admin/versions/999999/rollout/pause", "", admin()), 404, "not-found"));
    EXPECT_EQ(c.get(path(v)).status, 401);
    EXPECT_EQ(c.post(path(v, "/pause"), "", test::bearer(user_token("u1"))).status, 403);
}

TEST_F(RolloutsTest, AnUnhealthyVersionIsHaltedAndOfferedToNoOneUntilResumed) {
    auto& server = dedicated();
    auto c = server.client();
    const std::string ch = "halt";
    // Forced, at 50%: it covers every install until the plan halts it.
    auto v = create(
        c, ch, 210, json::object{{"steps", json::array{50, 100}}, {"stepEvery", "1m"}, {"minSessions", 20}}, true);
    ASSERT_FALSE(v.empty());
    EXPECT_TRUE(offered(c, ch, 210));
    sessions(c, 200, 40, 0);   // the control: crash-free
    sessions(c, 210, 40, 10);  // 0.75 crash-free
    auto result = run_rollout_job(c);
    EXPECT_GE(result.at("checked").as_int64(), 1);
    auto r = ok_object(c.get(path(v), admin()));
    EXPECT_EQ(r.at("state"), "halted") << json::serialize(r);
    EXPECT_EQ(r.at("rolloutPercent").as_int64(), 50);
    const auto& halt = r.at("decisions").as_array()[0].as_object();
    EXPECT_EQ(halt.at("action"), "halt");
    EXPECT_EQ(halt.at("by"), "schedule");
    EXPECT_EQ(halt.at("from").as_int64(), 50);
    EXPECT_EQ(halt.at("to").as_int64(), 50);
    EXPECT_NE(std::string(halt.at("reason").as_string()).find("unhealthy"), std::string::npos);
    EXPECT_EQ(halt.at("health").at("verdict"), "unhealthy");
    EXPECT_EQ(halt.at("health").at("version").at("sessions").as_int64(), 40);
    EXPECT_EQ(halt.at("health").at("control").at("versionCode").as_int64(), 200);
    // Offered to no one, forced or not; the version object says halted.
    EXPECT_FALSE(offered(c, ch, 210));
    auto check = ok_object(c.get("/app/version/check?platform=android&channel=" + ch + "&current_version_code=1"));
    EXPECT_FALSE(check.at("needUpdate").as_bool());
    EXPECT_FALSE(check.at("forceUpdate").as_bool());
    EXPECT_EQ(ok_object(c.get("/admin/versions/" + std::to_string(v.at("id").as_int64()), admin())).at("rolloutState"),
              "halted");
    // A halted plan is not looked at again; resume offers it again.
    EXPECT_TRUE(run_rollout_job(c).at("decisions").as_array().empty());
    auto resumed = ok_object(c.post(path(v, "/resume"), "", admin()));
    EXPECT_EQ(resumed.at("state"), "running");
    EXPECT_TRUE(offered(c, ch, 210));
}

TEST_F(RolloutsTest, AHealthyVersionAdvancesOnceStepEveryHasPassed) {
    auto& server = dedicated();
    auto c = server.client();
    const std::string ch = "advance";
    auto v =
        create(c, ch, 410, json::object{{"steps", json::array{20, 60, 100}}, {"stepEvery", "1m"}, {"minSessions", 10}});
    ASSERT_FALSE(v.empty());
    sessions(c, 410, 30, 0);
    // Healthy but not yet due: nothing.
    EXPECT_TRUE(run_rollout_job(c).at("decisions").as_array().empty());
    auto r = ok_object(c.get(path(v), admin()));
    EXPECT_EQ(r.at("rolloutPercent").as_int64(), 20);
    auto due = parse_iso8601(std::string(r.at("nextStepAt").as_string()));
    ASSERT_TRUE(due);
    // Wait for stepEvery (1 minute, bounded) to pass.
    while (std::chrono::system_clock::now() < *due + 1s) {
        std::this_thread::sleep_for(500ms);
    }
    auto result = run_rollout_job(c);
    ASSERT_EQ(result.at("decisions").as_array().size(), 1u) << json::serialize(result);
    EXPECT_EQ(result.at("decisions").as_array()[0].at("action"), "advance");
    r = ok_object(c.get(path(v), admin()));
    EXPECT_EQ(r.at("rolloutPercent").as_int64(), 60);
    EXPECT_EQ(r.at("state"), "running");
    const auto& advance = r.at("decisions").as_array()[0].as_object();
    EXPECT_EQ(advance.at("by"), "schedule");
    EXPECT_EQ(advance.at("health").at("verdict"), "healthy");
    // The step just taken restarts the clock.
    EXPECT_TRUE(run_rollout_job(c).at("decisions").as_array().empty());
}

TEST_F(RolloutsTest, EveryDecisionEnqueuesItsWebhook) {
    // Nothing listens at the URL: the deliveries stay listed as attempted.
    auto& server = dedicated({}, {{"BEACON_WEBHOOK_URL", "http://127.0.0.1:9/hooks"}});
    auto c = server.client();
    auto v = create(c, "hooks", 510, json::object{{"steps", json::array{10, 100}}});
    ASSERT_FALSE(v.empty());
    ok_object(c.post(path(v, "/pause"), "", admin()));
    ok_object(c.post(path(v, "/advance"), "", admin()));
    auto list = ok_object(c.get("/admin/webhooks/deliveries?limit=500", admin()));
    std::vector<std::string> types;
    for (const auto& d : list.at("deliveries").as_array()) {
        types.emplace_back(d.at("type").as_string());
    }
    for (const char* want : {"rollout.started", "rollout.paused", "rollout.completed"}) {
        EXPECT_NE(std::find(types.begin(), types.end(), want), types.end()) << want << " in " << json::serialize(list);
    }
}

TEST_F(RolloutsTest, EveryBadPlanIsA400NamingTheField) {
    auto& c = client();
    const std::string ch = "bad-" + uid("").substr(0, 8);
    const std::pair<const char*, const char*> bad[] = {
        {R"("yes")", "rolloutPlan"},
        {R"({})", "rolloutPlan.steps"},
        {R"({"steps": []})", "rolloutPlan.steps"},
        {R"({"steps": [10, 50]})", "rolloutPlan.steps"},
        {R"({"steps": [50, 20, 100]})", "rolloutPlan.steps[1]"},
        {R"({"steps": [0, 100]})", "rolloutPlan.steps[0]"},
        {R"({"steps": [10, 101]})", "rolloutPlan.steps[1]"},
        {R"({"steps": [10.5, 100]})", "rolloutPlan.steps[0]"},
        {R"({"steps": [100], "stepEvery": "30s"})", "rolloutPlan.stepEvery"},
        {R"({"steps": [100], "stepEvery": "31d"})", "rolloutPlan.stepEvery"},
        {R"({"steps": [100], "minSessions": -1})", "rolloutPlan.minSessions"},
        {R"({"steps": [100], "minCrashFree": 1.5})", "rolloutPlan.minCrashFree"},
        {R"({"steps": [100], "maxCrashFreeDrop": "a"})", "rolloutPlan.maxCrashFreeDrop"},
        {R"({"steps": [100], "speed": 1})", "rolloutPlan.speed"},
    };
    for (const auto& [plan, field] : bad) {
        const std::string body = R"({"platform": "android", "channel": ")" + ch +
                                 R"(", "versionCode": 7, "versionName": "7", "rolloutPlan": )" + plan + "}";
        EXPECT_TRUE(IsProblem(c.post_json("/admin/versions", body, admin()), 400, "validation", field)) << plan;
    }
    auto v = create(c, ch, 8, nullptr);
    const std::string version_path = "/admin/versions/" + std::to_string(v.at("id").as_int64());
    for (const auto& [plan, field] : bad) {
        EXPECT_TRUE(IsProblem(
            patch(c, version_path, std::string(R"({"rolloutPlan": )") + plan + "}"), 400, "validation", field))
            << plan;
    }
    // Nothing was stored.
    EXPECT_TRUE(ok_object(c.get(version_path, admin())).at("rolloutPlan").is_null());
    EXPECT_TRUE(IsProblem(c.post(path(v, "/pause"),
                                 "",
                                 [] {
                                     Headers h = admin();
                                     h.emplace_back("If-Match", "nope");
                                     return h;
                                 }()),
                          400,
                          "validation",
                          "If-Match"));
}

TEST_F(RolloutsTest, TheCliVerbsPrintTheRolloutAndFailInOneLine) {
    auto& c = client();
    const std::string server = "http://127.0.0.1:" + std::to_string(shared().port());
    auto v = create(c, "cli-" + uid("").substr(0, 8), 610, json::object{{"steps", json::array{25, 100}}});
    ASSERT_FALSE(v.empty());
    const std::string id = std::to_string(v.at("id").as_int64());
    auto cli = [&](std::vector<std::string> args) {
        args.insert(args.end(), {"--server", server, "--token", admin_token()});
        args.insert(args.begin(), "release");
        return test::run_command(beacon_binary(), args);
    };
    auto status = cli({"status", id});
    ASSERT_EQ(status.exit_code, 0) << status.err;
    EXPECT_EQ(json::parse(status.out).at("state"), "running");
    auto paused = cli({"pause", id, "--if-match", std::to_string(v.at("revision").as_int64())});
    ASSERT_EQ(paused.exit_code, 0) << paused.err;
    EXPECT_EQ(json::parse(paused.out).at("state"), "paused");
    auto again = cli({"pause", id});
    EXPECT_EQ(again.exit_code, 1);
    EXPECT_TRUE(again.out.empty());
    EXPECT_NE(again.err.find("pause refused (409)"), std::string::npos) << again.err;
    EXPECT_EQ(std::count(again.err.begin(), again.err.end(), '\n'), 1) << again.err;
    auto stale = cli({"resume", id, "--if-match", "1"});
    EXPECT_EQ(stale.exit_code, 1);
    EXPECT_NE(stale.err.find("412"), std::string::npos) << stale.err;
    auto resumed = cli({"resume", id});
    ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
    auto advanced = cli({"advance", id});
    ASSERT_EQ(advanced.exit_code, 0) << advanced.err;
    EXPECT_EQ(json::parse(advanced.out).at("state"), "completed");
    auto missing = cli({"status", "999999"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("not found"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace beacon::e2e
