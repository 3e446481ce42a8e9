#include "jobs/rollout_job.hpp"

#include <algorithm>
#include <chrono>

#include <boost/json/array.hpp>

#include "core/json_write.hpp"
#include "releases/rollout_plan.hpp"

namespace beacon::jobs {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

releases::RolloutHealth rollout_health(telemetry::HealthVerdict v) {
    switch (v) {
        case telemetry::HealthVerdict::Healthy:
            return releases::RolloutHealth::Healthy;
        case telemetry::HealthVerdict::Unhealthy:
            return releases::RolloutHealth::Unhealthy;
        case telemetry::HealthVerdict::InsufficientData:
            break;
    }
    return releases::RolloutHealth::InsufficientData;
}

std::string joined(const std::vector<std::string>& reasons) {
    std::string out;
    for (const std::string& r : reasons) {
        out += out.empty() ? "" : "; ";
        out += r;
    }
    return out;
}

}  // namespace

telemetry::HealthThresholds health_thresholds(const releases::ReleaseVersion& v) {
    if (!v.rollout_plan) {
        return {};
    }
    return {v.rollout_plan->min_sessions, v.rollout_plan->min_crash_free, v.rollout_plan->max_crash_free_drop};
}

std::int64_t rollout_health_window_s(const releases::RolloutPlan& plan) {
    return std::clamp(plan.step_every_s, telemetry::kMinHealthWindowS, telemetry::kMaxHealthWindowS);
}

Result<telemetry::ReleaseHealth> version_health(telemetry::EventStore& events,
                                                const releases::ReleaseVersion& v,
                                                std::int64_t window_s,
                                                TimePoint now) {
    const auto platform = telemetry::parse_platform(releases::to_string(v.platform));
    return telemetry::release_health(events,
                                     platform.value_or(telemetry::Platform::Unknown),
                                     static_cast<telemetry::VersionCode>(v.version_code),
                                     window_s,
                                     now,
                                     health_thresholds(v));
}

Result<json::object> run_rollouts(const RolloutJobDeps& d) {
    auto running = d.control.running();
    if (!running) {
        return std::move(running).error();
    }
    json::array decisions;
    for (const releases::ReleaseVersion& v : *running) {
        const TimePoint now = d.clock.now();
        auto health = version_health(d.events, v, rollout_health_window_s(*v.rollout_plan), now);
        if (!health) {
            return std::move(health).error().with_context("judging version " + std::to_string(v.id));
        }
        auto t = releases::tick_plan(*v.rollout_plan,
                                     v.rollout_progress,
                                     v.rollout_percent,
                                     rollout_health(health->verdict),
                                     joined(health->reasons),
                                     json_write(telemetry::release_health_json(*health)),
                                     now);
        if (!t) {
            continue;  // insufficient data, or not yet due
        }
        auto stored = d.control.record(v, std::move(*t));
        if (!stored) {
            return std::move(stored).error().with_context("version " + std::to_string(v.id));
        }
        if (const auto& decision = *stored) {
            decisions.push_back(json::object{{"versionId", v.id},
                                             {"action", releases::rollout_action_name(decision->action)},
                                             {"from", decision->from},
                                             {"to", decision->to},
                                             {"reason", decision->reason}});
        }
    }
    return json::object{{"checked", running->size()}, {"decisions", std::move(decisions)}};
}

Job make_rollout_job(const RolloutJobDeps& deps) {
    return Job{"rollout",
               "every 5 minutes",
               [](TimePoint t) { return next_multiple(t, 5min); },
               [deps](const JobContext&) { return run_rollouts(deps); }};
}

}  // namespace beacon::jobs
