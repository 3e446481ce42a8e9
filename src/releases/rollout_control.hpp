#pragma once

// Health-gated rollouts (API.md 1.1 "Health-gated rollouts"), the stateful
// half: the rollout view of a version, the pause / resume / advance verbs,
// and the transitions the `rollout` job decides (jobs/rollout_job.hpp). The
// rules themselves are rollout_plan.hpp's; starting a plan is part of a
// version write (ReleaseService::create and patch).
//
// Every transition is one repository write: the version (percent, state,
// last step), its decision and its webhook in one transaction, as a
// compare-and-set on the version's revision, followed by a rebuild of the
// update-check snapshot so a halted version stops being offered at once on
// this replica (and within a refresh on the others).
//
// Thread-safe; the repository, the service and the clock are borrowed.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "releases/release_service.hpp"
#include "releases/release_version.hpp"
#include "releases/rollout_plan.hpp"
#include "releases/version_repository.hpp"

namespace beacon::releases {

// How many decisions the rollout view lists (newest first).
inline constexpr int kRolloutDecisionsListed = 100;

// GET /admin/versions/{id}/rollout.
struct RolloutView {
    ReleaseVersion version;  // its plan, state, percent and last step
    std::optional<TimePoint> next_step_at;
    std::vector<RolloutDecision> decisions;  // newest first, at most kRolloutDecisionsListed
};

enum class RolloutVerb { Pause, Resume, Advance };

class RolloutControl {
public:
    RolloutControl(VersionRepository& repository, ReleaseService& service, const Clock& clock, bool webhooks);

    // NotFound for an unknown id.
    Result<RolloutView> view(std::int64_t id);

    // Applies `verb` by `actor` (an admin's subject). NotFound; Conflict when
    // the version has no plan or its state does not allow the verb;
    // PreconditionFailed when `if_match` is given and stale (without it a
    // concurrent write is retried on the fresh version).
    Result<RolloutView> apply(std::int64_t id,
                              RolloutVerb verb,
                              std::optional<std::int64_t> if_match,
                              std::string_view actor);

    // The enabled versions whose plan is running: what the job looks at.
    Result<std::vector<ReleaseVersion>> running();

    // Stores the transition the job decided for `v` as read (its revision):
    // the decision, or nullopt when `v` changed meanwhile (an admin paused
    // it, another run moved it): then nothing is written, and the next run
    // looks again.
    Result<std::optional<RolloutDecision>> record(const ReleaseVersion& v, RolloutTransition transition);

private:
    // Rebuilds the update-check snapshot after a transition.
    void refresh_catalog();

    VersionRepository& repository_;
    ReleaseService& service_;
    const Clock& clock_;
    const bool webhooks_;
};

}  // namespace beacon::releases
