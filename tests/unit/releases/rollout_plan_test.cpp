#include "releases/rollout_plan.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

namespace beacon::releases {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0{std::chrono::hours(24 * 20000)};

RolloutPlan plan_of(const char* text) {
    auto r = parse_rollout_plan(boost::json::parse(text));
    EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() && *r ? **r : RolloutPlan{};
}

std::string bad_field(const char* text) {
    auto r = parse_rollout_plan(boost::json::parse(text));
    if (r.ok()) {
        return "(accepted)";
    }
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    return r.error().fields.empty() ? "(no field)" : r.error().fields[0].field;
}

TEST(RolloutPlanParse, DefaultsEveryKeyButSteps) {
    const RolloutPlan p = plan_of(R"({"steps": [1, 5, 20, 50, 100]})");
    EXPECT_EQ(p.steps, (std::vector<int>{1, 5, 20, 50, 100}));
    EXPECT_EQ(p.step_every, "24h");
    EXPECT_EQ(p.step_every_s, 86400);
    EXPECT_EQ(p.min_sessions, 100);
    EXPECT_EQ(p.min_crash_free, 0.98);
    EXPECT_EQ(p.max_crash_free_drop, 0.005);
    auto null_plan = parse_rollout_plan(boost::json::parse("null"));
    ASSERT_TRUE(null_plan.ok());
    EXPECT_FALSE(null_plan->has_value());
}

TEST(RolloutPlanParse, TakesEveryKeyAtItsBounds) {
    const RolloutPlan p =
        plan_of(R"({"steps": [100], "stepEvery": "1m", "minSessions": 0, "minCrashFree": 1, "maxCrashFreeDrop": 0})");
    EXPECT_EQ(p.step_every_s, 60);
    EXPECT_EQ(plan_of(R"({"steps": [100], "stepEvery": "30d"})").step_every_s, 30 * 86400);
    EXPECT_EQ(plan_of(R"({"steps": [100], "minCrashFree": 0, "maxCrashFreeDrop": 1})").max_crash_free_drop, 1.0);
}

TEST(RolloutPlanParse, EveryBadPlanNamesItsField) {
    EXPECT_EQ(bad_field(R"([1, 100])"), "rolloutPlan");
    EXPECT_EQ(bad_field(R"({})"), "rolloutPlan.steps");
    EXPECT_EQ(bad_field(R"({"steps": []})"), "rolloutPlan.steps");
    EXPECT_EQ(bad_field(R"({"steps": [1, 50]})"), "rolloutPlan.steps");  // does not end at 100
    EXPECT_EQ(bad_field(R"({"steps": [5, 5, 100]})"), "rolloutPlan.steps[1]");
    EXPECT_EQ(bad_field(R"({"steps": [20, 10, 100]})"), "rolloutPlan.steps[1]");
    EXPECT_EQ(bad_field(R"({"steps": [0, 100]})"), "rolloutPlan.steps[0]");
    EXPECT_EQ(bad_field(R"({"steps": [1, 101]})"), "rolloutPlan.steps[1]");
    EXPECT_EQ(bad_field(R"({"steps": [1.5, 100]})"), "rolloutPlan.steps[0]");
    EXPECT_EQ(bad_field(R"({"steps": ["5", 100]})"), "rolloutPlan.steps[0]");
    EXPECT_EQ(bad_field(R"({"steps": [100], "stepEvery": "59s"})"), "rolloutPlan.stepEvery");
    EXPECT_EQ(bad_field(R"({"steps": [100], "stepEvery": "31d"})"), "rolloutPlan.stepEvery");
    EXPECT_EQ(bad_field(R"({"steps": [100], "stepEvery": 3600})"), "rolloutPlan.stepEvery");
    EXPECT_EQ(bad_field(R"({"steps": [100], "stepEvery": "soon"})"), "rolloutPlan.stepEvery");
    EXPECT_EQ(bad_field(R"({"steps": [100], "minSessions": -1})"), "rolloutPlan.minSessions");
    EXPECT_EQ(bad_field(R"({"steps": [100], "minSessions": 1.5})"), "rolloutPlan.minSessions");
    EXPECT_EQ(bad_field(R"({"steps": [100], "minCrashFree": 1.01})"), "rolloutPlan.minCrashFree");
    EXPECT_EQ(bad_field(R"({"steps": [100], "minCrashFree": -0.1})"), "rolloutPlan.minCrashFree");
    EXPECT_EQ(bad_field(R"({"steps": [100], "maxCrashFreeDrop": "0.1"})"), "rolloutPlan.maxCrashFreeDrop");
    EXPECT_EQ(bad_field(R"({"steps": [100], "maxCrashFreeDrop": 2})"), "rolloutPlan.maxCrashFreeDrop");
    EXPECT_EQ(bad_field(R"({"steps": [100], "speed": 1})"), "rolloutPlan.speed");
}

TEST(RolloutPlanParse, RoundTripsThroughJson) {
    const RolloutPlan p = plan_of(R"({"steps": [10, 100], "stepEvery": "90m", "minSessions": 7})");
    auto again = parse_rollout_plan(rollout_plan_json(p));
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(**again, p);
}

// ---- the state machine, on a manual clock ----

const RolloutPlan kPlan = [] {
    RolloutPlan p;
    p.steps = {1, 5, 20, 100};
    p.step_every = "1h";
    p.step_every_s = 3600;
    return p;
}();

TEST(RolloutStateMachine, StartsAtTheFirstStepRunning) {
    const RolloutTransition t = start_plan(kPlan, 100, kT0, "admin-1");
    EXPECT_EQ(t.percent, 1);
    EXPECT_EQ(t.progress.state, RolloutState::Running);
    EXPECT_EQ(t.decision.action, RolloutAction::Start);
    EXPECT_EQ(t.decision.from, 100);
    EXPECT_EQ(t.decision.to, 1);
    EXPECT_EQ(t.decision.by, "admin-1");
    EXPECT_EQ(next_step_at(kPlan, t.progress, t.percent), kT0 + 1h);
}

TEST(RolloutStateMachine, AdvancesOnScheduleOnlyWhenHealthyAndDue) {
    RolloutProgress p{RolloutState::Running, kT0};
    EXPECT_FALSE(tick_plan(kPlan, p, 1, RolloutHealth::Healthy, "ok", "", kT0 + 1h - 1ms)) << "not yet due";
    EXPECT_FALSE(tick_plan(kPlan, p, 1, RolloutHealth::InsufficientData, "few", "", kT0 + 2h)) << "no data";
    auto t = tick_plan(kPlan, p, 1, RolloutHealth::Healthy, "ok", "{}", kT0 + 1h);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->percent, 5);
    EXPECT_EQ(t->decision.action, RolloutAction::Advance);
    EXPECT_EQ(t->decision.by, "schedule");
    EXPECT_EQ(t->decision.health_json, "{}");
    EXPECT_EQ(t->progress.last_step_at, kT0 + 1h);
    EXPECT_EQ(next_step_at(kPlan, t->progress, t->percent), kT0 + 2h);
}

