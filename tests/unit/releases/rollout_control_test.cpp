// Health-gated rollouts, the stateful half, on the in-memory repository and a
// manual clock: a plan set through ReleaseService starts at its first step,
// the verbs and their 409s / 412s, the job's record() as a compare-and-set,
// and what a halted version does to the update check.

#include "releases/rollout_control.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "contract/releases/memory_version_repository.hpp"
#include "releases/release_service.hpp"
#include "webhooks/delivery.hpp"

namespace beacon::releases {
namespace {

using namespace std::chrono_literals;
using test::MemoryVersionRepository;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25, mid-morning UTC

// Signs fake links; stores nothing.
class NullArtifactStore final : public ArtifactStore {
public:
    Result<void> put_file(std::string_view, const std::filesystem::path&, std::string_view) override { return ok(); }
    Result<bool> exists(std::string_view) override { return true; }
    Result<void> remove(std::string_view) override { return ok(); }
    Result<SignedUrl> signed_url(std::string_view key,
                                 std::string_view,
                                 std::chrono::seconds ttl,
                                 TimePoint now,
                                 std::string_view base) override {
        return SignedUrl{std::string(base) + "/files/" + std::string(key), now + ttl};
    }
};

RolloutPlan plan(std::vector<int> steps) {
    RolloutPlan p;
    p.steps = std::move(steps);
    p.step_every = "1h";
    p.step_every_s = 3600;
    return p;
}

NewVersion planned(std::int64_t code, std::vector<int> steps = {5, 25, 100}) {
    NewVersion n;
    n.platform = "android";
    n.version_code = code;
    n.version_name = "v" + std::to_string(code);
    n.external_url = "https://example.com/app/" + std::to_string(code);
    n.rollout_percent = 50;  // the plan's first step wins
    n.rollout_plan = plan(std::move(steps));
    n.actor = "ci-bot";
    return n;
}

class RolloutControlTest : public ::testing::Test {
protected:
    RolloutControlTest()
        : service_(repo_, store_, clock_, options()), control_(repo_, service_, clock_, /*webhooks=*/true) {
        EXPECT_TRUE(service_.reload().ok());
    }

    static ReleaseServiceOptions options() {
        ReleaseServiceOptions o;
        o.public_base_url = "https://beacon.test";
        o.webhooks = true;
        return o;
    }

    ReleaseVersion create(const NewVersion& n) {
        auto r = service_.create(n);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : ReleaseVersion{};
    }

    RolloutView apply(std::int64_t id, RolloutVerb verb, std::optional<std::int64_t> if_match = std::nullopt) {
        auto r = control_.apply(id, verb, if_match, "alice");
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : RolloutView{};
    }

    ErrorCode apply_fails(std::int64_t id, RolloutVerb verb, std::optional<std::int64_t> if_match = std::nullopt) {
        auto r = control_.apply(id, verb, if_match, "alice");
        EXPECT_FALSE(r.ok());
        return r.ok() ? ErrorCode::Internal : r.error().code;
    }

    std::vector<std::string> delivered_types() const {
        std::vector<std::string> out;
        for (const auto& d : repo_.deliveries_for_test()) {
            out.push_back(d.type);
        }
        return out;
    }

    // How many of 400 installs on 100 are offered version `code`.
    int offered_to(std::int64_t code) {
        int n = 0;
        for (int i = 0; i < 400; ++i) {
            const std::string install = "install-" + std::to_string(i);
            auto c = service_.check("android", std::nullopt, 100, install);
            EXPECT_TRUE(c.ok());
            if (c.ok() && c->latest && c->latest->version_code == code) {
                ++n;
            }
        }
        return n;
    }

    ManualClock clock_{kT0};
    MemoryVersionRepository repo_;
    NullArtifactStore store_;
    ReleaseService service_;
    RolloutControl control_;
};

TEST_F(RolloutControlTest, APlanStartsAtItsFirstStepWithADecisionAndAWebhook) {
    const ReleaseVersion v = create(planned(210));
    EXPECT_EQ(v.rollout_percent, 5);
    ASSERT_TRUE(v.rollout_plan);
    EXPECT_EQ(v.rollout_progress.state, RolloutState::Running);
    EXPECT_EQ(v.rollout_progress.last_step_at, kT0);

    const RolloutView view = apply(v.id, RolloutVerb::Pause);  // just to read it back after a verb
    ASSERT_EQ(view.decisions.size(), 2u);
    const RolloutDecision& start = view.decisions[1];
    EXPECT_EQ(start.action, RolloutAction::Start);
    EXPECT_EQ(start.from, 0);
    EXPECT_EQ(start.to, 5);
    EXPECT_EQ(start.by, "ci-bot");
    EXPECT_EQ(delivered_types(), (std::vector<std::string>{"rollout.started", "rollout.paused"}));
}

TEST_F(RolloutControlTest, APlanWhoseFirstStepIs100IsCompletedAtOnce) {
    const ReleaseVersion v = create(planned(210, {100}));
    EXPECT_EQ(v.rollout_percent, 100);
    EXPECT_EQ(v.rollout_progress.state, RolloutState::Completed);
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Advance), ErrorCode::Conflict);
}

