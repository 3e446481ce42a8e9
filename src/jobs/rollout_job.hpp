#pragma once

// The `rollout` job (API.md 1.1 "Health-gated rollouts"): every 5 minutes,
// claimed once cluster-wide like the other jobs, it judges each enabled
// version whose plan is running and lets releases::tick_plan decide: halt
// when unhealthy, the next step when healthy and stepEvery has passed since
// the last one, else nothing. The health is the version's over the last
// stepEvery (at least 1 h, at most 30 d: the sessions of the current step
// once it is due), against its control, with the plan's thresholds.

#include <cstdint>
#include <string>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "jobs/scheduler.hpp"
#include "releases/release_version.hpp"
#include "releases/rollout_control.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/release_health.hpp"

namespace beacon::jobs {

struct RolloutJobDeps {
    releases::RolloutControl& control;
    telemetry::EventStore& events;
    const Clock& clock;
};

// The verdict rules of `v`: its plan's, else the defaults.
telemetry::HealthThresholds health_thresholds(const releases::ReleaseVersion& v);

// The health window the job judges a plan over: stepEvery clamped to 1 h..30 d.
std::int64_t rollout_health_window_s(const releases::RolloutPlan& plan);

// `v`'s release health over `window_s` before `now`, by its thresholds.
Result<telemetry::ReleaseHealth> version_health(telemetry::EventStore& events,
                                                const releases::ReleaseVersion& v,
                                                std::int64_t window_s,
                                                TimePoint now);

// One run: {"checked": N, "decisions": [{"versionId", "action", "from", "to", "reason"}]}.
Result<boost::json::object> run_rollouts(const RolloutJobDeps& deps);

Job make_rollout_job(const RolloutJobDeps& deps);

}  // namespace beacon::jobs