TEST(RolloutStateMachine, HaltsAtOnceWhenUnhealthyEvenBeforeTheStepIsDue) {
    RolloutProgress p{RolloutState::Running, kT0};
    auto t =
        tick_plan(kPlan, p, 5, RolloutHealth::Unhealthy, "crashFreeSessions 0.9 < minCrashFree 0.98", "", kT0 + 1s);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->progress.state, RolloutState::Halted);
    EXPECT_EQ(t->percent, 5);
    EXPECT_EQ(t->decision.action, RolloutAction::Halt);
    EXPECT_NE(t->decision.reason.find("0.9"), std::string::npos);
    EXPECT_FALSE(next_step_at(kPlan, t->progress, t->percent));
    EXPECT_FALSE(tick_plan(kPlan, t->progress, 5, RolloutHealth::Healthy, "ok", "", kT0 + 9h)) << "stays halted";
}

TEST(RolloutStateMachine, CompletesAtOneHundred) {
    RolloutProgress p{RolloutState::Running, kT0};
    auto t = tick_plan(kPlan, p, 20, RolloutHealth::Healthy, "ok", "", kT0 + 1h);
    ASSERT_TRUE(t);
    EXPECT_EQ(t->percent, 100);
    EXPECT_EQ(t->progress.state, RolloutState::Completed);
    EXPECT_EQ(t->decision.action, RolloutAction::Complete);
    EXPECT_FALSE(tick_plan(kPlan, t->progress, 100, RolloutHealth::Unhealthy, "bad", "", kT0 + 2h))
        << "a completed rollout is not halted any more";
}

