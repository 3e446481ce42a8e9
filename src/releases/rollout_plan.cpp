#include "releases/rollout_plan.hpp"

#include <array>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/string.hpp>

#include "core/json_write.hpp"
#include "core/time_format.hpp"

namespace beacon::releases {
namespace {

namespace json = boost::json;

constexpr std::int64_t kMaxMinSessions = 1'000'000'000;

std::optional<std::int64_t> integer_of(const json::value& v) {
    if (v.is_int64()) {
        return v.get_int64();
    }
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        return static_cast<std::int64_t>(v.get_uint64());
    }
    return std::nullopt;
}

std::optional<double> fraction_of(const json::value& v) {
    if (!v.is_number()) {
        return std::nullopt;
    }
    const double d = v.to_number<double>();
    if (!(d >= 0.0 && d <= 1.0)) {
        return std::nullopt;
    }
    return d;
}

Error conflict(std::string message) {
    return make_error(ErrorCode::Conflict, std::move(message));
}

RolloutTransition transition(RolloutAction action,
                             int from,
                             int to,
                             RolloutProgress progress,
                             TimePoint now,
                             std::string by,
                             std::string reason,
                             std::string health_json = {}) {
    return RolloutTransition{
        to, progress, RolloutDecision{now, action, from, to, std::move(by), std::move(reason), std::move(health_json)}};
}

}  // namespace

Result<std::optional<RolloutPlan>> parse_rollout_plan(const json::value& v, std::string_view field) {
    const std::string f(field);
    if (v.is_null()) {
        return std::optional<RolloutPlan>{};
    }
    const json::object* o = v.if_object();
    if (o == nullptr) {
        return invalid_field(f, "must be an object or null");
    }
    for (const auto& kv : *o) {
        constexpr std::array known = {"steps", "stepEvery", "minSessions", "minCrashFree", "maxCrashFreeDrop"};
        bool ok = false;
        for (const char* k : known) {
            ok = ok || kv.key() == k;
        }
        if (!ok) {
            return invalid_field(f + "." + std::string(kv.key()), "is not a rollout plan field");
        }
    }
    RolloutPlan plan;
    const json::value* steps = o->if_contains("steps");
    if (steps == nullptr) {
        return invalid_field(f + ".steps", "is required");
    }
    const json::array* arr = steps->if_array();
    if (arr == nullptr || arr->empty()) {
        return invalid_field(f + ".steps", "must be a non-empty array of percentages ending at 100");
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const std::string at = f + ".steps[" + std::to_string(i) + "]";
        auto n = integer_of((*arr)[i]);
        if (!n || *n < 1 || *n > 100) {
            return invalid_field(at, "must be an integer from 1 to 100");
        }
        if (!plan.steps.empty() && *n <= plan.steps.back()) {
            return invalid_field(at, "must be above the step before it (steps strictly increase)");
        }
        plan.steps.push_back(static_cast<int>(*n));
    }
    if (plan.steps.back() != 100) {
        return invalid_field(f + ".steps", "must end at 100");
    }
    if (const json::value* every = o->if_contains("stepEvery")) {
        const json::string* text = every->if_string();
        auto seconds = text ? parse_duration_seconds(*text) : std::nullopt;
        if (!seconds || *seconds < kMinStepEveryS || *seconds > kMaxStepEveryS) {
            return invalid_field(f + ".stepEvery", "must be a duration from 1m to 30d, such as \"24h\"");
        }
        plan.step_every = std::string(*text);
        plan.step_every_s = *seconds;
    }
    if (const json::value* m = o->if_contains("minSessions")) {
        auto n = integer_of(*m);
        if (!n || *n < 0 || *n > kMaxMinSessions) {
            return invalid_field(f + ".minSessions", "must be an integer from 0 to 1000000000");
        }
        plan.min_sessions = *n;
    }
    if (const json::value* m = o->if_contains("minCrashFree")) {
        auto d = fraction_of(*m);
        if (!d) {
            return invalid_field(f + ".minCrashFree", "must be a number from 0 to 1");
        }
        plan.min_crash_free = *d;
    }
    if (const json::value* m = o->if_contains("maxCrashFreeDrop")) {
        auto d = fraction_of(*m);
        if (!d) {
            return invalid_field(f + ".maxCrashFreeDrop", "must be a number from 0 to 1");
        }
        plan.max_crash_free_drop = *d;
    }
    return std::optional<RolloutPlan>{std::move(plan)};
}

json::value rollout_plan_json(const RolloutPlan& plan) {
    json::array steps;
    for (int s : plan.steps) {
        steps.push_back(s);
    }
    return json::object{{"steps", std::move(steps)},
                        {"stepEvery", plan.step_every},
                        {"minSessions", plan.min_sessions},
                        {"minCrashFree", plan.min_crash_free},
                        {"maxCrashFreeDrop", plan.max_crash_free_drop}};
}

std::string stored_plan_json(const RolloutPlan& plan) {
    return json_write(rollout_plan_json(plan));
}

std::optional<RolloutPlan> plan_from_stored_json(std::string_view text) {
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec) {
        return std::nullopt;
    }
    auto plan = parse_rollout_plan(v);
    if (!plan) {
        return std::nullopt;
    }
    return *plan;
}

std::string_view rollout_state_name(RolloutState s) {
    switch (s) {
        case RolloutState::Running:
            return "running";
        case RolloutState::Paused:
            return "paused";
        case RolloutState::Halted:
            return "halted";
        case RolloutState::Completed:
            break;
    }
    return "completed";
}

