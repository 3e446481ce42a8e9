#include "version_repository_contract.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "webhooks/delivery.hpp"

namespace beacon::contract {
namespace {

using namespace std::chrono_literals;
using releases::Artifact;
using releases::ArtifactRecord;
using releases::DetectedPackage;
using releases::Platform;
using releases::ReleaseVersion;
using releases::RolloutAction;
using releases::RolloutDecision;
using releases::RolloutPlan;
using releases::RolloutRecord;
using releases::RolloutState;
using releases::VersionCursor;
using releases::VersionFilter;
using releases::VersionPage;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25, mid-morning UTC

std::string sha_of(char c) {
    return std::string(64, c);
}

ArtifactRecord artifact(char c, std::optional<DetectedPackage> detected = std::nullopt, TimePoint at = kT0) {
    ArtifactRecord r;
    r.artifact.key = "android/" + sha_of(c) + ".apk";
    r.artifact.file_name = std::string("app-") + c + ".apk";
    r.artifact.file_size = 48'211'331;
    r.artifact.sha256 = sha_of(c);
    r.artifact.content_type = "application/vnd.android.package-archive";
    r.artifact.package_name = "com.example.app";
    r.detected = std::move(detected);
    r.created_at = at;
    return r;
}

ReleaseVersion version(std::int64_t code,
                       Platform platform = Platform::Android,
                       std::string channel = "stable",
                       TimePoint at = kT0) {
    ReleaseVersion v;
    v.platform = platform;
    v.channel = std::move(channel);
    v.version_code = code;
    v.version_name = "v" + std::to_string(code);
    v.external_url = "https://example.com/app/" + std::to_string(code);
    v.released_at = at;
    v.created_at = at;
    v.updated_at = at;
    return v;
}

template <typename T>
T must(Result<T> r, const char* what) {
    EXPECT_TRUE(r.ok()) << what << ": " << (r.ok() ? "" : r.error().message);
    if (!r.ok()) {
        return T{};
    }
    return std::move(r).value();
}

ReleaseVersion create(releases::VersionRepository& repo, const ReleaseVersion& v) {
    return must(repo.create(v), "create");
}

std::int64_t revision(releases::VersionRepository& repo) {
    return must(repo.catalog_revision(), "catalog_revision");
}

void expect_same_version(const ReleaseVersion& a, const ReleaseVersion& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.platform, b.platform);
    EXPECT_EQ(a.channel, b.channel);
    EXPECT_EQ(a.version_code, b.version_code);
    EXPECT_EQ(a.version_name, b.version_name);
    EXPECT_EQ(a.changelog, b.changelog);
    EXPECT_EQ(a.is_force_update, b.is_force_update);
    EXPECT_EQ(a.is_enabled, b.is_enabled);
    EXPECT_EQ(a.min_supported_version_code, b.min_supported_version_code);
    EXPECT_EQ(a.rollout_percent, b.rollout_percent);
    EXPECT_EQ(a.force_after_days, b.force_after_days);
    EXPECT_EQ(a.rollout_plan, b.rollout_plan);
    if (a.rollout_plan && b.rollout_plan) {
        EXPECT_EQ(a.rollout_progress.state, b.rollout_progress.state);
        EXPECT_EQ(a.rollout_progress.last_step_at, b.rollout_progress.last_step_at);
    }
    ASSERT_EQ(a.artifact.has_value(), b.artifact.has_value());
    if (a.artifact) {
        EXPECT_EQ(a.artifact->key, b.artifact->key);
        EXPECT_EQ(a.artifact->file_name, b.artifact->file_name);
        EXPECT_EQ(a.artifact->file_size, b.artifact->file_size);
        EXPECT_EQ(a.artifact->sha256, b.artifact->sha256);
        EXPECT_EQ(a.artifact->content_type, b.artifact->content_type);
        EXPECT_EQ(a.artifact->package_name, b.artifact->package_name);
    }
    EXPECT_EQ(a.external_url, b.external_url);
    EXPECT_EQ(a.released_at, b.released_at);
    EXPECT_EQ(a.created_at, b.created_at);
    EXPECT_EQ(a.updated_at, b.updated_at);
    EXPECT_EQ(a.revision, b.revision);
}

// --- create / get -------------------------------------------------------------

TEST_P(VersionRepositoryContract, CreateThenGetRoundTripsEveryField) {
    ASSERT_TRUE(repo().put_artifact(artifact('a')).ok());
    ReleaseVersion v = version(210);
    v.version_name = "2.1.0 \xE2\x9C\x93";
    v.changelog = "Fixes.\nMore fixes: \"quoted\" and 'single'.";
    v.is_force_update = true;
    v.is_enabled = false;
    v.min_supported_version_code = 150;
    v.rollout_percent = 25;
    v.force_after_days = 3650;
    v.external_url.reset();
    v.artifact = artifact('a').artifact;
    v.released_at = kT0 - 1h;
    v.created_at = kT0;
    v.updated_at = kT0;
    const ReleaseVersion stored = create(repo(), v);
    EXPECT_GT(stored.id, 0);
    EXPECT_EQ(stored.revision, 1);
    ReleaseVersion expected = v;
    expected.id = stored.id;
    expected.revision = 1;
    expect_same_version(stored, expected);
    expect_same_version(must(repo().get(stored.id), "get"), expected);

    // Optional fields absent, on the other platform and a custom channel.
    ReleaseVersion plain = version(7, Platform::Ios, "beta-2");
    plain.external_url.reset();  // a draft
    const ReleaseVersion p = create(repo(), plain);
    const ReleaseVersion got = must(repo().get(p.id), "get");
    EXPECT_EQ(got.platform, Platform::Ios);
    EXPECT_EQ(got.channel, "beta-2");
    EXPECT_FALSE(got.changelog);
    EXPECT_FALSE(got.min_supported_version_code);
    EXPECT_FALSE(got.force_after_days);
    EXPECT_FALSE(got.artifact);
    EXPECT_FALSE(got.external_url);
    EXPECT_TRUE(got.is_draft());
}

TEST_P(VersionRepositoryContract, StoresForceAfterDaysAndClearsIt) {
    ReleaseVersion v = version(300);
    v.force_after_days = 1;
    const ReleaseVersion stored = create(repo(), v);
    EXPECT_EQ(stored.force_after_days, 1);
    EXPECT_EQ(must(repo().get(stored.id), "get").force_after_days, 1);

    ReleaseVersion changed = stored;
    changed.force_after_days = 30;
    EXPECT_EQ(must(repo().update(changed, 1), "update").force_after_days, 30);
    EXPECT_EQ(must(repo().get(stored.id), "get").force_after_days, 30);
    const auto catalog = must(repo().load_catalog(), "load_catalog");
    ASSERT_EQ(catalog.enabled_versions.size(), 1u);
    EXPECT_EQ(catalog.enabled_versions[0].force_after_days, 30) << "the update check's snapshot carries it";

    changed.force_after_days.reset();
    EXPECT_FALSE(must(repo().update(changed, 2), "update").force_after_days);
    EXPECT_FALSE(must(repo().get(stored.id), "get").force_after_days);
    const auto page = must(repo().list({}, 10, std::nullopt), "list");
    ASSERT_EQ(page.versions.size(), 1u);
    EXPECT_FALSE(page.versions[0].force_after_days);
}

TEST_P(VersionRepositoryContract, IdsAreDistinctAndNeverReused) {
    const ReleaseVersion a = create(repo(), version(1));
    const ReleaseVersion b = create(repo(), version(2));
    EXPECT_NE(a.id, b.id);
    ASSERT_TRUE(repo().remove(b.id, std::nullopt, kT0).ok());
    const ReleaseVersion c = create(repo(), version(2));
    EXPECT_NE(c.id, a.id);
    EXPECT_NE(c.id, b.id);
}

TEST_P(VersionRepositoryContract, GetUnknownIdIsNotFound) {
    auto r = repo().get(424242);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
}

TEST_P(VersionRepositoryContract, DuplicatePlatformChannelAndCodeIsConflict) {
    create(repo(), version(210));
    const std::int64_t before = revision(repo());
    auto dup = repo().create(version(210));
    ASSERT_FALSE(dup.ok());
    EXPECT_EQ(dup.error().code, ErrorCode::Conflict);
    EXPECT_EQ(revision(repo()), before);
    // Any one of the three differing is another version.
    EXPECT_TRUE(repo().create(version(210, Platform::Ios)).ok());
    EXPECT_TRUE(repo().create(version(210, Platform::Android, "beta")).ok());
    EXPECT_TRUE(repo().create(version(211)).ok());
    auto page = must(repo().list({}, 50, std::nullopt), "list");
    EXPECT_EQ(page.versions.size(), 4u);
}

TEST_P(VersionRepositoryContract, CreateWithUnknownArtifactIsUnprocessableAndStoresNothing) {
    ReleaseVersion v = version(210);
    v.external_url.reset();
    v.artifact = artifact('z').artifact;
    const std::int64_t before = revision(repo());
    auto r = repo().create(v);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);
    EXPECT_EQ(revision(repo()), before);
    EXPECT_TRUE(must(repo().list({}, 50, std::nullopt), "list").versions.empty());
}

