#pragma once

// The RolloutRecord of a rollout transition: its decision, and the webhook
// (rollout.started, .advanced, .paused, .halted, .resumed, .completed) the
// repository enqueues in the same transaction (API.md 1.1 "Webhooks").

#include <string_view>

#include "releases/release_version.hpp"
#include "releases/rollout_plan.hpp"
#include "releases/version_repository.hpp"

namespace beacon::releases {

// The webhook event type of a decision's action ("rollout.halted").
std::string_view rollout_event_type(RolloutAction action);

// `decision`, with a webhook delivery when `webhooks` (a webhook URL is
// configured): {"id", "type", "at" = the decision's time, "data":
// {"versionId", "platform", "channel", "versionCode", "versionName",
// "state", "from", "to", "by", "reason", "health"}}, ordered per version.
RolloutRecord make_rollout_record(RolloutDecision decision, bool webhooks);

}  // namespace beacon::releases