TEST(RolloutStateMachine, ResumeRunsAgainFromTheCurrentStepWithStepEveryFromNow) {
    RolloutProgress halted{RolloutState::Halted, kT0};
    auto t = resume_plan(halted, 5, kT0 + 3h, "admin-1");
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(t->progress.state, RolloutState::Running);
    EXPECT_EQ(t->percent, 5);
    EXPECT_EQ(next_step_at(kPlan, t->progress, 5), kT0 + 4h);
    RolloutProgress paused{RolloutState::Paused, kT0};
    EXPECT_TRUE(resume_plan(paused, 5, kT0, "a").ok());
}

TEST(RolloutStateMachine, VerbsNeedTheirStates) {
    const RolloutProgress running{RolloutState::Running, kT0};
    const RolloutProgress paused{RolloutState::Paused, kT0};
    const RolloutProgress halted{RolloutState::Halted, kT0};
    const RolloutProgress completed{RolloutState::Completed, kT0};
    auto conflict = [](const auto& r) { return !r.ok() && r.error().code == ErrorCode::Conflict; };
    EXPECT_TRUE(pause_plan(running, 5, kT0, "a").ok());
    EXPECT_TRUE(conflict(pause_plan(paused, 5, kT0, "a")));
    EXPECT_TRUE(conflict(pause_plan(halted, 5, kT0, "a")));
    EXPECT_TRUE(conflict(pause_plan(completed, 100, kT0, "a")));
    EXPECT_TRUE(conflict(resume_plan(running, 5, kT0, "a")));
    EXPECT_TRUE(conflict(resume_plan(completed, 100, kT0, "a")));
    EXPECT_TRUE(advance_plan(kPlan, running, 5, kT0, "a").ok());
    EXPECT_TRUE(conflict(advance_plan(kPlan, halted, 5, kT0, "a")));
    EXPECT_TRUE(conflict(advance_plan(kPlan, completed, 100, kT0, "a")));
    auto from_paused = advance_plan(kPlan, paused, 5, kT0 + 1min, "a");
    ASSERT_TRUE(from_paused.ok());
    EXPECT_EQ(from_paused->percent, 20);
    EXPECT_EQ(from_paused->progress.state, RolloutState::Paused) << "a paused plan stays paused";
    auto last = advance_plan(kPlan, running, 20, kT0, "a");
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last->progress.state, RolloutState::Completed);
    EXPECT_EQ(last->decision.action, RolloutAction::Complete);
}

TEST(RolloutStateMachine, NamesRoundTrip) {
    for (auto s : {RolloutState::Running, RolloutState::Paused, RolloutState::Halted, RolloutState::Completed}) {
        EXPECT_EQ(parse_rollout_state(rollout_state_name(s)), s);
    }
    for (auto a : {RolloutAction::Start,
                   RolloutAction::Advance,
                   RolloutAction::Pause,
                   RolloutAction::Halt,
                   RolloutAction::Resume,
                   RolloutAction::Complete}) {
        EXPECT_EQ(parse_rollout_action(rollout_action_name(a)), a);
    }
    EXPECT_FALSE(parse_rollout_state("stopped"));
}

}  // namespace
}  // namespace beacon::releases