TEST_F(RolloutControlTest, ViewTellsTheNextStepOfARunningPlanOnly) {
    const ReleaseVersion v = create(planned(210));
    auto view = control_.view(v.id);
    ASSERT_TRUE(view.ok());
    ASSERT_TRUE(view->next_step_at);
    EXPECT_EQ(*view->next_step_at, kT0 + 1h);
    EXPECT_FALSE(apply(v.id, RolloutVerb::Pause).next_step_at);
    auto unknown = control_.view(v.id + 100);
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::NotFound);
}

TEST_F(RolloutControlTest, TheVerbsWalkTheStateMachineAndRefuseWhatItDoesNotAllow) {
    const ReleaseVersion v = create(planned(210));
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Resume), ErrorCode::Conflict);  // running already

    clock_.advance(10min);
    RolloutView paused = apply(v.id, RolloutVerb::Pause);
    EXPECT_EQ(paused.version.rollout_progress.state, RolloutState::Paused);
    EXPECT_EQ(paused.decisions.front().by, "alice");
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Pause), ErrorCode::Conflict);

    // Advancing a paused plan takes the step and stays paused.
    RolloutView advanced = apply(v.id, RolloutVerb::Advance);
    EXPECT_EQ(advanced.version.rollout_percent, 25);
    EXPECT_EQ(advanced.version.rollout_progress.state, RolloutState::Paused);

    clock_.advance(5min);
    RolloutView resumed = apply(v.id, RolloutVerb::Resume);
    EXPECT_EQ(resumed.version.rollout_progress.state, RolloutState::Running);
    EXPECT_EQ(resumed.version.rollout_progress.last_step_at, kT0 + 15min);  // stepEvery counts from now
    ASSERT_TRUE(resumed.next_step_at);
    EXPECT_EQ(*resumed.next_step_at, kT0 + 15min + 1h);

    RolloutView done = apply(v.id, RolloutVerb::Advance);
    EXPECT_EQ(done.version.rollout_percent, 100);
    EXPECT_EQ(done.version.rollout_progress.state, RolloutState::Completed);
    EXPECT_EQ(done.decisions.front().action, RolloutAction::Complete);
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Advance), ErrorCode::Conflict);
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Pause), ErrorCode::Conflict);
    EXPECT_EQ(delivered_types(),
              (std::vector<std::string>{
                  "rollout.started", "rollout.paused", "rollout.advanced", "rollout.resumed", "rollout.completed"}));
}

TEST_F(RolloutControlTest, VerbsNeedAPlanAKnownIdAndACurrentIfMatch) {
    NewVersion plain = planned(200);
    plain.rollout_plan.reset();
    const ReleaseVersion without = create(plain);
    EXPECT_EQ(apply_fails(without.id, RolloutVerb::Pause), ErrorCode::Conflict);
    EXPECT_EQ(apply_fails(without.id + 100, RolloutVerb::Pause), ErrorCode::NotFound);

    const ReleaseVersion v = create(planned(210));
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Pause, v.revision + 1), ErrorCode::PreconditionFailed);
    const RolloutView paused = apply(v.id, RolloutVerb::Pause, v.revision);
    EXPECT_EQ(paused.version.revision, v.revision + 1);
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Resume, v.revision), ErrorCode::PreconditionFailed);
}

TEST_F(RolloutControlTest, RolloutPercentWhileAPlanRunsIsAConflictAndAllowedOncePaused) {
    const ReleaseVersion v = create(planned(210));
    VersionPatch patch;
    patch.rollout_percent = 60;
    auto refused = service_.patch(v.id, patch, std::nullopt);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::Conflict);
    EXPECT_EQ(repo_.get(v.id)->rollout_percent, 5);

    apply(v.id, RolloutVerb::Pause);
    auto patched = service_.patch(v.id, patch, std::nullopt);
    ASSERT_TRUE(patched.ok()) << patched.error().message;
    EXPECT_EQ(patched->rollout_percent, 60);
}

