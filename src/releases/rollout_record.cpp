#include "releases/rollout_record.hpp"

#include <utility>

#include <boost/json/object.hpp>

namespace beacon::releases {

namespace json = boost::json;

std::string_view rollout_event_type(RolloutAction action) {
    switch (action) {
        case RolloutAction::Start:
            return webhooks::kRolloutStarted;
        case RolloutAction::Advance:
            return webhooks::kRolloutAdvanced;
        case RolloutAction::Pause:
            return webhooks::kRolloutPaused;
        case RolloutAction::Halt:
            return webhooks::kRolloutHalted;
        case RolloutAction::Resume:
            return webhooks::kRolloutResumed;
        case RolloutAction::Complete:
            break;
    }
    return webhooks::kRolloutCompleted;
}

RolloutRecord make_rollout_record(RolloutDecision decision, bool webhooks) {
    RolloutRecord record{std::move(decision), nullptr};
    if (!webhooks) {
        return record;
    }
    record.webhook = [d = record.decision](const ReleaseVersion& v) -> Result<std::optional<webhooks::Delivery>> {
        json::object data{
            {"versionId", v.id},
            {"platform", to_string(v.platform)},
            {"channel", v.channel},
            {"versionCode", v.version_code},
            {"versionName", v.version_name},
            {"state",
             v.rollout_plan ? json::value(rollout_state_name(v.rollout_progress.state)) : json::value(nullptr)},
            {"from", d.from},
            {"to", d.to},
            {"by", d.by},
            {"reason", d.reason},
            {"health", decision_health(d)}};
        auto delivery =
            webhooks::make_delivery(rollout_event_type(d.action), webhooks::version_ordering_key(v.id), data, d.at);
        if (!delivery) {
            return std::move(delivery).error();
        }
        return std::optional<webhooks::Delivery>(std::move(*delivery));
    };
    return record;
}

}  // namespace beacon::releases