std::optional<RolloutState> parse_rollout_state(std::string_view text) {
    for (RolloutState s :
         {RolloutState::Running, RolloutState::Paused, RolloutState::Halted, RolloutState::Completed}) {
        if (text == rollout_state_name(s)) {
            return s;
        }
    }
    return std::nullopt;
}

std::string_view rollout_action_name(RolloutAction a) {
    switch (a) {
        case RolloutAction::Start:
            return "start";
        case RolloutAction::Advance:
            return "advance";
        case RolloutAction::Pause:
            return "pause";
        case RolloutAction::Halt:
            return "halt";
        case RolloutAction::Resume:
            return "resume";
        case RolloutAction::Complete:
            break;
    }
    return "complete";
}

std::optional<RolloutAction> parse_rollout_action(std::string_view text) {
    for (RolloutAction a : {RolloutAction::Start,
                            RolloutAction::Advance,
                            RolloutAction::Pause,
                            RolloutAction::Halt,
                            RolloutAction::Resume,
                            RolloutAction::Complete}) {
        if (text == rollout_action_name(a)) {
            return a;
        }
    }
    return std::nullopt;
}

json::value decision_health(const RolloutDecision& d) {
    if (d.health_json.empty()) {
        return nullptr;
    }
    boost::system::error_code ec;
    json::value health = json::parse(d.health_json, ec);
    return ec ? json::value(nullptr) : health;  // stored with json_write: never malformed
}

std::optional<int> next_step(const RolloutPlan& plan, int percent) {
    for (int s : plan.steps) {
        if (s > percent) {
            return s;
        }
    }
    return std::nullopt;
}

std::optional<TimePoint> next_step_at(const RolloutPlan& plan, const RolloutProgress& p, int percent) {
    if (p.state != RolloutState::Running || !next_step(plan, percent)) {
        return std::nullopt;
    }
    return p.last_step_at + std::chrono::seconds(plan.step_every_s);
}

RolloutTransition start_plan(const RolloutPlan& plan, int percent, TimePoint now, std::string by) {
    const int first = plan.steps.front();
    const RolloutState state = first >= 100 ? RolloutState::Completed : RolloutState::Running;
    return transition(RolloutAction::Start,
                      percent,
                      first,
                      RolloutProgress{state, now},
                      now,
                      std::move(by),
                      "plan set: rolloutPercent to its first step");
}

Result<RolloutTransition> pause_plan(const RolloutProgress& p, int percent, TimePoint now, std::string by) {
    if (p.state != RolloutState::Running) {
        return conflict("pause needs a running rollout; it is " + std::string(rollout_state_name(p.state)));
    }
    return transition(RolloutAction::Pause,
                      percent,
                      percent,
                      RolloutProgress{RolloutState::Paused, p.last_step_at},
                      now,
                      std::move(by),
                      "paused by an admin");
}

Result<RolloutTransition> resume_plan(const RolloutProgress& p, int percent, TimePoint now, std::string by) {
    if (p.state != RolloutState::Paused && p.state != RolloutState::Halted) {
        return conflict("resume needs a paused or halted rollout; it is " + std::string(rollout_state_name(p.state)));
    }
    return transition(RolloutAction::Resume,
                      percent,
                      percent,
                      RolloutProgress{RolloutState::Running, now},
                      now,
                      std::move(by),
                      std::string("resumed by an admin from ") + std::string(rollout_state_name(p.state)));
}

Result<RolloutTransition> advance_plan(
    const RolloutPlan& plan, const RolloutProgress& p, int percent, TimePoint now, std::string by) {
    if (p.state != RolloutState::Running && p.state != RolloutState::Paused) {
        return conflict("advance needs a running or paused rollout; it is " + std::string(rollout_state_name(p.state)));
    }
    auto next = next_step(plan, percent);
    if (!next) {
        return conflict("the rollout is at its last step");
    }
    const bool done = *next >= 100;
    return transition(done ? RolloutAction::Complete : RolloutAction::Advance,
                      percent,
                      *next,
                      RolloutProgress{done ? RolloutState::Completed : p.state, now},
                      now,
                      std::move(by),
                      done ? "advanced by an admin to 100: completed" : "advanced by an admin");
}

std::optional<RolloutTransition> tick_plan(const RolloutPlan& plan,
                                           const RolloutProgress& p,
                                           int percent,
                                           RolloutHealth health,
                                           std::string_view health_reason,
                                           std::string health_json,
                                           TimePoint now) {
    if (p.state != RolloutState::Running) {
        return std::nullopt;
    }
    if (health == RolloutHealth::Unhealthy) {
        return transition(RolloutAction::Halt,
                          percent,
                          percent,
                          RolloutProgress{RolloutState::Halted, p.last_step_at},
                          now,
                          "schedule",
                          "unhealthy: " + std::string(health_reason),
                          std::move(health_json));
    }
    auto due = next_step_at(plan, p, percent);
    if (health != RolloutHealth::Healthy || !due || now < *due) {
        return std::nullopt;
    }
    const int next = *next_step(plan, percent);
    const bool done = next >= 100;
    return transition(done ? RolloutAction::Complete : RolloutAction::Advance,
                      percent,
                      next,
                      RolloutProgress{done ? RolloutState::Completed : RolloutState::Running, now},
                      now,
                      "schedule",
                      "healthy: " + std::string(health_reason),
                      std::move(health_json));
}

}  // namespace beacon::releases
