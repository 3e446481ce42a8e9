#include "releases/update_check.hpp"

#include <chrono>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "releases/rollout.hpp"

namespace beacon::releases {
namespace {

using namespace std::chrono_literals;

// The checks' "now"; versions are released at the epoch unless a test says otherwise.
const TimePoint kNow = from_epoch_ms(1'795'593'600'000);  // 2026-11-25T08:00:00Z

ReleaseVersion version(std::int64_t id, std::int64_t code) {
    ReleaseVersion v;
    v.id = id;
    v.platform = Platform::Android;
    v.channel = "stable";
    v.version_code = code;
    v.version_name = std::to_string(code);
    v.external_url = "https://example.com/app/" + std::to_string(code);
    return v;
}

ReleaseVersion with_artifact(ReleaseVersion v) {
    v.external_url.reset();
    v.artifact =
        Artifact{"android/x.apk", "app.apk", 10, std::string(64, 'a'), "application/vnd.android.package-archive", {}};
    return v;
}

ReleaseVersion draft(ReleaseVersion v) {
    v.external_url.reset();
    v.artifact.reset();
    return v;
}

// Runs both forms of the rule and checks that they agree.
UpdateDecision check(const std::vector<ReleaseVersion>& catalog,
                     std::int64_t current,
                     std::optional<std::string_view> install_id = std::nullopt,
                     Platform platform = Platform::Android,
                     std::string_view channel = "stable",
                     TimePoint now = kNow) {
    const UpdateDecision scan = decide_update(catalog, platform, channel, current, install_id, now);
    const UpdateIndex index(catalog);
    const UpdateDecision indexed = index.decide(platform, channel, current, install_id, now);
    EXPECT_EQ(scan.need_update, indexed.need_update);
    EXPECT_EQ(scan.force_update, indexed.force_update);
    EXPECT_EQ(scan.latest == nullptr, indexed.latest == nullptr);
    if (scan.latest != nullptr && indexed.latest != nullptr) {
        EXPECT_EQ(scan.latest->id, indexed.latest->id);
    }
    EXPECT_EQ(scan.latest == nullptr, !scan.need_update);
    return scan;
}

// An install id whose bucket for `version_id` is (below / at or above) `p`.
std::string install_with_bucket(std::int64_t version_id, int p, bool below) {
    for (int i = 0;; ++i) {
        std::string id = "install-" + std::to_string(i);
        if ((rollout_bucket(id, version_id) < p) == below) {
            return id;
        }
    }
}

TEST(ReleasePlatform, ParsesAnyCaseAndPrintsLowerCase) {
    EXPECT_EQ(parse_platform("android"), Platform::Android);
    EXPECT_EQ(parse_platform("iOS"), Platform::Ios);
    EXPECT_EQ(parse_platform("ANDROID"), Platform::Android);
    EXPECT_EQ(parse_platform("web"), std::nullopt);
    EXPECT_EQ(parse_platform(""), std::nullopt);
    EXPECT_EQ(to_string(Platform::Ios), "ios");
    EXPECT_EQ(to_string(Platform::Android), "android");
}

TEST(UpdateCheck, NoVersionsMeansNoUpdate) {
    const UpdateDecision d = check({}, 100);
    EXPECT_FALSE(d.need_update);
    EXPECT_FALSE(d.force_update);
    EXPECT_EQ(d.latest, nullptr);
}

TEST(UpdateCheck, OffersTheHighestCodeAboveCurrent) {
    const std::vector<ReleaseVersion> c = {version(1, 200), version(2, 220), with_artifact(version(3, 210))};
    const UpdateDecision d = check(c, 200);
    EXPECT_TRUE(d.need_update);
    EXPECT_FALSE(d.force_update);
    ASSERT_NE(d.latest, nullptr);
    EXPECT_EQ(d.latest->id, 2);
}

TEST(UpdateCheck, OnlyCodesStrictlyAboveCurrent) {
    const std::vector<ReleaseVersion> c = {version(1, 200)};
    EXPECT_FALSE(check(c, 200).need_update);
    EXPECT_FALSE(check(c, 201).need_update);
    EXPECT_TRUE(check(c, 199).need_update);
    EXPECT_TRUE(check(c, 0).need_update);
}

TEST(UpdateCheck, IgnoresOtherPlatformsChannelsAndDisabledVersions) {
    ReleaseVersion ios = version(1, 300);
    ios.platform = Platform::Ios;
    ReleaseVersion beta = version(2, 300);
    beta.channel = "beta";
    ReleaseVersion disabled = version(3, 300);
    disabled.is_enabled = false;
    disabled.is_force_update = true;
    const std::vector<ReleaseVersion> c = {ios, beta, disabled, version(4, 250)};
    const UpdateDecision d = check(c, 200);
    ASSERT_TRUE(d.need_update);
    EXPECT_EQ(d.latest->id, 4);
    EXPECT_FALSE(d.force_update);  // the disabled forced version does not count
    EXPECT_EQ(check(c, 200, std::nullopt, Platform::Ios).latest->id, 1);
    EXPECT_EQ(check(c, 200, std::nullopt, Platform::Android, "beta").latest->id, 2);
    EXPECT_FALSE(check(c, 200, std::nullopt, Platform::Android, "nightly").need_update);
}

TEST(UpdateCheck, DraftIsNeverOfferedEvenIfForced) {
    ReleaseVersion d1 = draft(version(1, 300));
    d1.is_force_update = true;
    d1.min_supported_version_code = 299;
    const std::vector<ReleaseVersion> c = {d1, version(2, 250)};
    const UpdateDecision d = check(c, 200);
    ASSERT_TRUE(d.need_update);
    EXPECT_EQ(d.latest->id, 2);
    EXPECT_FALSE(d.force_update);
    EXPECT_FALSE(check({d1}, 200).need_update);
}

TEST(UpdateCheck, ArtifactOrExternalUrlMakesAVersionOfferable) {
    EXPECT_TRUE(check({with_artifact(version(1, 300))}, 200).need_update);
    EXPECT_TRUE(check({version(1, 300)}, 200).need_update);
}

TEST(UpdateCheck, AnyForcedCandidateForcesTheUpdate) {
    ReleaseVersion forced = version(1, 210);
    forced.is_force_update = true;
    const std::vector<ReleaseVersion> c = {forced, version(2, 220)};
    const UpdateDecision d = check(c, 200);
    EXPECT_TRUE(d.force_update);
    EXPECT_EQ(d.latest->id, 2);  // latest is still the highest
    // Past the forced version, nothing is forced any more.
    const UpdateDecision past = check(c, 210);
    EXPECT_TRUE(past.need_update);
    EXPECT_FALSE(past.force_update);
}

TEST(UpdateCheck, BelowLatestMinSupportedForces) {
    ReleaseVersion v = version(1, 300);
    v.min_supported_version_code = 250;
    EXPECT_TRUE(check({v}, 249).force_update);
    EXPECT_FALSE(check({v}, 250).force_update);
    EXPECT_FALSE(check({v}, 260).force_update);
}

TEST(UpdateCheck, MinSupportedIsReadFromLatestOnly) {
    ReleaseVersion older = version(1, 250);
    older.min_supported_version_code = 240;
    const std::vector<ReleaseVersion> c = {older, version(2, 300)};
    // The latest (300) has no minimum, so being below 250's minimum does not force.
    EXPECT_FALSE(check(c, 230).force_update);
}

TEST(UpdateCheck, PartialRolloutWithoutInstallIdCoversNobody) {
    ReleaseVersion staged = version(1, 300);
    staged.rollout_percent = 99;
    const std::vector<ReleaseVersion> c = {staged, version(2, 250)};
    const UpdateDecision d = check(c, 200);
    ASSERT_TRUE(d.need_update);
    EXPECT_EQ(d.latest->id, 2);
    EXPECT_FALSE(check({staged}, 200).need_update);
}

TEST(UpdateCheck, PartialRolloutCoversInstallsBelowThePercent) {
    ReleaseVersion staged = version(1, 300);
    staged.rollout_percent = 30;
    const std::vector<ReleaseVersion> c = {staged, version(2, 250)};
    const std::string in = install_with_bucket(1, 30, true);
    const std::string out = install_with_bucket(1, 30, false);
    EXPECT_EQ(check(c, 200, in).latest->id, 1);
    EXPECT_EQ(check(c, 200, out).latest->id, 2);
}

TEST(UpdateCheck, ZeroPercentCoversNobodyUnlessForced) {
    ReleaseVersion paused = version(1, 300);
    paused.rollout_percent = 0;
    EXPECT_FALSE(check({paused}, 200, "install-0001").need_update);
    paused.is_force_update = true;
    const UpdateDecision d = check({paused}, 200);
    EXPECT_TRUE(d.need_update);
    EXPECT_TRUE(d.force_update);
}

TEST(UpdateCheck, ForcedVersionCoversRegardlessOfRollout) {
    ReleaseVersion forced = version(1, 300);
    forced.rollout_percent = 10;
    forced.is_force_update = true;
    const std::string out = install_with_bucket(1, 10, false);
    const std::vector<ReleaseVersion> c = {forced, version(2, 250)};
    for (const auto& id : {std::optional<std::string_view>{}, std::optional<std::string_view>{out}}) {
        const UpdateDecision d = check(c, 200, id);
        ASSERT_TRUE(d.need_update);
        EXPECT_EQ(d.latest->id, 1);
        EXPECT_TRUE(d.force_update);
    }
}

TEST(UpdateCheck, ForcedVersionBelowAStagedOneStillForces) {
    // A staged, unforced version above a forced one: the client outside the
    // rollout gets the forced one as latest; inside, the staged one, still forced.
    ReleaseVersion forced = version(1, 210);
    forced.is_force_update = true;
    ReleaseVersion staged = version(2, 220);
    staged.rollout_percent = 50;
    const std::vector<ReleaseVersion> c = {forced, staged};
    const UpdateDecision outside = check(c, 200, install_with_bucket(2, 50, false));
    EXPECT_EQ(outside.latest->id, 1);
    EXPECT_TRUE(outside.force_update);
    const UpdateDecision inside = check(c, 200, install_with_bucket(2, 50, true));
    EXPECT_EQ(inside.latest->id, 2);
    EXPECT_TRUE(inside.force_update);
}

ReleaseVersion aging(std::int64_t id, std::int64_t code, int days, TimePoint released) {
    ReleaseVersion v = version(id, code);
    v.force_after_days = days;
    v.released_at = released;
    return v;
}

TEST(UpdateCheck, ForceAfterDaysForcesFromExactlyThatManyDaysAfterRelease) {
    const TimePoint released = kNow - 3 * 24h;
    const std::vector<ReleaseVersion> c = {aging(1, 210, 3, released)};
    EXPECT_TRUE(check(c, 200, std::nullopt, Platform::Android, "stable", kNow).force_update) << "exactly 3 days";
    EXPECT_TRUE(check(c, 200, std::nullopt, Platform::Android, "stable", kNow + 1ms).force_update);
    const UpdateDecision before = check(c, 200, std::nullopt, Platform::Android, "stable", kNow - 1ms);
    EXPECT_TRUE(before.need_update);
    EXPECT_FALSE(before.force_update) << "one millisecond before";
    EXPECT_FALSE(check({version(1, 210)}, 200, std::nullopt, Platform::Android, "stable", kNow + 9999h).force_update)
        << "without forceAfterDays age never forces";
}

TEST(UpdateCheck, AStaleVersionForcesWhenItIsACandidateEvenIfNotLatest) {
    const std::vector<ReleaseVersion> c = {aging(1, 210, 1, kNow - 48h), version(2, 220)};
    const UpdateDecision d = check(c, 200);
    EXPECT_EQ(d.latest->id, 2);
    EXPECT_TRUE(d.force_update) << "a skipped stale version forces";
    EXPECT_FALSE(check(c, 210).force_update) << "only versions above the client";
}

TEST(UpdateCheck, AStaleVersionThatDoesNotCoverTheInstallDoesNotForce) {
    ReleaseVersion staged = aging(1, 210, 1, kNow - 48h);
    staged.rollout_percent = 30;
    const std::vector<ReleaseVersion> c = {staged, version(2, 205)};
    const std::string out = install_with_bucket(1, 30, false);
    const std::string in = install_with_bucket(1, 30, true);
    EXPECT_FALSE(check(c, 200, out).force_update);
    EXPECT_EQ(check(c, 200, out).latest->id, 2);
    EXPECT_TRUE(check(c, 200, in).force_update);
    EXPECT_FALSE(check(c, 200).force_update) << "without installId a staged version covers nobody";
}

TEST(UpdateCheck, DisabledOrDraftStaleVersionsDoNotForce) {
    ReleaseVersion off = aging(1, 210, 1, kNow - 48h);
    off.is_enabled = false;
    EXPECT_FALSE(check({off, version(2, 205)}, 200).force_update);
    EXPECT_FALSE(check({draft(aging(1, 210, 1, kNow - 48h)), version(2, 205)}, 200).force_update);
}

TEST(UpdateCheck, IndexAgreesWithTheScanOnRandomCatalogs) {
    std::mt19937 rng(12345);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    for (int round = 0; round < 300; ++round) {
        std::vector<ReleaseVersion> c;
        const int n = pick(12);
        for (int i = 0; i < n; ++i) {
            ReleaseVersion v = version(i + 1, 100 + pick(40));
            v.platform = pick(4) == 0 ? Platform::Ios : Platform::Android;
            v.channel = pick(4) == 0 ? "beta" : "stable";
            v.is_enabled = pick(5) != 0;
            v.is_force_update = pick(5) == 0;
            v.rollout_percent = std::array{0, 5, 50, 100, 100}[static_cast<std::size_t>(pick(5))];
            if (pick(3) == 0) {
                v.min_supported_version_code = 100 + pick(40);
            }
            if (pick(3) == 0) {
                v.force_after_days = 1 + pick(3);
                v.released_at = kNow - std::chrono::hours(pick(96));
            }
            if (pick(6) == 0) {
                v = draft(v);
            } else if (pick(2) == 0) {
                v = with_artifact(v);
            }
            c.push_back(v);
        }
        for (int current : {0, 110, 120, 130, 150}) {
            const std::string id = "install-" + std::to_string(pick(1000));
            check(c, current, id);
            check(c, current);
            check(c, current, id, Platform::Ios, "beta");
        }
    }
}

}  // namespace
}  // namespace beacon::releases