TEST_F(RolloutControlTest, PatchingAPlanRestartsItTheSamePlanIsANoOpAndNullRemovesIt) {
    const ReleaseVersion v = create(planned(210));
    apply(v.id, RolloutVerb::Advance);  // at 25

    VersionPatch same;
    same.rollout_plan = plan({5, 25, 100});
    auto unchanged = service_.patch(v.id, same, std::nullopt);
    ASSERT_TRUE(unchanged.ok());
    EXPECT_EQ(unchanged->rollout_percent, 25);
    EXPECT_EQ(repo_.list_rollout_decisions(v.id, 10)->size(), 2u);

    clock_.advance(2h);
    VersionPatch other;
    other.rollout_plan = plan({10, 100});
    other.actor = "bob";
    auto restarted = service_.patch(v.id, other, std::nullopt);
    ASSERT_TRUE(restarted.ok());
    EXPECT_EQ(restarted->rollout_percent, 10);
    EXPECT_EQ(restarted->rollout_progress.state, RolloutState::Running);
    EXPECT_EQ(restarted->rollout_progress.last_step_at, kT0 + 2h);
    const auto decisions = repo_.list_rollout_decisions(v.id, 10);
    ASSERT_EQ(decisions->size(), 3u);
    EXPECT_EQ(decisions->front().action, RolloutAction::Start);
    EXPECT_EQ(decisions->front().from, 25);
    EXPECT_EQ(decisions->front().by, "bob");

    VersionPatch removed;
    removed.rollout_plan = std::optional<RolloutPlan>{};
    auto plain = service_.patch(v.id, removed, std::nullopt);
    ASSERT_TRUE(plain.ok());
    EXPECT_FALSE(plain->rollout_plan);
    EXPECT_EQ(plain->rollout_percent, 10);  // where the plan left it
    EXPECT_EQ(apply_fails(v.id, RolloutVerb::Pause), ErrorCode::Conflict);
}

TEST_F(RolloutControlTest, RunningListsTheEnabledVersionsWhosePlanRuns) {
    const ReleaseVersion running = create(planned(210));
    const ReleaseVersion paused = create(planned(220));
    apply(paused.id, RolloutVerb::Pause);
    NewVersion off = planned(230);
    off.is_enabled = false;
    create(off);
    NewVersion plain = planned(240);
    plain.rollout_plan.reset();
    create(plain);
    auto listed = control_.running();
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ(listed->front().id, running.id);
}

TEST_F(RolloutControlTest, AHaltRecordedByTheJobStopsTheOfferAtOnceAndResumeRestoresIt) {
    create(planned(210, {50, 100}));
    auto running = control_.running();
    ASSERT_TRUE(running.ok());
    ASSERT_EQ(running->size(), 1u);
    const ReleaseVersion v = running->front();
    const int before = offered_to(210);
    EXPECT_GT(before, 100);  // about half of 400
    EXPECT_LT(before, 300);

    clock_.advance(1min);
    auto halt = tick_plan(*v.rollout_plan,
                          v.rollout_progress,
                          v.rollout_percent,
                          RolloutHealth::Unhealthy,
                          "crash-free sessions 0.9 below 0.98",
                          R"({"verdict":"unhealthy"})",
                          clock_.now());
    ASSERT_TRUE(halt);
    auto recorded = control_.record(v, *halt);
    ASSERT_TRUE(recorded.ok());
    ASSERT_TRUE(*recorded);
    EXPECT_EQ((*recorded)->action, RolloutAction::Halt);
    EXPECT_TRUE(repo_.get(v.id)->is_halted());
    EXPECT_EQ(offered_to(210), 0);  // no one, without waiting for a refresh

    // The job's view was stale by now: recording again writes nothing.
    auto stale = control_.record(v, *halt);
    ASSERT_TRUE(stale.ok());
    EXPECT_FALSE(*stale);
    EXPECT_EQ(repo_.list_rollout_decisions(v.id, 10)->size(), 2u);
    EXPECT_TRUE(control_.running()->empty());

    apply(v.id, RolloutVerb::Resume);
    EXPECT_EQ(offered_to(210), before);  // the same installs: buckets are sticky
    EXPECT_EQ(delivered_types(), (std::vector<std::string>{"rollout.started", "rollout.halted", "rollout.resumed"}));
}

TEST_F(RolloutControlTest, AForcedHaltedVersionIsOfferedToNoOne) {
    NewVersion forced = planned(210, {50, 100});
    forced.is_force_update = true;
    create(forced);
    const ReleaseVersion v = control_.running()->front();
    auto halt = tick_plan(
        *v.rollout_plan, v.rollout_progress, v.rollout_percent, RolloutHealth::Unhealthy, "crashes", "", clock_.now());
    ASSERT_TRUE(halt);
    ASSERT_TRUE(control_.record(v, *halt).ok());
    EXPECT_EQ(offered_to(210), 0);
}

TEST_F(RolloutControlTest, WithoutAWebhookURLDecisionsAreStoredWithoutDeliveries) {
    ReleaseServiceOptions o = options();
    o.webhooks = false;
    MemoryVersionRepository repo;
    ReleaseService service(repo, store_, clock_, o);
    RolloutControl control(repo, service, clock_, /*webhooks=*/false);
    auto v = service.create(planned(210));
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(control.apply(v->id, RolloutVerb::Pause, std::nullopt, "").ok());
    const auto decisions = repo.list_rollout_decisions(v->id, 10);
    ASSERT_EQ(decisions->size(), 2u);
    EXPECT_EQ(decisions->front().by, kUnnamedAdmin);  // no subject on the token
    EXPECT_TRUE(repo.deliveries_for_test().empty());
}

}  // namespace
}  // namespace beacon::releases
