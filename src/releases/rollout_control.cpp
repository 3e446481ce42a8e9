#include "releases/rollout_control.hpp"

#include <utility>

#include "releases/rollout_record.hpp"

namespace beacon::releases {
namespace {

constexpr int kMaxVerbAttempts = 8;

Result<RolloutTransition> transition_for(const ReleaseVersion& v, RolloutVerb verb, TimePoint now, std::string by) {
    if (!v.rollout_plan) {
        return make_error(ErrorCode::Conflict, "version " + std::to_string(v.id) + " has no rollout plan");
    }
    switch (verb) {
        case RolloutVerb::Pause:
            return pause_plan(v.rollout_progress, v.rollout_percent, now, std::move(by));
        case RolloutVerb::Resume:
            return resume_plan(v.rollout_progress, v.rollout_percent, now, std::move(by));
        case RolloutVerb::Advance:
            break;
    }
    return advance_plan(*v.rollout_plan, v.rollout_progress, v.rollout_percent, now, std::move(by));
}

ReleaseVersion moved(ReleaseVersion v, const RolloutTransition& t, TimePoint now) {
    v.rollout_percent = t.percent;
    v.rollout_progress = t.progress;
    v.updated_at = now;
    return v;
}

}  // namespace

RolloutControl::RolloutControl(VersionRepository& repository,
                               ReleaseService& service,
                               const Clock& clock,
                               bool webhooks)
    : repository_(repository), service_(service), clock_(clock), webhooks_(webhooks) {}

Result<RolloutView> RolloutControl::view(std::int64_t id) {
    auto v = service_.get(id);
    if (!v) {
        return std::move(v).error();
    }
    auto decisions = repository_.list_rollout_decisions(id, kRolloutDecisionsListed);
    if (!decisions) {
        return std::move(decisions).error().with_context("listing rollout decisions");
    }
    RolloutView out{std::move(*v), std::nullopt, std::move(*decisions)};
    if (out.version.rollout_plan) {
        out.next_step_at =
            next_step_at(*out.version.rollout_plan, out.version.rollout_progress, out.version.rollout_percent);
    }
    return out;
}

Result<RolloutView> RolloutControl::apply(std::int64_t id,
                                          RolloutVerb verb,
                                          std::optional<std::int64_t> if_match,
                                          std::string_view actor) {
    const std::string by = actor.empty() ? std::string(kUnnamedAdmin) : std::string(actor);
    for (int attempt = 1;; ++attempt) {
        auto current = service_.get(id);
        if (!current) {
            return std::move(current).error();
        }
        if (if_match && current->revision != *if_match) {
            return stale_revision(id, current->revision, *if_match);
        }
        const TimePoint now = clock_.now();
        auto t = transition_for(*current, verb, now, by);
        if (!t) {
            return std::move(t).error();
        }
        auto stored = repository_.update_with_rollout(
            moved(*current, *t, now), current->revision, make_rollout_record(t->decision, webhooks_));
        if (!stored && stored.error().code == ErrorCode::PreconditionFailed && !if_match &&
            attempt < kMaxVerbAttempts) {
            continue;  // written meanwhile: decide again on the fresh version
        }
        if (!stored) {
            return std::move(stored).error().with_context("storing the rollout decision");
        }
        refresh_catalog();
        return view(id);
    }
}

Result<std::vector<ReleaseVersion>> RolloutControl::running() {
    auto catalog = repository_.load_catalog();
    if (!catalog) {
        return std::move(catalog).error().with_context("loading the catalog");
    }
    std::vector<ReleaseVersion> out;
    for (ReleaseVersion& v : catalog->enabled_versions) {
        if (v.rollout_plan && v.rollout_progress.state == RolloutState::Running) {
            out.push_back(std::move(v));
        }
    }
    return out;
}

Result<std::optional<RolloutDecision>> RolloutControl::record(const ReleaseVersion& v, RolloutTransition transition) {
    const TimePoint now = transition.decision.at;
    auto stored = repository_.update_with_rollout(
        moved(v, transition, now), v.revision, make_rollout_record(transition.decision, webhooks_));
    if (!stored) {
        if (stored.error().code == ErrorCode::PreconditionFailed || stored.error().code == ErrorCode::NotFound) {
            return std::optional<RolloutDecision>();
        }
        return std::move(stored).error().with_context("storing the rollout decision");
    }
    refresh_catalog();
    return std::optional<RolloutDecision>(std::move(transition.decision));
}

void RolloutControl::refresh_catalog() {
    // The write stands either way; a failed rebuild is retried by the
    // service's periodic refresh (the revision still differs).
    (void)service_.reload();
}

}  // namespace beacon::releases
