#pragma once

// Health-gated rollout plans (API.md 1.1 "Health-gated rollouts"): the plan
// a version carries, its validation, and the state machine the `rollout`
// job and the pause / resume / advance verbs drive. Pure: no I/O, no clock
// of its own (every transition is given `now`).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace beacon::releases {

inline constexpr std::int64_t kMinStepEveryS = 60;
inline constexpr std::int64_t kMaxStepEveryS = 30 * 86400;

struct RolloutPlan {
    std::vector<int> steps;             // strictly increasing, 1..100, ending at 100
    std::string step_every = "24h";     // as given (the settings' duration syntax)
    std::int64_t step_every_s = 86400;  // the same in seconds, 60..30 d
    std::int64_t min_sessions = 100;
    double min_crash_free = 0.98;
    double max_crash_free_drop = 0.005;

    bool operator==(const RolloutPlan&) const = default;
};

// `rolloutPlan` as JSON: an object (keys but `steps` optional, defaults
// above; unknown keys refused) or null (no plan: nullopt). Errors are
// InvalidArgument naming the field in the contract's path syntax, under
// `field` ("rolloutPlan.steps[2]", "rolloutPlan.stepEvery").
Result<std::optional<RolloutPlan>> parse_rollout_plan(const boost::json::value& v,
                                                      std::string_view field = "rolloutPlan");
boost::json::value rollout_plan_json(const RolloutPlan& plan);

// A plan as the databases store it (the text of rollout_plan_json), and
// back; nullopt for text that is not a valid plan (never written by Beacon).
std::string stored_plan_json(const RolloutPlan& plan);
std::optional<RolloutPlan> plan_from_stored_json(std::string_view text);

enum class RolloutState { Running, Paused, Halted, Completed };
std::string_view rollout_state_name(RolloutState s);
std::optional<RolloutState> parse_rollout_state(std::string_view text);

enum class RolloutAction { Start, Advance, Pause, Halt, Resume, Complete };
std::string_view rollout_action_name(RolloutAction a);
std::optional<RolloutAction> parse_rollout_action(std::string_view text);

// Where a version's plan stands: what the version row keeps besides its
// rolloutPercent.
struct RolloutProgress {
    RolloutState state = RolloutState::Running;
    TimePoint last_step_at;
};

// One transition, as the decision history records it.
struct RolloutDecision {
    TimePoint at;
    RolloutAction action = RolloutAction::Start;
    int from = 0;             // rolloutPercent before
    int to = 0;               // and after
    std::string by;           // "schedule" or the admin's subject
    std::string reason;       // in words
    std::string health_json;  // the health that drove it, serialized; empty when none
};

// The health a decision records, as JSON; null when it has none.
boost::json::value decision_health(const RolloutDecision& d);

// The step after `percent`: the first step above it; nullopt at 100.
std::optional<int> next_step(const RolloutPlan& plan, int percent);

// When a running plan takes its next step: last_step_at + stepEvery;
// nullopt when not running or at 100.
std::optional<TimePoint> next_step_at(const RolloutPlan& plan, const RolloutProgress& p, int percent);

// A transition's outcome: the new percent and progress, and the decision.
struct RolloutTransition {
    int percent = 0;
    RolloutProgress progress;
    RolloutDecision decision;
};

// Setting a plan: rolloutPercent to its first step, state running.
RolloutTransition start_plan(const RolloutPlan& plan, int percent, TimePoint now, std::string by);

// The verbs. Conflict (409) when the state does not allow it: pause needs
// running; resume paused or halted (running again from the current step,
// with stepEvery counted from now); advance running or paused (the next
// step now, completed at 100; a paused plan stays paused).
Result<RolloutTransition> pause_plan(const RolloutProgress& p, int percent, TimePoint now, std::string by);
Result<RolloutTransition> resume_plan(const RolloutProgress& p, int percent, TimePoint now, std::string by);
Result<RolloutTransition> advance_plan(
    const RolloutPlan& plan, const RolloutProgress& p, int percent, TimePoint now, std::string by);

// The health verdict, as the job sees it.
enum class RolloutHealth { Healthy, Unhealthy, InsufficientData };

// The job's tick for a running plan: unhealthy halts at once; healthy and
// stepEvery elapsed since the last step takes the next step (completed at
// 100); anything else (insufficient data, not yet due, not running) does
// nothing (nullopt).
std::optional<RolloutTransition> tick_plan(const RolloutPlan& plan,
                                           const RolloutProgress& p,
                                           int percent,
                                           RolloutHealth health,
                                           std::string_view health_reason,
                                           std::string health_json,
                                           TimePoint now);

}  // namespace beacon::releases