// --- update -------------------------------------------------------------------

TEST_P(VersionRepositoryContract, UpdateWithCurrentRevisionReplacesFieldsAndBumpsRevision) {
    const ReleaseVersion v = create(repo(), version(210));
    ReleaseVersion changed = v;
    changed.version_name = "2.1.0-hotfix";
    changed.changelog = "hotfix";
    changed.is_enabled = false;
    changed.rollout_percent = 50;
    changed.min_supported_version_code = 100;
    changed.updated_at = kT0 + 5min;
    changed.created_at = kT0 + 99h;  // ignored: created_at never changes
    changed.revision = 77;           // ignored: the repository counts
    const ReleaseVersion stored = must(repo().update(changed, 1), "update");
    EXPECT_EQ(stored.revision, 2);
    EXPECT_EQ(stored.version_name, "2.1.0-hotfix");
    EXPECT_EQ(stored.changelog, "hotfix");
    EXPECT_FALSE(stored.is_enabled);
    EXPECT_EQ(stored.rollout_percent, 50);
    EXPECT_EQ(stored.min_supported_version_code, 100);
    EXPECT_EQ(stored.updated_at, kT0 + 5min);
    EXPECT_EQ(stored.created_at, kT0);
    expect_same_version(must(repo().get(v.id), "get"), stored);

    changed.updated_at = kT0 + 6min;
    const ReleaseVersion third = must(repo().update(changed, 2), "update");
    EXPECT_EQ(third.revision, 3);
    EXPECT_EQ(third.updated_at, kT0 + 6min);
}

TEST_P(VersionRepositoryContract, UpdateWithStaleRevisionIsPreconditionFailedAndChangesNothing) {
    const ReleaseVersion v = create(repo(), version(210));
    ReleaseVersion changed = v;
    changed.version_name = "first";
    changed.updated_at = kT0 + 1min;
    ASSERT_TRUE(repo().update(changed, 1).ok());
    const std::int64_t before = revision(repo());

    changed.version_name = "second";
    changed.updated_at = kT0 + 2min;
    for (std::int64_t stale : {std::int64_t{1}, std::int64_t{3}, std::int64_t{0}}) {
        auto r = repo().update(changed, stale);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::PreconditionFailed) << stale;
    }
    const ReleaseVersion got = must(repo().get(v.id), "get");
    EXPECT_EQ(got.version_name, "first");
    EXPECT_EQ(got.revision, 2);
    EXPECT_EQ(got.updated_at, kT0 + 1min);
    EXPECT_EQ(revision(repo()), before);
}

TEST_P(VersionRepositoryContract, UpdateOfUnknownIdIsNotFound) {
    ReleaseVersion ghost = version(1);
    ghost.id = 9999;
    auto r = repo().update(ghost, 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
}

TEST_P(VersionRepositoryContract, UpdateOntoAnExistingKeyIsConflictAndChangesNothing) {
    create(repo(), version(210));
    const ReleaseVersion other = create(repo(), version(220));
    ReleaseVersion moved = other;
    moved.version_code = 210;
    auto r = repo().update(moved, other.revision);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Conflict);
    const ReleaseVersion got = must(repo().get(other.id), "get");
    EXPECT_EQ(got.version_code, 220);
    EXPECT_EQ(got.revision, 1);
}

TEST_P(VersionRepositoryContract, ConcurrentUpdatesFromOneRevisionLetExactlyOneWin) {
    const ReleaseVersion v = create(repo(), version(210));
    constexpr int kWriters = 8;
    std::atomic<int> won{0};
    std::atomic<int> stale{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < kWriters; ++i) {
        threads.emplace_back([&, i] {
            ReleaseVersion mine = v;
            mine.version_name = "writer-" + std::to_string(i);
            mine.updated_at = kT0 + std::chrono::minutes(i);
            auto r = repo().update(mine, 1);
            if (r.ok()) {
                ++won;
            } else if (r.error().code == ErrorCode::PreconditionFailed) {
                ++stale;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(won.load(), 1);
    EXPECT_EQ(stale.load(), kWriters - 1);
    EXPECT_EQ(must(repo().get(v.id), "get").revision, 2);
}

// --- list ---------------------------------------------------------------------

TEST_P(VersionRepositoryContract, ListIsHighestVersionCodeFirst) {
    for (std::int64_t code : {5, 300, 42, 1000, 7}) {
        create(repo(), version(code));
    }
    const VersionPage page = must(repo().list({}, 50, std::nullopt), "list");
    std::vector<std::int64_t> codes;
    for (const auto& v : page.versions) {
        codes.push_back(v.version_code);
    }
    EXPECT_EQ(codes, (std::vector<std::int64_t>{1000, 300, 42, 7, 5}));
    EXPECT_FALSE(page.next);
}

TEST_P(VersionRepositoryContract, EqualCodesAcrossChannelsOrderByIdDescending) {
    const ReleaseVersion a = create(repo(), version(100, Platform::Android, "a"));
    const ReleaseVersion b = create(repo(), version(100, Platform::Android, "b"));
    const ReleaseVersion c = create(repo(), version(100, Platform::Ios, "a"));
    const VersionPage first = must(repo().list({}, 2, std::nullopt), "list");
    ASSERT_EQ(first.versions.size(), 2u);
    EXPECT_EQ(first.versions[0].id, std::max({a.id, b.id, c.id}));
    ASSERT_TRUE(first.next);
    const VersionPage second = must(repo().list({}, 2, first.next), "list");
    ASSERT_EQ(second.versions.size(), 1u);
    EXPECT_EQ(second.versions[0].id, std::min({a.id, b.id, c.id}));
    EXPECT_FALSE(second.next);
}

// 120 versions over two platforms, three channels, some disabled, with codes
// that repeat across channels; every filter combination, paged in several
// page sizes, yields exactly the matching rows, in order, once each.
TEST_P(VersionRepositoryContract, CursorPagingOver120VersionsNeverRepeatsOrSkips) {
    const std::vector<std::string> channels = {"stable", "beta", "nightly"};
    std::vector<ReleaseVersion> all;
    for (int i = 0; i < 120; ++i) {
        ReleaseVersion v = version(1000 - (i / 3) * 7 % 200,  // repeats across the three channels
                                   i % 2 == 0 ? Platform::Android : Platform::Ios,
                                   channels[static_cast<std::size_t>(i % 3)]);
        v.is_enabled = i % 5 != 0;
        auto r = repo().create(v);
        if (!r.ok() && r.error().code == ErrorCode::Conflict) {
            continue;
        }
        all.push_back(must(std::move(r), "create"));
    }
    ASSERT_GE(all.size(), 100u);

    std::vector<VersionFilter> filters;
    for (std::optional<Platform> p :
         {std::optional<Platform>{}, std::optional(Platform::Android), std::optional(Platform::Ios)}) {
        for (std::optional<std::string> c : {std::optional<std::string>{}, std::optional<std::string>("beta")}) {
            for (std::optional<bool> e : {std::optional<bool>{}, std::optional(true), std::optional(false)}) {
                filters.push_back(VersionFilter{p, c, e});
            }
        }
    }
    for (const VersionFilter& f : filters) {
        std::vector<std::pair<std::int64_t, std::int64_t>> expected;  // (code, id), listing order
        for (const auto& v : all) {
            if ((!f.platform || v.platform == *f.platform) && (!f.channel || v.channel == *f.channel) &&
                (!f.is_enabled || v.is_enabled == *f.is_enabled)) {
                expected.emplace_back(v.version_code, v.id);
            }
        }
        std::sort(expected.rbegin(), expected.rend());
        for (int limit : {1, 7, 50, 500}) {
            std::vector<std::pair<std::int64_t, std::int64_t>> seen;
            std::optional<VersionCursor> cursor;
            int pages = 0;
            do {
                const VersionPage page = must(repo().list(f, limit, cursor), "list");
                ASSERT_LE(page.versions.size(), static_cast<std::size_t>(limit));
                for (const auto& v : page.versions) {
                    seen.emplace_back(v.version_code, v.id);
                }
                if (page.next) {
                    ASSERT_FALSE(page.versions.empty());
                    EXPECT_EQ(page.next->version_code, page.versions.back().version_code);
                    EXPECT_EQ(page.next->id, page.versions.back().id);
                }
                cursor = page.next;
                ASSERT_LE(++pages, 200);
            } while (cursor);
            EXPECT_EQ(seen, expected) << "limit " << limit;
        }
    }
}

TEST_P(VersionRepositoryContract, RowsWrittenBetweenPagesNeitherRepeatNorSkipExistingOnes) {
    std::set<std::int64_t> existing;
    for (int i = 0; i < 30; ++i) {
        existing.insert(create(repo(), version(100 + i * 10)).id);
    }
    std::set<std::int64_t> seen;
    std::optional<VersionCursor> cursor;
    int inserted = 0;
    do {
        const VersionPage page = must(repo().list({}, 4, cursor), "list");
        for (const auto& v : page.versions) {
            EXPECT_TRUE(seen.insert(v.id).second) << "repeated id " << v.id;
        }
        // New rows above and below the cursor, and between existing codes.
        create(repo(), version(10'000 + inserted));
        create(repo(), version(1 + inserted));
        create(repo(), version(105 + inserted * 10));
        ++inserted;
        cursor = page.next;
    } while (cursor);
    for (std::int64_t id : existing) {
        EXPECT_TRUE(seen.count(id) == 1) << "skipped id " << id;
    }
}

// --- remove -------------------------------------------------------------------

TEST_P(VersionRepositoryContract, RemoveDeletesAndReturnsTheVersion) {
    const ReleaseVersion v = create(repo(), version(210));
    const ReleaseVersion gone = must(repo().remove(v.id, std::nullopt, kT0), "remove");
    EXPECT_EQ(gone.id, v.id);
    EXPECT_EQ(gone.version_code, 210);
    EXPECT_EQ(repo().get(v.id).error().code, ErrorCode::NotFound);
    auto again = repo().remove(v.id, std::nullopt, kT0);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::NotFound);
    // The key is free again.
    EXPECT_TRUE(repo().create(version(210)).ok());
}

TEST_P(VersionRepositoryContract, RemoveWithRevisionChecksIt) {
    const ReleaseVersion v = create(repo(), version(210));
    ReleaseVersion changed = v;
    changed.updated_at = kT0 + 1s;
    ASSERT_TRUE(repo().update(changed, 1).ok());
    auto stale = repo().remove(v.id, 1, kT0);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().code, ErrorCode::PreconditionFailed);
    EXPECT_TRUE(repo().get(v.id).ok());
    EXPECT_TRUE(repo().remove(v.id, 2, kT0).ok());
    EXPECT_EQ(repo().get(v.id).error().code, ErrorCode::NotFound);
    auto missing = repo().remove(v.id, 2, kT0);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

// --- catalog revision ---------------------------------------------------------

TEST_P(VersionRepositoryContract, CatalogRevisionChangesOnEveryVersionWriteAndOnlyThen) {
    std::set<std::int64_t> revisions;
    auto changed = [&](const char* step) {
        EXPECT_TRUE(revisions.insert(revision(repo())).second) << "unchanged after " << step;
    };
    changed("start");
    const ReleaseVersion v = create(repo(), version(210));
    changed("create");
    ReleaseVersion u = v;
    u.is_enabled = false;
    u.updated_at = kT0 + 1s;
    ASSERT_TRUE(repo().update(u, 1).ok());
    changed("update");
    u.is_enabled = true;
    ASSERT_TRUE(repo().update(u, 2).ok());
    changed("second update");
    const ReleaseVersion w = create(repo(), version(220));
    changed("second create");
    ASSERT_TRUE(repo().remove(w.id, std::nullopt, kT0).ok());
    changed("remove");

    // Reads, failed writes and artifact writes leave it alone.
    const std::int64_t now = revision(repo());
    (void)repo().get(v.id);
    (void)repo().list({}, 10, std::nullopt);
    (void)repo().load_catalog();
    EXPECT_FALSE(repo().create(version(210)).ok());
    EXPECT_FALSE(repo().update(u, 1).ok());
    EXPECT_FALSE(repo().remove(v.id, 1, kT0).ok());
    ASSERT_TRUE(repo().put_artifact(artifact('a')).ok());
    EXPECT_EQ(revision(repo()), now);
}

TEST_P(VersionRepositoryContract, LoadCatalogHasTheEnabledVersionsAndTheirRevision) {
    const ReleaseVersion on = create(repo(), version(210));
    ReleaseVersion off = version(220);
    off.is_enabled = false;
    create(repo(), off);
    ReleaseVersion draft = version(230, Platform::Ios);
    draft.external_url.reset();
    const ReleaseVersion d = create(repo(), draft);
    const releases::CatalogSnapshot snapshot = must(repo().load_catalog(), "load_catalog");
    EXPECT_EQ(snapshot.revision, revision(repo()));
    std::set<std::int64_t> ids;
    for (const auto& v : snapshot.enabled_versions) {
        EXPECT_TRUE(v.is_enabled);
        ids.insert(v.id);
    }
    EXPECT_EQ(ids, (std::set<std::int64_t>{on.id, d.id}));
}

TEST_P(VersionRepositoryContract, VersionNamesPreferTheStableChannelThenTheFirstByName) {
    auto named = [](std::int64_t code, Platform p, std::string channel, std::string name) {
        ReleaseVersion v = version(code, p, std::move(channel));
        v.version_name = std::move(name);
        return v;
    };
    create(repo(), named(210, Platform::Android, "beta", "2.1.0-beta"));
    create(repo(), named(210, Platform::Android, "stable", "2.1.0"));
    create(repo(), named(200, Platform::Android, "nightly", "2.0.0-n"));
    create(repo(), named(200, Platform::Android, "beta", "2.0.0-b"));
    ReleaseVersion off = named(190, Platform::Android, "stable", "1.9.0");
    off.is_enabled = false;  // disabled versions are still the catalog's
    create(repo(), off);
    create(repo(), named(210, Platform::Ios, "stable", "ios-2.1"));
    const std::vector<std::int64_t> codes{210, 200, 190, 180};
    auto names = must(repo().version_names(Platform::Android, codes), "version_names");
    EXPECT_EQ(names, (std::map<std::int64_t, std::string>{{190, "1.9.0"}, {200, "2.0.0-b"}, {210, "2.1.0"}}));
    auto ios = must(repo().version_names(Platform::Ios, codes), "version_names");
    EXPECT_EQ(ios, (std::map<std::int64_t, std::string>{{210, "ios-2.1"}}));
    EXPECT_TRUE(must(repo().version_names(Platform::Ios, {}), "version_names").empty());
}

// --- rollout plans, decisions and their webhooks --------------------------------

RolloutPlan plan(std::vector<int> steps = {5, 25, 100}) {
    RolloutPlan p;
    p.steps = std::move(steps);
    p.step_every = "90m";
    p.step_every_s = 5400;
    p.min_sessions = 250;
    p.min_crash_free = 0.975;
    p.max_crash_free_drop = 0.0125;
    return p;
}

ReleaseVersion planned(std::int64_t code, RolloutState state = RolloutState::Running, TimePoint step_at = kT0) {
    ReleaseVersion v = version(code);
    v.rollout_plan = plan();
    v.rollout_percent = 5;
    v.rollout_progress = {state, step_at};
    return v;
}

RolloutDecision decision(RolloutAction action, int from, int to, TimePoint at, std::string health = "") {
    RolloutDecision d;
    d.at = at;
    d.action = action;
    d.from = from;
    d.to = to;
    d.by = action == RolloutAction::Pause ? "ci-bot \xE2\x9C\x93" : "schedule";
    d.reason = "because of \"quotes\" and\nlines";
    d.health_json = std::move(health);
    return d;
}

// A record whose webhook is made from the stored version, as ReleaseService's are.
RolloutRecord record(RolloutDecision d, std::string_view type = webhooks::kRolloutStarted) {
    RolloutRecord r{std::move(d), {}};
    r.webhook = [type = std::string(type),
                 at = r.decision.at](const ReleaseVersion& stored) -> Result<std::optional<webhooks::Delivery>> {
        boost::json::object data;
        data["versionId"] = stored.id;
        data["to"] = stored.rollout_percent;
        auto made = webhooks::make_delivery(type, webhooks::version_ordering_key(stored.id), data, at);
        if (!made) {
            return std::move(made).error();
        }
        return std::optional<webhooks::Delivery>(std::move(made).value());
    };
    return r;
}

RolloutRecord failing_record(RolloutDecision d) {
    return {std::move(d), [](const ReleaseVersion&) -> Result<std::optional<webhooks::Delivery>> {
                return make_error(ErrorCode::Internal, "the webhook could not be made");
            }};
}

std::vector<webhooks::Delivery> deliveries(const StoreInstance<releases::VersionRepository>& instance) {
    return instance.stored_deliveries ? instance.stored_deliveries() : std::vector<webhooks::Delivery>{};
}

void expect_same_decision(const RolloutDecision& got, const RolloutDecision& want) {
    EXPECT_EQ(got.at, want.at);
    EXPECT_EQ(got.action, want.action);
    EXPECT_EQ(got.from, want.from);
    EXPECT_EQ(got.to, want.to);
    EXPECT_EQ(got.by, want.by);
    EXPECT_EQ(got.reason, want.reason);
    EXPECT_EQ(got.health_json, want.health_json);
}

TEST_P(VersionRepositoryContract, APlanAndItsProgressRoundTripThroughEveryRead) {
    const ReleaseVersion plain = create(repo(), version(200));
    EXPECT_FALSE(plain.rollout_plan);
    const TimePoint step_at = kT0 + 37min;
    const ReleaseVersion stored = create(repo(), planned(210, RolloutState::Paused, step_at));
    ASSERT_TRUE(stored.rollout_plan);
    EXPECT_EQ(*stored.rollout_plan, plan());
    EXPECT_EQ(stored.rollout_progress.state, RolloutState::Paused);
    EXPECT_EQ(stored.rollout_progress.last_step_at, step_at);

    expect_same_version(must(repo().get(stored.id), "get"), stored);
    const VersionPage page = must(repo().list({}, 10, std::nullopt), "list");
    ASSERT_EQ(page.versions.size(), 2u);
    expect_same_version(page.versions[0], stored);
    const releases::CatalogSnapshot catalog = must(repo().load_catalog(), "load_catalog");
    bool seen = false;
    for (const auto& v : catalog.enabled_versions) {
        if (v.id == stored.id) {
            expect_same_version(v, stored);
            seen = true;
        } else {
            EXPECT_FALSE(v.rollout_plan);
        }
    }
    EXPECT_TRUE(seen);

    for (RolloutState state : {RolloutState::Running, RolloutState::Halted, RolloutState::Completed}) {
        ReleaseVersion next = must(repo().get(stored.id), "get");
        next.rollout_progress.state = state;
        next.rollout_progress.last_step_at += 1h;
        const ReleaseVersion updated = must(repo().update(next, next.revision), "update");
        EXPECT_EQ(must(repo().get(stored.id), "get").rollout_progress.state, state);
        expect_same_version(must(repo().get(stored.id), "get"), updated);
    }

    ReleaseVersion cleared = must(repo().get(stored.id), "get");
    cleared.rollout_plan.reset();
    must(repo().update(cleared, cleared.revision), "update");
    EXPECT_FALSE(must(repo().get(stored.id), "get").rollout_plan);
}

TEST_P(VersionRepositoryContract, CreateWithRolloutStoresTheVersionItsDecisionAndItsDelivery) {
    const std::int64_t before = revision(repo());
    const RolloutDecision start = decision(RolloutAction::Start, 0, 5, kT0);
    const ReleaseVersion stored = must(repo().create_with_rollout(planned(210), record(start)), "create_with_rollout");
    EXPECT_GT(stored.id, 0);
    EXPECT_EQ(stored.revision, 1);
    EXPECT_NE(revision(repo()), before);
    expect_same_version(must(repo().get(stored.id), "get"), stored);

    const auto decisions = must(repo().list_rollout_decisions(stored.id, 10), "list_rollout_decisions");
    ASSERT_EQ(decisions.size(), 1u);
    expect_same_decision(decisions[0], start);

    if (!instance().stored_deliveries) {
        GTEST_SKIP() << GetParam().name << " has no outbox to read back";
    }
    const auto sent = deliveries(instance());
    ASSERT_EQ(sent.size(), 1u);
    EXPECT_EQ(sent[0].type, webhooks::kRolloutStarted);
    EXPECT_EQ(sent[0].ordering_key, webhooks::version_ordering_key(stored.id));
    EXPECT_NE(sent[0].body.find("\"versionId\":" + std::to_string(stored.id)), std::string::npos) << sent[0].body;
    EXPECT_EQ(sent[0].status(), webhooks::DeliveryStatus::Pending);
}

TEST_P(VersionRepositoryContract, DecisionsListNewestFirstWithEveryFieldAndALimit) {
    const ReleaseVersion stored =
        must(repo().create_with_rollout(planned(210), record(decision(RolloutAction::Start, 0, 5, kT0))), "create");
    std::vector<RolloutDecision> want{decision(RolloutAction::Start, 0, 5, kT0)};
    ReleaseVersion current = stored;
    const struct {
        RolloutAction action;
        int to;
        std::chrono::minutes after;
        std::string health;
    } steps[] = {
        {RolloutAction::Advance, 25, 90min, R"({"verdict":"healthy","sessions":412})"},
        {RolloutAction::Pause, 25, 95min, ""},
        {RolloutAction::Resume, 25, 95min, ""},  // the same instant as the pause: stored order breaks the tie
        {RolloutAction::Halt, 25, 200min, R"({"verdict":"unhealthy","reasons":["crash-free sessions below 0.975"]})"},
    };
    for (const auto& step : steps) {
        ReleaseVersion next = current;
        const RolloutDecision d =
            decision(step.action, current.rollout_percent, step.to, kT0 + step.after, step.health);
        next.rollout_percent = step.to;
        next.updated_at = d.at;
        current = must(repo().update_with_rollout(next, current.revision, record(d, webhooks::kRolloutAdvanced)),
                       "update_with_rollout");
        want.push_back(d);
    }
    EXPECT_EQ(current.revision, 5);
    EXPECT_EQ(current.rollout_percent, 25);

    const auto all = must(repo().list_rollout_decisions(stored.id, 100), "list_rollout_decisions");
    ASSERT_EQ(all.size(), want.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        SCOPED_TRACE(i);
        expect_same_decision(all[i], want[want.size() - 1 - i]);
    }
    const auto two = must(repo().list_rollout_decisions(stored.id, 2), "list_rollout_decisions");
    ASSERT_EQ(two.size(), 2u);
    EXPECT_EQ(two[0].action, RolloutAction::Halt);
    EXPECT_EQ(two[1].action, RolloutAction::Resume);

    EXPECT_TRUE(must(repo().list_rollout_decisions(stored.id + 1000, 10), "unknown id").empty());
    const ReleaseVersion other = create(repo(), version(220));
    EXPECT_TRUE(must(repo().list_rollout_decisions(other.id, 10), "no decisions").empty());
    if (instance().stored_deliveries) {
        EXPECT_EQ(deliveries(instance()).size(), want.size());
    }
}

TEST_P(VersionRepositoryContract, AStaleUpdateWithRolloutStoresNothing) {
    const ReleaseVersion stored =
        must(repo().create_with_rollout(planned(210), record(decision(RolloutAction::Start, 0, 5, kT0))), "create");
    ReleaseVersion next = stored;
    next.rollout_percent = 25;
    must(repo().update(next, stored.revision), "update");  // another writer got there first
    const std::int64_t before = revision(repo());

    ReleaseVersion late = stored;
    late.rollout_percent = 100;
    late.rollout_progress.state = RolloutState::Completed;
    auto lost =
        repo().update_with_rollout(late, stored.revision, record(decision(RolloutAction::Complete, 5, 100, kT0 + 2h)));
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(lost.error().code, ErrorCode::PreconditionFailed);
    EXPECT_EQ(revision(repo()), before);
    EXPECT_EQ(must(repo().get(stored.id), "get").rollout_percent, 25);
    EXPECT_EQ(must(repo().list_rollout_decisions(stored.id, 10), "decisions").size(), 1u);
    if (instance().stored_deliveries) {
        EXPECT_EQ(deliveries(instance()).size(), 1u);
    }

    auto unknown = repo().update_with_rollout(
        [&] {
            ReleaseVersion v = late;
            v.id = stored.id + 1000;
            return v;
        }(),
        1,
        record(decision(RolloutAction::Advance, 5, 25, kT0)));
    ASSERT_FALSE(unknown.ok());
    EXPECT_EQ(unknown.error().code, ErrorCode::NotFound);
}

TEST_P(VersionRepositoryContract, AWebhookThatCannotBeMadeFailsTheWholeWrite) {
    const std::int64_t before = revision(repo());
    auto failed = repo().create_with_rollout(planned(210), failing_record(decision(RolloutAction::Start, 0, 5, kT0)));
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(revision(repo()), before);
    EXPECT_TRUE(must(repo().list({}, 10, std::nullopt), "list").versions.empty());

    const ReleaseVersion stored =
        must(repo().create_with_rollout(planned(210), record(decision(RolloutAction::Start, 0, 5, kT0))), "create");
    const std::int64_t after_create = revision(repo());
    ReleaseVersion next = stored;
    next.rollout_percent = 25;
    auto rolled_back = repo().update_with_rollout(
        next, stored.revision, failing_record(decision(RolloutAction::Advance, 5, 25, kT0 + 2h)));
    ASSERT_FALSE(rolled_back.ok());
    EXPECT_EQ(revision(repo()), after_create);
    const ReleaseVersion got = must(repo().get(stored.id), "get");
    EXPECT_EQ(got.rollout_percent, 5);
    EXPECT_EQ(got.revision, stored.revision);
    EXPECT_EQ(must(repo().list_rollout_decisions(stored.id, 10), "decisions").size(), 1u);
    if (instance().stored_deliveries) {
        EXPECT_EQ(deliveries(instance()).size(), 1u);
    }
}

TEST_P(VersionRepositoryContract, AWebhookOfNoneStoresTheDecisionAlone) {
    RolloutRecord silent{decision(RolloutAction::Start, 0, 5, kT0), {}};
    const ReleaseVersion stored = must(repo().create_with_rollout(planned(210), silent), "create");
    RolloutRecord none{decision(RolloutAction::Advance, 5, 25, kT0 + 2h),
                       [](const ReleaseVersion&) -> Result<std::optional<webhooks::Delivery>> {
                           return std::optional<webhooks::Delivery>{};
                       }};
    ReleaseVersion next = stored;
    next.rollout_percent = 25;
    must(repo().update_with_rollout(next, stored.revision, none), "update");
    EXPECT_EQ(must(repo().list_rollout_decisions(stored.id, 10), "decisions").size(), 2u);
    if (instance().stored_deliveries) {
        EXPECT_TRUE(deliveries(instance()).empty());
    }
}

TEST_P(VersionRepositoryContract, RemoveDeletesTheDecisionsButNotTheDeliveries) {
    const ReleaseVersion stored =
        must(repo().create_with_rollout(planned(210), record(decision(RolloutAction::Start, 0, 5, kT0))), "create");
    must(repo().remove(stored.id, std::nullopt, kT0 + 1h), "remove");
    EXPECT_TRUE(must(repo().list_rollout_decisions(stored.id, 10), "decisions").empty());
    if (instance().stored_deliveries) {
        EXPECT_EQ(deliveries(instance()).size(), 1u);  // already promised to the receiver
    }
}

// --- artifacts ----------------------------------------------------------------

TEST_P(VersionRepositoryContract, PutArtifactIsIdempotentByKeyAndReturnsTheStoredRecord) {
    DetectedPackage detected;
    detected.platform = Platform::Android;
    detected.package_name = "com.example.app";
    detected.version_code = 210;
    detected.version_name = "2.1.0";
    detected.min_os_version = "24";
    const auto first = must(repo().put_artifact(artifact('a', detected)), "put");
    EXPECT_TRUE(first.created);
    EXPECT_EQ(first.record.artifact.key, artifact('a').artifact.key);

    ArtifactRecord again = artifact('a', std::nullopt, kT0 + 1h);
    again.artifact.file_name = "renamed.apk";
    const auto second = must(repo().put_artifact(again), "put again");
    EXPECT_FALSE(second.created);
    EXPECT_EQ(second.record.artifact.file_name, "app-a.apk");
    EXPECT_EQ(second.record.created_at, kT0);

    const ArtifactRecord got = must(repo().get_artifact(artifact('a').artifact.key), "get_artifact");
    EXPECT_EQ(got.artifact.file_name, "app-a.apk");
    EXPECT_EQ(got.artifact.file_size, 48'211'331);
    EXPECT_EQ(got.artifact.sha256, sha_of('a'));
    EXPECT_EQ(got.artifact.content_type, "application/vnd.android.package-archive");
    EXPECT_EQ(got.artifact.package_name, "com.example.app");
    ASSERT_TRUE(got.detected);
    EXPECT_EQ(got.detected->platform, Platform::Android);
    EXPECT_EQ(got.detected->package_name, "com.example.app");
    EXPECT_EQ(got.detected->version_code, 210);
    EXPECT_EQ(got.detected->version_name, "2.1.0");
    EXPECT_EQ(got.detected->min_os_version, "24");
    EXPECT_EQ(got.created_at, kT0);

    // Nothing detected, and detected with only the required parts.
    const ArtifactRecord plain = must(repo().put_artifact(artifact('b')), "put").record;
    EXPECT_FALSE(plain.detected);
    DetectedPackage ios;
    ios.platform = Platform::Ios;
    ios.package_name = "com.example.ios";
    const ArtifactRecord bare = must(repo().put_artifact(artifact('c', ios)), "put").record;
    ASSERT_TRUE(bare.detected);
    EXPECT_EQ(bare.detected->platform, Platform::Ios);
    EXPECT_FALSE(bare.detected->version_code);
    EXPECT_FALSE(bare.detected->version_name);

    auto missing = repo().get_artifact("android/" + sha_of('f') + ".apk");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

TEST_P(VersionRepositoryContract, CountsVersionsUsingAnArtifact) {
    const ArtifactRecord a = artifact('a');
    ASSERT_TRUE(repo().put_artifact(a).ok());
    EXPECT_EQ(must(repo().count_versions_using(a.artifact.key), "count"), 0);
    ReleaseVersion v1 = version(210);
    v1.external_url.reset();
    v1.artifact = a.artifact;
    ReleaseVersion v2 = v1;
    v2.channel = "beta";
    const ReleaseVersion s1 = create(repo(), v1);
    create(repo(), v2);
    EXPECT_EQ(must(repo().count_versions_using(a.artifact.key), "count"), 2);
    ASSERT_TRUE(repo().remove(s1.id, std::nullopt, kT0).ok());
    EXPECT_EQ(must(repo().count_versions_using(a.artifact.key), "count"), 1);
    EXPECT_EQ(must(repo().count_versions_using("ios/" + sha_of('9') + ".ipa"), "count"), 0);
}

TEST_P(VersionRepositoryContract, TracksSinceWhenAnArtifactIsUnreferenced) {
    const ArtifactRecord a = artifact('a', std::nullopt, kT0);
    const ArtifactRecord b = artifact('b', std::nullopt, kT0 + 1min);
    ASSERT_TRUE(repo().put_artifact(a).ok());
    ASSERT_TRUE(repo().put_artifact(b).ok());
    const std::string& ka = a.artifact.key;
    const std::string& kb = b.artifact.key;
    auto since = [&](const std::string& key) {
        return must(repo().get_artifact(key), "get_artifact").unreferenced_since;
    };
    // Fresh uploads are unreferenced from their creation.
    EXPECT_EQ(since(ka), kT0);
    EXPECT_EQ(since(kb), kT0 + 1min);

    ReleaseVersion v = version(210, Platform::Android, "stable", kT0 + 10min);
    v.external_url.reset();
    v.artifact = a.artifact;
    const ReleaseVersion s1 = create(repo(), v);
    v.channel = "beta";
    const ReleaseVersion s2 = create(repo(), v);
    EXPECT_FALSE(since(ka));

    // One of two users goes: still referenced.
    ASSERT_TRUE(repo().remove(s2.id, std::nullopt, kT0 + 20min).ok());
    EXPECT_FALSE(since(ka));

    // The last user moves to b: a is unreferenced from that update, b is taken.
    ReleaseVersion moved = s1;
    moved.artifact = b.artifact;
    moved.updated_at = kT0 + 30min;
    ASSERT_TRUE(repo().update(moved, s1.revision).ok());
    EXPECT_EQ(since(ka), kT0 + 30min);
    EXPECT_FALSE(since(kb));

    // An update that keeps the artifact keeps it referenced.
    moved.version_name = "renamed";
    moved.updated_at = kT0 + 35min;
    ASSERT_TRUE(repo().update(moved, s1.revision + 1).ok());
    EXPECT_FALSE(since(kb));

    // Removing the last user of b stamps the removal time.
    ASSERT_TRUE(repo().remove(s1.id, std::nullopt, kT0 + 40min).ok());
    EXPECT_EQ(since(kb), kT0 + 40min);

    // Listed for cleanup by cutoff, oldest first.
    auto keys = [&](TimePoint cutoff, int limit) {
        std::vector<std::string> out;
        for (const auto& r : must(repo().list_unreferenced_artifacts(cutoff, limit), "list_unreferenced")) {
            out.push_back(r.artifact.key);
        }
        return out;
    };
    EXPECT_TRUE(keys(kT0 + 29min, 10).empty());
    EXPECT_EQ(keys(kT0 + 30min, 10), (std::vector<std::string>{ka}));
    EXPECT_EQ(keys(kT0 + 1h, 10), (std::vector<std::string>{ka, kb}));
    EXPECT_EQ(keys(kT0 + 1h, 1), (std::vector<std::string>{ka}));
}

TEST_P(VersionRepositoryContract, RemovesAnArtifactRecordOnlyWhenUnreferenced) {
    const ArtifactRecord a = artifact('a', std::nullopt, kT0);
    ASSERT_TRUE(repo().put_artifact(a).ok());
    ReleaseVersion v = version(210);
    v.external_url.reset();
    v.artifact = a.artifact;
    const ReleaseVersion s = create(repo(), v);
    EXPECT_FALSE(must(repo().remove_unreferenced_artifact(a.artifact.key, std::nullopt), "remove_artifact"));
    EXPECT_TRUE(repo().get_artifact(a.artifact.key).ok());

    ASSERT_TRUE(repo().remove(s.id, std::nullopt, kT0 + 1h).ok());
    // Not unreferenced long enough for this cutoff.
    EXPECT_FALSE(must(repo().remove_unreferenced_artifact(a.artifact.key, kT0 + 59min), "remove_artifact"));
    EXPECT_TRUE(repo().get_artifact(a.artifact.key).ok());
    EXPECT_TRUE(must(repo().remove_unreferenced_artifact(a.artifact.key, kT0 + 1h), "remove_artifact"));
    EXPECT_EQ(repo().get_artifact(a.artifact.key).error().code, ErrorCode::NotFound);
    EXPECT_FALSE(must(repo().remove_unreferenced_artifact(a.artifact.key, std::nullopt), "remove_artifact"));

    // A version cannot take a removed artifact.
    auto r = repo().create(v);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);

    // Without a cutoff, any unreferenced record goes.
    ASSERT_TRUE(repo().put_artifact(artifact('b', std::nullopt, kT0 + 2h)).ok());
    EXPECT_TRUE(must(repo().remove_unreferenced_artifact(artifact('b').artifact.key, std::nullopt), "remove_artifact"));
}

TEST_P(VersionRepositoryContract, UpdateToAnUnknownArtifactIsUnprocessableAndChangesNothing) {
    const ReleaseVersion v = create(repo(), version(210));
    ReleaseVersion changed = v;
    changed.external_url.reset();
    changed.artifact = artifact('q').artifact;
    auto r = repo().update(changed, 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);
    const ReleaseVersion got = must(repo().get(v.id), "get");
    EXPECT_EQ(got.revision, 1);
    EXPECT_TRUE(got.external_url);
    EXPECT_FALSE(got.artifact);
}

// ---- Several openers of one store (replicas, or two processes on one file) ----

// Each sees the other's writes and catalog revision, and the compare-and-set
// holds across them.
TEST_P(VersionRepositoryContract, TwoOpenersSeeEachOthersWrites) {
    if (!instance().open_another) {
        GTEST_SKIP() << GetParam().name << " lives in one process's memory: there is no second opener";
    }
    auto second = instance().open_another();
    ASSERT_NE(second, nullptr);

    const auto before = second->catalog_revision();
    ASSERT_TRUE(before.ok());
    auto created = repo().create(version(210));
    ASSERT_TRUE(created.ok()) << created.error().message;
    const auto after = second->catalog_revision();
    ASSERT_TRUE(after.ok());
    EXPECT_NE(*after, *before);
    auto seen = second->get(created->id);
    ASSERT_TRUE(seen.ok());
    EXPECT_EQ(seen->version_code, 210);

    auto won = second->update(*seen, 1);
    ASSERT_TRUE(won.ok()) << won.error().message;
    auto lost = repo().update(*created, 1);
    ASSERT_FALSE(lost.ok());
    EXPECT_EQ(lost.error().code, ErrorCode::PreconditionFailed);
}

TEST_P(VersionRepositoryContract, ConcurrentWritersAndReadersOnTwoOpeners) {
    if (!instance().open_another) {
        GTEST_SKIP() << GetParam().name << " lives in one process's memory: there is no second opener";
    }
    auto second = instance().open_another();
    ASSERT_NE(second, nullptr);
    const auto start = repo().catalog_revision();
    ASSERT_TRUE(start.ok());
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            releases::VersionRepository& r = t % 2 == 0 ? repo() : *second;
            for (int i = 0; i < 25; ++i) {
                if (!r.create(version(t * 1000 + i)).ok()) {
                    ++failures;
                }
                if (!r.catalog_revision().ok() || !r.load_catalog().ok()) {
                    ++failures;
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(failures.load(), 0);
    auto catalog = repo().load_catalog();
    ASSERT_TRUE(catalog.ok());
    EXPECT_EQ(catalog->enabled_versions.size(), 100u);
    EXPECT_EQ(catalog->revision, *start + 100);
}

}  // namespace
}  // namespace beacon::contract
