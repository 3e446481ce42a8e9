#include "releases/release_service.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "contract/releases/memory_version_repository.hpp"
#include "releases/rollout.hpp"

namespace beacon::releases {
namespace {

using namespace std::chrono_literals;
using test::MemoryVersionRepository;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25, mid-morning UTC
// Links are signed once a minute, from the minute's start, for the TTL (2 h
// here) plus that minute: valid at least the TTL from any moment in it.
const TimePoint kLinkExpiry =
    std::chrono::floor<std::chrono::minutes>(kT0) + std::chrono::hours(2) + std::chrono::minutes(1);

// Signs deterministic fake links; removal can be made to fail.
class FakeArtifactStore final : public ArtifactStore {
public:
    Result<void> put_file(std::string_view, const std::filesystem::path&, std::string_view) override { return ok(); }
    Result<bool> exists(std::string_view) override { return true; }
    Result<void> remove(std::string_view key) override {
        std::lock_guard lock(mutex_);
        if (fail_remove_) {
            return make_error(ErrorCode::Unavailable, "fake: storage down");
        }
        removed_.emplace_back(key);
        return ok();
    }
    Result<SignedUrl> signed_url(std::string_view key,
                                 std::string_view download_file_name,
                                 std::chrono::seconds ttl,
                                 TimePoint now,
                                 std::string_view public_base_url) override {
        const TimePoint expires = now + ttl;
        return SignedUrl{std::string(public_base_url) + "/files/" + std::string(key) + "?expires=" +
                             std::to_string(to_epoch_ms(expires) / 1000) + "&name=" + std::string(download_file_name),
                         expires};
    }

    std::vector<std::string> removed() {
        std::lock_guard lock(mutex_);
        return removed_;
    }
    void fail_remove(bool fail) {
        std::lock_guard lock(mutex_);
        fail_remove_ = fail;
    }

private:
    std::mutex mutex_;
    std::vector<std::string> removed_;
    bool fail_remove_ = false;
};

// A repository that forwards to another, with hooks to interfere.
class HookedRepository final : public VersionRepository {
public:
    explicit HookedRepository(VersionRepository& inner) : inner_(inner) {}

    std::function<void()> before_update;  // runs (once per call) before forwarding update()
    bool fail_load_catalog = false;

    Result<ReleaseVersion> create(const ReleaseVersion& v) override { return inner_.create(v); }
    Result<ReleaseVersion> get(std::int64_t id) override { return inner_.get(id); }
    Result<VersionPage> list(const VersionFilter& f, int limit, const std::optional<VersionCursor>& after) override {
        return inner_.list(f, limit, after);
    }
    Result<ReleaseVersion> update(const ReleaseVersion& v, std::int64_t expected) override {
        if (before_update) {
            before_update();
        }
        return inner_.update(v, expected);
    }
    Result<ReleaseVersion> create_with_rollout(const ReleaseVersion& v, const releases::RolloutRecord& r) override {
        return inner_.create_with_rollout(v, r);
    }
    Result<ReleaseVersion> update_with_rollout(const ReleaseVersion& v,
                                               std::int64_t expected,
                                               const releases::RolloutRecord& r) override {
        if (before_update) {
            before_update();
        }
        return inner_.update_with_rollout(v, expected, r);
    }
    Result<std::vector<releases::RolloutDecision>> list_rollout_decisions(std::int64_t id, int limit) override {
        return inner_.list_rollout_decisions(id, limit);
    }
    Result<ReleaseVersion> remove(std::int64_t id, std::optional<std::int64_t> expected, TimePoint now) override {
        return inner_.remove(id, expected, now);
    }
    Result<std::int64_t> catalog_revision() override { return inner_.catalog_revision(); }
    Result<std::map<std::int64_t, std::string>> version_names(releases::Platform p,
                                                              std::span<const std::int64_t> codes) override {
        return inner_.version_names(p, codes);
    }
    Result<CatalogSnapshot> load_catalog() override {
        if (fail_load_catalog) {
            return make_error(ErrorCode::Unavailable, "hooked: database down");
        }
        return inner_.load_catalog();
    }
    Result<PutArtifactResult> put_artifact(const ArtifactRecord& r) override { return inner_.put_artifact(r); }
    Result<ArtifactRecord> get_artifact(std::string_view key) override { return inner_.get_artifact(key); }
    Result<std::int64_t> count_versions_using(std::string_view key) override {
        return inner_.count_versions_using(key);
    }
    Result<std::vector<ArtifactRecord>> list_unreferenced_artifacts(TimePoint cutoff, int limit) override {
        return inner_.list_unreferenced_artifacts(cutoff, limit);
    }
    Result<bool> remove_unreferenced_artifact(std::string_view key, std::optional<TimePoint> cutoff) override {
        return inner_.remove_unreferenced_artifact(key, cutoff);
    }

private:
    VersionRepository& inner_;
};

std::string key_for(char c, Platform p = Platform::Android) {
    return p == Platform::Android ? "android/" + std::string(64, c) + ".apk" : "ios/" + std::string(64, c) + ".ipa";
}

ArtifactRecord artifact_record(char c,
                               std::optional<Platform> detected_platform,
                               std::optional<std::int64_t> detected_code,
                               Platform key_platform = Platform::Android) {
    ArtifactRecord r;
    r.artifact.key = key_for(c, key_platform);
    r.artifact.file_name = "app-release.apk";
    r.artifact.file_size = 1234;
    r.artifact.sha256 = std::string(64, c);
    r.artifact.content_type = "application/vnd.android.package-archive";
    r.artifact.package_name = "com.example.app";
    if (detected_platform) {
        DetectedPackage d;
        d.platform = *detected_platform;
        d.package_name = "com.example.app";
        d.version_code = detected_code;
        r.detected = d;
    }
    r.created_at = kT0 - 1h;
    return r;
}

NewVersion new_version(std::int64_t code, std::string platform = "android") {
    NewVersion n;
    n.platform = std::move(platform);
    n.version_code = code;
    n.version_name = "v" + std::to_string(code);
    n.external_url = "https://example.com/app/" + std::to_string(code);
    return n;
}

class ReleaseServiceTest : public ::testing::Test {
protected:
    ReleaseServiceTest() : service_(repo_, store_, clock_, options()) {}

    static ReleaseServiceOptions options() {
        ReleaseServiceOptions o;
        o.presign_ttl = 2h;
        o.public_base_url = "https://beacon.test";
        return o;
    }

    ReleaseVersion create(const NewVersion& n) {
        auto r = service_.create(n);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : ReleaseVersion{};
    }

    // Creates and expects the error code; returns the error.
    Error create_fails(const NewVersion& n, ErrorCode code) {
        auto r = service_.create(n);
        EXPECT_FALSE(r.ok()) << "created version " << n.version_code;
        if (r.ok()) {
            return Error{};
        }
        EXPECT_EQ(r.error().code, code) << r.error().message;
        return r.error();
    }

    ArtifactRecord put(const ArtifactRecord& r) {
        auto put = repo_.put_artifact(r);
        EXPECT_TRUE(put.ok());
        return put.ok() ? put->record : ArtifactRecord{};
    }

    UpdateCheck check(std::int64_t current,
                      std::optional<std::string_view> install_id = std::nullopt,
                      std::string_view platform = "android",
                      std::optional<std::string_view> channel = std::nullopt) {
        auto r = service_.check(platform, channel, current, install_id);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : UpdateCheck{};
    }

    ManualClock clock_{kT0};
    MemoryVersionRepository repo_;
    FakeArtifactStore store_;
    ReleaseService service_;
};

// The offered version code, if any.
std::optional<std::int64_t> offered(const UpdateCheck& c) {
    return c.latest ? std::optional<std::int64_t>(c.latest->version_code) : std::nullopt;
}

std::optional<std::int64_t> offered(const Result<UpdateCheck>& c) {
    EXPECT_TRUE(c.ok());
    return c.ok() ? offered(*c) : std::nullopt;
}

bool names_field(const Error& e, std::string_view field) {
    for (const FieldError& f : e.fields) {
        if (f.field == field) {
            return true;
        }
    }
    return false;
}

// --- create: values and defaults ------------------------------------------------

TEST_F(ReleaseServiceTest, CreateAppliesDefaultsAndStamps) {
    NewVersion n;
    n.platform = "ANDROID";
    n.version_code = 210;
    n.version_name = "2.1.0";
    const ReleaseVersion v = create(n);
    EXPECT_GT(v.id, 0);
    EXPECT_EQ(v.platform, Platform::Android);
    EXPECT_EQ(v.channel, "stable");
    EXPECT_TRUE(v.is_enabled);
    EXPECT_FALSE(v.is_force_update);
    EXPECT_EQ(v.rollout_percent, 100);
    EXPECT_FALSE(v.changelog);
    EXPECT_FALSE(v.min_supported_version_code);
    EXPECT_TRUE(v.is_draft());
    EXPECT_EQ(v.released_at, kT0);
    EXPECT_EQ(v.created_at, kT0);
    EXPECT_EQ(v.updated_at, kT0);
    EXPECT_EQ(v.revision, 1);
}

TEST_F(ReleaseServiceTest, CreateKeepsEveryGivenField) {
    NewVersion n = new_version(210, "iOS");
    n.channel = "beta-2";
    n.changelog = "Bug fixes";
    n.is_force_update = true;
    n.is_enabled = false;
    n.min_supported_version_code = 210;
    n.rollout_percent = 0;
    n.released_at = kT0 - 24h;
    const ReleaseVersion v = create(n);
    EXPECT_EQ(v.platform, Platform::Ios);
    EXPECT_EQ(v.channel, "beta-2");
    EXPECT_EQ(v.changelog, "Bug fixes");
    EXPECT_TRUE(v.is_force_update);
    EXPECT_FALSE(v.is_enabled);
    EXPECT_EQ(v.min_supported_version_code, 210);
    EXPECT_EQ(v.rollout_percent, 0);
    EXPECT_EQ(v.external_url, "https://example.com/app/210");
    EXPECT_EQ(v.released_at, kT0 - 24h);
}

TEST_F(ReleaseServiceTest, CreateRejectsABadPlatform) {
    for (const char* p : {"web", "", "androidx", "i0s"}) {
        const Error e = create_fails(new_version(1, p), ErrorCode::InvalidArgument);
        EXPECT_TRUE(names_field(e, "platform")) << p;
    }
}

TEST_F(ReleaseServiceTest, VersionCodeIsANonNegativeInt32) {
    for (std::int64_t bad : {std::int64_t{-1}, std::int64_t{2147483648}, std::int64_t{-2147483648}}) {
        EXPECT_TRUE(names_field(create_fails(new_version(bad), ErrorCode::InvalidArgument), "versionCode")) << bad;
    }
    EXPECT_EQ(create(new_version(0)).version_code, 0);
    EXPECT_EQ(create(new_version(2147483647)).version_code, 2147483647);
}

TEST_F(ReleaseServiceTest, VersionNameIsOneTo64Characters) {
    NewVersion n = new_version(1);
    n.version_name = "";
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "versionName"));
    n.version_name = std::string(65, 'x');
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "versionName"));
    n.version_name = std::string(64, 'x');
    EXPECT_TRUE(service_.create(n).ok());
    // Characters, not bytes: 64 three-byte characters fit.
    n = new_version(2);
    std::string wide;
    for (int i = 0; i < 64; ++i) {
        wide += "\xE7\x89\x88";  // 版
    }
    n.version_name = wide;
    EXPECT_TRUE(service_.create(n).ok());
    n = new_version(3);
    n.version_name = wide + "\xE7\x89\x88";
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "versionName"));
}

TEST_F(ReleaseServiceTest, ChannelIsOneTo32OfLowerCaseDigitsAndDash) {
    for (const std::string& bad : {std::string(""),
                                   std::string("Beta"),
                                   std::string("beta_1"),
                                   std::string("be ta"),
                                   std::string(33, 'a'),
                                   std::string("b\xC3\xA9ta")}) {
        NewVersion n = new_version(1);
        n.channel = bad;
        EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "channel")) << bad;
    }
    std::int64_t code = 1;
    for (const std::string& good : {std::string("beta-2"), std::string(32, 'z'), std::string("0"), std::string("-")}) {
        NewVersion n = new_version(code++);
        n.channel = good;
        EXPECT_EQ(create(n).channel, good);
    }
}

TEST_F(ReleaseServiceTest, ChangelogIsAtMost16KiB) {
    NewVersion n = new_version(1);
    n.changelog = std::string(16 * 1024 + 1, 'c');
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "changelog"));
    n.changelog = std::string(16 * 1024, 'c');
    EXPECT_EQ(create(n).changelog->size(), 16u * 1024u);
}

TEST_F(ReleaseServiceTest, RolloutPercentIsZeroTo100) {
    for (std::int64_t bad : {-1, 101, 1000}) {
        NewVersion n = new_version(1);
        n.rollout_percent = bad;
        EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "rolloutPercent")) << bad;
    }
    NewVersion zero = new_version(1);
    zero.rollout_percent = 0;
    EXPECT_EQ(create(zero).rollout_percent, 0);
    NewVersion full = new_version(2);
    full.rollout_percent = 100;
    EXPECT_EQ(create(full).rollout_percent, 100);
}

TEST_F(ReleaseServiceTest, MinSupportedVersionCodeIsAtMostVersionCode) {
    NewVersion n = new_version(200);
    n.min_supported_version_code = -1;
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "minSupportedVersionCode"));
    n.min_supported_version_code = 201;
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::Unprocessable), "minSupportedVersionCode"));
    n.min_supported_version_code = 200;
    EXPECT_EQ(create(n).min_supported_version_code, 200);
}

TEST_F(ReleaseServiceTest, ExternalUrlIsAnAbsoluteHttpUrl) {
    const std::vector<std::string> bad = {"ftp://example.com/app",
                                          "example.com/app",
                                          "/relative/path",
                                          "https://",
                                          "https:///path",
                                          "https://exa mple.com/",
                                          "https://example.com/\x01",
                                          "javascript://alert(1)",
                                          "https://:443/x",
                                          "https://example.com/" + std::string(2048, 'a')};
    for (const std::string& url : bad) {
        NewVersion n = new_version(1);
        n.external_url = url;
        EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "externalUrl")) << url;
    }
    std::int64_t code = 1;
    for (const std::string& url : {std::string("https://apps.apple.com/app/id123?mt=8#x"),
                                   std::string("HTTP://example.com"),
                                   std::string("https://user@example.com:8443/a%20b"),
                                   "https://example.com/" + std::string(2048 - 20, 'a')}) {
        NewVersion n = new_version(code++);
        n.external_url = url;
        EXPECT_EQ(create(n).external_url, url);
    }
}

TEST_F(ReleaseServiceTest, OneBadRequestNamesEveryBadField) {
    NewVersion n;
    n.platform = "web";
    n.version_code = -5;
    n.version_name = "";
    n.channel = "NO";
    n.rollout_percent = 200;
    const Error e = create_fails(n, ErrorCode::InvalidArgument);
    for (const char* field : {"platform", "versionCode", "versionName", "channel", "rolloutPercent"}) {
        EXPECT_TRUE(names_field(e, field)) << field;
    }
    EXPECT_EQ(e.fields.size(), 5u);
}

// --- create: artifacts, 422 and 409 ----------------------------------------------

TEST_F(ReleaseServiceTest, CreateWithAnArtifactCopiesItsRecord) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = a.artifact.key;
    const ReleaseVersion v = create(n);
    ASSERT_TRUE(v.artifact);
    EXPECT_EQ(v.artifact->key, a.artifact.key);
    EXPECT_EQ(v.artifact->file_name, "app-release.apk");
    EXPECT_EQ(v.artifact->file_size, 1234);
    EXPECT_EQ(v.artifact->sha256, a.artifact.sha256);
    EXPECT_FALSE(v.external_url);
}

TEST_F(ReleaseServiceTest, ArtifactKeyAndExternalUrlTogetherAreUnprocessable) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.artifact_key = a.artifact.key;
    const Error e = create_fails(n, ErrorCode::Unprocessable);
    EXPECT_TRUE(names_field(e, "artifactKey"));
    EXPECT_TRUE(names_field(e, "externalUrl"));
}

TEST_F(ReleaseServiceTest, UnknownArtifactKeyIsUnprocessable) {
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = key_for('x');
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::Unprocessable), "artifactKey"));
    n.artifact_key = "../../etc/passwd";
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::Unprocessable), "artifactKey"));
}

// Issue 9 #19: text PostgreSQL cannot hold (U+0000, invalid UTF-8) is a 400
// naming the field, on create and on PATCH, never a database error; a key
// with a NUL is unknown without a query.
TEST_F(ReleaseServiceTest, UnstorableTextIsRefusedNamingTheField) {
    const std::string nul("1.0\0evil", 8);
    NewVersion n = new_version(210);
    n.version_name = nul;
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "versionName"));
    n.version_name = "caf\xe9";
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "versionName"));
    n = new_version(210);
    n.changelog = "fixes\n" + nul;
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "changelog"));
    n = new_version(210);
    n.channel = std::string("beta\0", 5);
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "channel"));
    n = new_version(210);
    n.external_url = "https://example.com/" + nul;
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::InvalidArgument), "externalUrl"));
    n = new_version(210);
    n.external_url.reset();
    n.artifact_key = std::string("android/", 8) + std::string(64, 'a') + std::string(".apk\0", 5);
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::Unprocessable), "artifactKey"));

    const ReleaseVersion v = create(new_version(220));
    VersionPatch p;
    p.version_name = nul;
    auto r = service_.patch(v.id, p, std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(names_field(r.error(), "versionName"));
    VersionPatch q;
    q.changelog = std::optional<std::string>(nul);
    r = service_.patch(v.id, q, std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_TRUE(names_field(r.error(), "changelog"));
}

TEST_F(ReleaseServiceTest, ArtifactContradictingTheBodyIsUnprocessable) {
    const ArtifactRecord ios = put(artifact_record('i', Platform::Ios, 210, Platform::Ios));
    const ArtifactRecord apk = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = ios.artifact.key;  // an IPA for an android version
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::Unprocessable), "artifactKey"));
    n.artifact_key = apk.artifact.key;
    n.version_code = 211;  // the APK says 210
    EXPECT_TRUE(names_field(create_fails(n, ErrorCode::Unprocessable), "artifactKey"));
    n.version_code = 210;
    EXPECT_TRUE(service_.create(n).ok());
}

TEST_F(ReleaseServiceTest, ArtifactWithoutDetectedFactsContradictsNothing) {
    // A plain ZIP (nothing detected), and an IPA whose CFBundleVersion was not a number.
    const ArtifactRecord zip = put(artifact_record('z', std::nullopt, std::nullopt));
    const ArtifactRecord ipa = put(artifact_record('i', Platform::Ios, std::nullopt, Platform::Ios));
    NewVersion n = new_version(1);
    n.external_url.reset();
    n.artifact_key = zip.artifact.key;
    EXPECT_TRUE(service_.create(n).ok());
    NewVersion m = new_version(77, "ios");
    m.external_url.reset();
    m.artifact_key = ipa.artifact.key;
    EXPECT_TRUE(service_.create(m).ok());
}

TEST_F(ReleaseServiceTest, DuplicateVersionIsConflict) {
    create(new_version(210));
    const Error e = create_fails(new_version(210, "Android"), ErrorCode::Conflict);
    EXPECT_NE(e.message.find("210"), std::string::npos);
    NewVersion beta = new_version(210);
    beta.channel = "beta";
    EXPECT_TRUE(service_.create(beta).ok());
    EXPECT_TRUE(service_.create(new_version(210, "ios")).ok());
}

TEST_F(ReleaseServiceTest, DatabaseDownIsUnavailable) {
    repo_.fail_next_for_test(1);
    create_fails(new_version(210), ErrorCode::Unavailable);
    repo_.fail_next_for_test(1);
    auto got = service_.get(1);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::Unavailable);
}

// --- get / list ------------------------------------------------------------------

TEST_F(ReleaseServiceTest, GetUnknownIsNotFound) {
    auto r = service_.get(12345);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
}

TEST_F(ReleaseServiceTest, ListFiltersAndPagesWithAnOpaqueCursor) {
    for (int i = 0; i < 30; ++i) {
        NewVersion n = new_version(100 + i, i % 2 == 0 ? "android" : "ios");
        n.is_enabled = i % 3 != 0;
        create(n);
    }
    VersionListQuery q;
    q.platform = "Android";
    q.is_enabled = true;
    q.limit = 4;
    std::vector<std::int64_t> codes;
    int pages = 0;
    for (;;) {
        auto page = service_.list(q);
        ASSERT_TRUE(page.ok()) << page.error().message;
        for (const auto& v : page->versions) {
            EXPECT_EQ(v.platform, Platform::Android);
            EXPECT_TRUE(v.is_enabled);
            codes.push_back(v.version_code);
        }
        ++pages;
        if (!page->next_cursor) {
            break;
        }
        q.cursor = *page->next_cursor;
    }
    std::vector<std::int64_t> expected;
    for (int i = 29; i >= 0; --i) {
        if (i % 2 == 0 && i % 3 != 0) {
            expected.push_back(100 + i);
        }
    }
    EXPECT_EQ(codes, expected);
    EXPECT_EQ(pages, static_cast<int>((expected.size() + 3) / 4));

    auto all = service_.list({});
    ASSERT_TRUE(all.ok());
    EXPECT_EQ(all->versions.size(), 30u);  // default limit 50
    EXPECT_FALSE(all->next_cursor);
}

TEST_F(ReleaseServiceTest, ListRejectsBadParameters) {
    auto expect_bad = [&](VersionListQuery q, std::string_view field) {
        auto r = service_.list(q);
        ASSERT_FALSE(r.ok()) << field;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        EXPECT_TRUE(names_field(r.error(), field)) << field;
    };
    VersionListQuery q;
    q.limit = 0;
    expect_bad(q, "limit");
    q.limit = 501;
    expect_bad(q, "limit");
    q = {};
    q.cursor = "garbage";
    expect_bad(q, "cursor");
    q.cursor = "12.";
    expect_bad(q, "cursor");
    q.cursor = "-1.5";
    expect_bad(q, "cursor");
    q = {};
    q.platform = "web";
    expect_bad(q, "platform");
    q = {};
    q.channel = "BETA";
    expect_bad(q, "channel");
}

TEST(VersionCursor, RoundTripsAndRefusesAnythingElse) {
    const VersionCursor c{2147483647, 9'000'000'000};
    const auto back = decode_version_cursor(encode_version_cursor(c));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->version_code, c.version_code);
    EXPECT_EQ(back->id, c.id);
    for (const char* bad : {"", ".", "1", "1.2.3", "a.1", "1.b", " 1.2", "99999999999999999999.1"}) {
        EXPECT_FALSE(decode_version_cursor(bad)) << bad;
    }
}

// --- patch -------------------------------------------------------------------------

TEST_F(ReleaseServiceTest, PatchChangesFieldsAndBumpsRevision) {
    const ReleaseVersion v = create(new_version(210));
    clock_.advance(5min);
    VersionPatch p;
    p.version_name = "2.1.0-final";
    p.changelog = std::optional<std::string>("notes");
    p.rollout_percent = 10;
    p.is_force_update = true;
    p.min_supported_version_code = std::optional<std::int64_t>(150);
    p.released_at = kT0 + 1h;
    auto r = service_.patch(v.id, p, std::nullopt);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->version_name, "2.1.0-final");
    EXPECT_EQ(r->changelog, "notes");
    EXPECT_EQ(r->rollout_percent, 10);
    EXPECT_TRUE(r->is_force_update);
    EXPECT_EQ(r->min_supported_version_code, 150);
    EXPECT_EQ(r->released_at, kT0 + 1h);
    EXPECT_EQ(r->revision, 2);
    EXPECT_EQ(r->updated_at, kT0 + 5min);
    EXPECT_EQ(r->created_at, kT0);
    EXPECT_EQ(r->external_url, v.external_url);  // untouched

    // Null clears the nullable fields.
    VersionPatch clear;
    clear.changelog = std::optional<std::string>();
    clear.min_supported_version_code = std::optional<std::int64_t>();
    auto cleared = service_.patch(v.id, clear, 2);
    ASSERT_TRUE(cleared.ok()) << cleared.error().message;
    EXPECT_FALSE(cleared->changelog);
    EXPECT_FALSE(cleared->min_supported_version_code);
    EXPECT_EQ(cleared->revision, 3);
}

TEST_F(ReleaseServiceTest, PatchWithStaleIfMatchIsPreconditionFailedAndChangesNothing) {
    const ReleaseVersion v = create(new_version(210));
    VersionPatch p;
    p.version_name = "changed";
    for (std::int64_t stale : {0, 2, 99}) {
        auto r = service_.patch(v.id, p, stale);
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::PreconditionFailed);
    }
    EXPECT_EQ(service_.get(v.id)->version_name, "v210");
    EXPECT_EQ(service_.get(v.id)->revision, 1);
    auto ok = service_.patch(v.id, p, 1);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok->revision, 2);
}

TEST_F(ReleaseServiceTest, PatchOfUnknownIdIsNotFound) {
    auto r = service_.patch(999, VersionPatch{}, std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::NotFound);
}

TEST_F(ReleaseServiceTest, PatchValidatesValuesLikeCreate) {
    const ReleaseVersion v = create(new_version(210));
    auto expect_bad = [&](const VersionPatch& p, std::string_view field) {
        auto r = service_.patch(v.id, p, std::nullopt);
        ASSERT_FALSE(r.ok()) << field;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument) << field;
        EXPECT_TRUE(names_field(r.error(), field)) << field;
    };
    VersionPatch p;
    p.platform = "web";
    expect_bad(p, "platform");
    p = {};
    p.version_code = -1;
    expect_bad(p, "versionCode");
    p = {};
    p.version_name = "";
    expect_bad(p, "versionName");
    p = {};
    p.channel = "Stable";
    expect_bad(p, "channel");
    p = {};
    p.rollout_percent = 101;
    expect_bad(p, "rolloutPercent");
    p = {};
    p.changelog = std::optional<std::string>(std::string(16 * 1024 + 1, 'x'));
    expect_bad(p, "changelog");
    p = {};
    p.external_url = std::optional<std::string>("mailto:x@example.com");
    expect_bad(p, "externalUrl");
    EXPECT_EQ(service_.get(v.id)->revision, 1);
}

TEST_F(ReleaseServiceTest, PatchAppliesThe422RulesToTheMergedVersion) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = a.artifact.key;
    n.min_supported_version_code = 200;
    const ReleaseVersion v = create(n);

    auto expect_422 = [&](const VersionPatch& p, std::string_view field) {
        auto r = service_.patch(v.id, p, std::nullopt);
        ASSERT_FALSE(r.ok()) << field;
        EXPECT_EQ(r.error().code, ErrorCode::Unprocessable) << r.error().message;
        EXPECT_TRUE(names_field(r.error(), field)) << field;
    };
    VersionPatch p;
    p.external_url = std::optional<std::string>("https://example.com/");  // the artifact stays: both
    expect_422(p, "externalUrl");
    p = {};
    p.version_code = 211;  // contradicts the APK's 210
    expect_422(p, "artifactKey");
    p = {};
    p.platform = "ios";  // contradicts the APK
    expect_422(p, "artifactKey");
    p = {};
    p.min_supported_version_code = std::optional<std::int64_t>(211);
    expect_422(p, "minSupportedVersionCode");
    p = {};
    p.artifact_key = std::optional<std::string>(key_for('q'));
    expect_422(p, "artifactKey");
    EXPECT_EQ(service_.get(v.id)->revision, 1);

    // Swapping the artifact for a URL in one patch is fine.
    p = {};
    p.artifact_key = std::optional<std::string>();
    p.external_url = std::optional<std::string>("https://example.com/app");
    auto swapped = service_.patch(v.id, p, 1);
    ASSERT_TRUE(swapped.ok()) << swapped.error().message;
    EXPECT_FALSE(swapped->artifact);
    EXPECT_EQ(swapped->external_url, "https://example.com/app");

    // And back; a code change without the artifact is fine too.
    p = {};
    p.artifact_key = std::optional<std::string>(a.artifact.key);
    p.external_url = std::optional<std::string>();
    auto back = service_.patch(v.id, p, 2);
    ASSERT_TRUE(back.ok()) << back.error().message;
    ASSERT_TRUE(back->artifact);
    EXPECT_EQ(back->artifact->key, a.artifact.key);
}

TEST_F(ReleaseServiceTest, PatchToNullMakesADraftThatIsNeverOffered) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = a.artifact.key;
    n.is_force_update = true;
    const ReleaseVersion v = create(n);
    ASSERT_TRUE(check(100).need_update);

    VersionPatch p;
    p.artifact_key = std::optional<std::string>();
    auto draft = service_.patch(v.id, p, std::nullopt);
    ASSERT_TRUE(draft.ok()) << draft.error().message;
    EXPECT_TRUE(draft->is_draft());
    const UpdateCheck c = check(100);
    EXPECT_FALSE(c.need_update);
    EXPECT_FALSE(c.force_update);
    auto link = service_.download(v.id);
    ASSERT_FALSE(link.ok());
    EXPECT_EQ(link.error().code, ErrorCode::NotFound);

    // The same through externalUrl.
    const ReleaseVersion w = create(new_version(300));
    ASSERT_TRUE(check(100).need_update);
    VersionPatch q;
    q.external_url = std::optional<std::string>();
    ASSERT_TRUE(service_.patch(w.id, q, 1).ok());
    EXPECT_FALSE(check(100).need_update);
}

TEST_F(ReleaseServiceTest, PatchOntoAnExistingVersionIsConflict) {
    create(new_version(210));
    const ReleaseVersion other = create(new_version(220));
    VersionPatch p;
    p.version_code = 210;
    auto r = service_.patch(other.id, p, std::nullopt);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Conflict);
}

TEST(ReleaseServiceConcurrency, PatchWithoutIfMatchMergesOntoAConcurrentWrite) {
    ManualClock clock(kT0);
    MemoryVersionRepository inner;
    HookedRepository repo(inner);
    FakeArtifactStore store;
    ReleaseService service(repo, store, clock);
    auto v = service.create(new_version(210));
    ASSERT_TRUE(v.ok());

    // Another admin changes the changelog between our read and our write.
    bool interfered = false;
    repo.before_update = [&] {
        if (interfered) {
            return;
        }
        interfered = true;
        ReleaseVersion theirs = *inner.get(v->id);
        theirs.changelog = "theirs";
        ASSERT_TRUE(inner.update(theirs, theirs.revision).ok());
    };
    VersionPatch p;
    p.version_name = "mine";
    auto r = service.patch(v->id, p, std::nullopt);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r->version_name, "mine");
    EXPECT_EQ(r->changelog, "theirs");  // not lost
    EXPECT_EQ(r->revision, 3);

    // With If-Match the same race is a 412, and nothing of ours is written.
    interfered = false;
    p.version_name = "mine again";
    auto stale = service.patch(v->id, p, 3);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().code, ErrorCode::PreconditionFailed);
    EXPECT_EQ(inner.get(v->id)->version_name, "mine");
}

// --- toggle ------------------------------------------------------------------------

TEST_F(ReleaseServiceTest, ToggleFlipsIsEnabledAndTheUpdateCheckFollows) {
    const ReleaseVersion v = create(new_version(210));
    ASSERT_TRUE(check(100).need_update);
    auto off = service_.toggle(v.id, std::nullopt);
    ASSERT_TRUE(off.ok());
    EXPECT_FALSE(off->is_enabled);
    EXPECT_EQ(off->revision, 2);
    EXPECT_FALSE(check(100).need_update);
    auto on = service_.toggle(v.id, 2);
    ASSERT_TRUE(on.ok());
    EXPECT_TRUE(on->is_enabled);
    EXPECT_EQ(on->revision, 3);
    EXPECT_TRUE(check(100).need_update);

    auto stale = service_.toggle(v.id, 2);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().code, ErrorCode::PreconditionFailed);
    EXPECT_TRUE(service_.get(v.id)->is_enabled);
    auto missing = service_.toggle(4242, std::nullopt);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, ErrorCode::NotFound);
}

// --- delete ------------------------------------------------------------------------

TEST_F(ReleaseServiceTest, DeleteChecksIfMatch) {
    const ReleaseVersion v = create(new_version(210));
    auto stale = service_.remove(v.id, 7);
    ASSERT_FALSE(stale.ok());
    EXPECT_EQ(stale.error().code, ErrorCode::PreconditionFailed);
    EXPECT_TRUE(service_.get(v.id).ok());
    auto gone = service_.remove(v.id, 1);
    ASSERT_TRUE(gone.ok());
    EXPECT_EQ(gone->version.id, v.id);
    EXPECT_FALSE(gone->artifact_removed);
    EXPECT_EQ(service_.get(v.id).error().code, ErrorCode::NotFound);
    auto again = service_.remove(v.id, std::nullopt);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::NotFound);
    EXPECT_FALSE(check(100).need_update);
}

TEST_F(ReleaseServiceTest, DeleteRemovesTheArtifactOnlyWhenNoOtherVersionUsesIt) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = a.artifact.key;
    const ReleaseVersion stable = create(n);
    n.channel = "beta";
    const ReleaseVersion beta = create(n);

    auto first = service_.remove(stable.id, std::nullopt);
    ASSERT_TRUE(first.ok());
    EXPECT_FALSE(first->artifact_removed);
    EXPECT_TRUE(store_.removed().empty());
    EXPECT_TRUE(repo_.get_artifact(a.artifact.key).ok());

    auto last = service_.remove(beta.id, std::nullopt);
    ASSERT_TRUE(last.ok());
    EXPECT_TRUE(last->artifact_removed);
    EXPECT_FALSE(last->artifact_error);
    EXPECT_EQ(store_.removed(), (std::vector<std::string>{a.artifact.key}));
    EXPECT_EQ(repo_.get_artifact(a.artifact.key).error().code, ErrorCode::NotFound);

    // Other artifacts, and versions without one, are left alone.
    const ArtifactRecord b = put(artifact_record('b', Platform::Android, 300));
    const ReleaseVersion plain = create(new_version(300));
    ASSERT_TRUE(service_.remove(plain.id, std::nullopt).ok());
    EXPECT_EQ(store_.removed().size(), 1u);
    EXPECT_TRUE(repo_.get_artifact(b.artifact.key).ok());
}

TEST_F(ReleaseServiceTest, DeleteWhenStorageFailsKeepsTheRecordForTheCleanup) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = a.artifact.key;
    const ReleaseVersion v = create(n);
    store_.fail_remove(true);
    auto r = service_.remove(v.id, std::nullopt);
    ASSERT_TRUE(r.ok());  // the version is gone whatever the storage says
    EXPECT_FALSE(r->artifact_removed);
    ASSERT_TRUE(r->artifact_error);
    EXPECT_EQ(r->artifact_error->code, ErrorCode::Unavailable);
    EXPECT_EQ(service_.get(v.id).error().code, ErrorCode::NotFound);
    EXPECT_TRUE(repo_.get_artifact(a.artifact.key).ok());

    // The cleanup job retries it once the storage answers again.
    store_.fail_remove(false);
    clock_.advance(24h);
    auto cleaned = service_.remove_unreferenced_artifacts();
    ASSERT_TRUE(cleaned.ok());
    EXPECT_EQ(cleaned->removed, 1);
    EXPECT_EQ(store_.removed(), (std::vector<std::string>{a.artifact.key}));
}

TEST_F(ReleaseServiceTest, CleanupRemovesArtifactsUnusedFor24Hours) {
    // Uploaded an hour before kT0, never used.
    const ArtifactRecord idle = put(artifact_record('i', Platform::Android, 1));
    const ArtifactRecord used = put(artifact_record('u', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = used.artifact.key;
    create(n);

    clock_.set(kT0 + 22h);
    auto early = service_.remove_unreferenced_artifacts();
    ASSERT_TRUE(early.ok());
    EXPECT_EQ(early->removed, 0);

    clock_.set(kT0 + 23h);
    auto due = service_.remove_unreferenced_artifacts();
    ASSERT_TRUE(due.ok());
    EXPECT_EQ(due->removed, 1);
    EXPECT_TRUE(due->errors.empty());
    EXPECT_EQ(store_.removed(), (std::vector<std::string>{idle.artifact.key}));
    EXPECT_TRUE(repo_.get_artifact(used.artifact.key).ok());
}

// --- download -----------------------------------------------------------------------

TEST_F(ReleaseServiceTest, DownloadSignsArtifactsAndPassesExternalUrlsThrough) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = a.artifact.key;
    const ReleaseVersion stored = create(n);
    auto link = service_.download(stored.id);
    ASSERT_TRUE(link.ok()) << link.error().message;
    EXPECT_EQ(link->url,
              "https://beacon.test/files/" + a.artifact.key +
                  "?expires=" + std::to_string(to_epoch_ms(kLinkExpiry) / 1000) + "&name=app-release.apk");
    EXPECT_EQ(link->expires_at, kLinkExpiry);

    const ReleaseVersion ext = create(new_version(220));
    auto ext_link = service_.download(ext.id);
    ASSERT_TRUE(ext_link.ok());
    EXPECT_EQ(ext_link->url, "https://example.com/app/220");
    EXPECT_FALSE(ext_link->expires_at);

    NewVersion d = new_version(230);
    d.external_url.reset();
    const ReleaseVersion draft = create(d);
    EXPECT_EQ(service_.download(draft.id).error().code, ErrorCode::NotFound);
    EXPECT_EQ(service_.download(9999).error().code, ErrorCode::NotFound);
}

TEST_F(ReleaseServiceTest, DownloadLinksAreSignedOncePerMinuteAndValidAtLeastTheTtl) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 210));
    NewVersion n = new_version(210);
    n.external_url.reset();
    n.artifact_key = a.artifact.key;
    const ReleaseVersion stored = create(n);
    auto valid_for_ttl = [](const DownloadLink& l, TimePoint now) {
        return l.expires_at && *l.expires_at >= now + 2h && *l.expires_at <= now + 2h + 1min;
    };
    // kT0 is 40 s into its minute: +15 s is the same window, +25 s the next.
    auto first = service_.download(stored.id);
    ASSERT_TRUE(first.ok());
    EXPECT_TRUE(valid_for_ttl(*first, kT0));
    clock_.set(kT0 + 15s);
    auto same = service_.download(stored.id);
    ASSERT_TRUE(same.ok());
    EXPECT_EQ(same->url, first->url);
    EXPECT_TRUE(valid_for_ttl(*same, kT0 + 15s));
    clock_.set(kT0 + 25s);
    auto next = service_.download(stored.id);
    ASSERT_TRUE(next.ok());
    EXPECT_NE(next->url, first->url);
    EXPECT_EQ(*next->expires_at, *first->expires_at + 1min);
    EXPECT_TRUE(valid_for_ttl(*next, kT0 + 25s));
}

// --- update check -------------------------------------------------------------------

TEST_F(ReleaseServiceTest, CheckValidatesPlatformAndCode) {
    auto bad_platform = service_.check("web", std::nullopt, 1, std::nullopt);
    ASSERT_FALSE(bad_platform.ok());
    EXPECT_EQ(bad_platform.error().code, ErrorCode::InvalidArgument);
    EXPECT_TRUE(names_field(bad_platform.error(), "platform"));
    auto bad_code = service_.check("android", std::nullopt, -1, std::nullopt);
    ASSERT_FALSE(bad_code.ok());
    EXPECT_TRUE(names_field(bad_code.error(), "current_version_code"));
    EXPECT_TRUE(service_.check("IOS", std::nullopt, 0, std::nullopt).ok());
}

TEST_F(ReleaseServiceTest, CheckOffersTheHighestCoveredVersionWithItsLink) {
    const ArtifactRecord a = put(artifact_record('a', Platform::Android, 220));
    create(new_version(200));
    NewVersion top = new_version(220);
    top.external_url.reset();
    top.artifact_key = a.artifact.key;
    const ReleaseVersion latest = create(top);
    NewVersion ios = new_version(500, "ios");
    create(ios);

    const UpdateCheck c = check(150, std::nullopt, "Android");
    EXPECT_TRUE(c.need_update);
    EXPECT_FALSE(c.force_update);
    ASSERT_TRUE(c.latest);
    EXPECT_EQ(c.latest->id, latest.id);
    ASSERT_TRUE(c.download);
    EXPECT_EQ(c.download->expires_at, kLinkExpiry);
    EXPECT_NE(c.download->url.find(a.artifact.key), std::string::npos);

    const UpdateCheck none = check(220);
    EXPECT_FALSE(none.need_update);
    EXPECT_FALSE(none.latest);
    EXPECT_FALSE(none.download);

    const UpdateCheck on_ios = check(0, std::nullopt, "ios");
    ASSERT_TRUE(on_ios.latest);
    EXPECT_EQ(on_ios.latest->version_code, 500);
    EXPECT_EQ(on_ios.download->url, "https://example.com/app/500");
    EXPECT_FALSE(on_ios.download->expires_at);
}

TEST_F(ReleaseServiceTest, CheckForcesOnAForcedCandidateOrBelowMinSupported) {
    NewVersion forced = new_version(210);
    forced.is_force_update = true;
    create(forced);
    NewVersion top = new_version(220);
    top.min_supported_version_code = 180;
    create(top);
    EXPECT_TRUE(check(200).force_update);   // 210 is forced and above 200
    EXPECT_FALSE(check(215).force_update);  // only 220 is above, not forced, 215 >= 180
    const UpdateCheck below = check(210);
    EXPECT_FALSE(below.force_update);
    EXPECT_TRUE(check(100).force_update);
}

TEST_F(ReleaseServiceTest, CheckHonoursChannelsAndRollout) {
    NewVersion beta = new_version(300);
    beta.channel = "beta";
    create(beta);
    NewVersion staged = new_version(250);
    staged.rollout_percent = 30;
    const ReleaseVersion s = create(staged);
    create(new_version(220));

    EXPECT_EQ(offered(check(100)), 220);  // no installId: only 100 % versions
    EXPECT_EQ(offered(check(100, std::nullopt, "android", "beta")), 300);
    EXPECT_FALSE(check(100, std::nullopt, "android", "nightly").need_update);
    int inside = 0;
    for (int i = 0; i < 200; ++i) {
        const std::string install = "install-" + std::to_string(i);
        const UpdateCheck c = check(100, install);
        const bool covered = rollout_bucket(install, s.id) < 30;
        EXPECT_EQ(offered(c), covered ? 250 : 220) << install;
        inside += covered ? 1 : 0;
    }
    EXPECT_GT(inside, 20);
    EXPECT_LT(inside, 110);
}

// --- snapshot -----------------------------------------------------------------------

TEST(ReleaseServiceSnapshot, StartsEmptyUntilLoaded) {
    ManualClock clock(kT0);
    MemoryVersionRepository repo;
    FakeArtifactStore store;
    ReleaseVersion v;
    v.version_code = 210;
    v.version_name = "2.1.0";
    v.external_url = "https://example.com/";
    ASSERT_TRUE(repo.create(v).ok());

    ReleaseService service(repo, store, clock);
    EXPECT_FALSE(service.snapshot_revision());
    EXPECT_FALSE(service.check("android", std::nullopt, 1, std::nullopt)->need_update);
    ASSERT_TRUE(service.reload().ok());
    EXPECT_EQ(service.snapshot_revision(), 1);
    EXPECT_TRUE(service.check("android", std::nullopt, 1, std::nullopt)->need_update);
}

TEST(ReleaseServiceSnapshot, RebuiltAfterEveryWriteOnThisInstance) {
    ManualClock clock(kT0);
    MemoryVersionRepository repo;
    FakeArtifactStore store;
    ReleaseService service(repo, store, clock);
    ASSERT_TRUE(service.reload().ok());
    const int loads = repo.catalog_loads_for_test();
    auto v = service.create(new_version(210));
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(repo.catalog_loads_for_test(), loads + 1);
    EXPECT_EQ(service.snapshot_revision(), *repo.catalog_revision());
    EXPECT_TRUE(service.check("android", std::nullopt, 1, std::nullopt)->need_update);
    VersionPatch p;
    p.version_code = 211;
    ASSERT_TRUE(service.patch(v->id, p, std::nullopt).ok());
    EXPECT_EQ(offered(service.check("android", std::nullopt, 1, std::nullopt)), 211);
}

TEST(ReleaseServiceSnapshot, RefreshIfStalePicksUpAnotherReplicasWrite) {
    ManualClock clock(kT0);
    MemoryVersionRepository shared;  // the one database behind both replicas
    FakeArtifactStore store;
    ReleaseService replica_a(shared, store, clock);
    ReleaseService replica_b(shared, store, clock);
    ASSERT_TRUE(replica_a.reload().ok());
    ASSERT_TRUE(replica_b.reload().ok());

    auto v = replica_a.create(new_version(210));
    ASSERT_TRUE(v.ok());
    EXPECT_TRUE(replica_a.check("android", std::nullopt, 1, std::nullopt)->need_update);
    EXPECT_FALSE(replica_b.check("android", std::nullopt, 1, std::nullopt)->need_update);  // not yet

    auto refreshed = replica_b.refresh_if_stale();
    ASSERT_TRUE(refreshed.ok());
    EXPECT_TRUE(*refreshed);
    EXPECT_TRUE(replica_b.check("android", std::nullopt, 1, std::nullopt)->need_update);

    // Nothing changed: a revision read, no catalog load.
    const int loads = shared.catalog_loads_for_test();
    auto idle = replica_b.refresh_if_stale();
    ASSERT_TRUE(idle.ok());
    EXPECT_FALSE(*idle);
    EXPECT_EQ(shared.catalog_loads_for_test(), loads);

    // Toggles and deletes travel the same way.
    ASSERT_TRUE(replica_a.toggle(v->id, std::nullopt).ok());
    ASSERT_TRUE(*replica_b.refresh_if_stale());
    EXPECT_FALSE(replica_b.check("android", std::nullopt, 1, std::nullopt)->need_update);
    ASSERT_TRUE(replica_a.toggle(v->id, std::nullopt).ok());
    ASSERT_TRUE(replica_a.remove(v->id, std::nullopt).ok());
    ASSERT_TRUE(*replica_b.refresh_if_stale());
    EXPECT_FALSE(replica_b.check("android", std::nullopt, 1, std::nullopt)->need_update);
}

TEST(ReleaseServiceSnapshot, AFailedRebuildIsRetriedByTheNextRefresh) {
    ManualClock clock(kT0);
    MemoryVersionRepository inner;
    HookedRepository repo(inner);
    FakeArtifactStore store;
    ReleaseService service(repo, store, clock);
    ASSERT_TRUE(service.reload().ok());

    repo.fail_load_catalog = true;
    auto v = service.create(new_version(210));
    ASSERT_TRUE(v.ok());  // the write stands
    EXPECT_FALSE(service.check("android", std::nullopt, 1, std::nullopt)->need_update);
    auto failed = service.refresh_if_stale();
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ErrorCode::Unavailable);

    repo.fail_load_catalog = false;
    auto refreshed = service.refresh_if_stale();
    ASSERT_TRUE(refreshed.ok());
    EXPECT_TRUE(*refreshed);
    EXPECT_TRUE(service.check("android", std::nullopt, 1, std::nullopt)->need_update);
}

TEST(ReleaseServiceSnapshot, ACheckResultOutlivesLaterRebuilds) {
    ManualClock clock(kT0);
    MemoryVersionRepository repo;
    FakeArtifactStore store;
    ReleaseService service(repo, store, clock);
    auto v = service.create(new_version(210));
    ASSERT_TRUE(v.ok());
    auto held = service.check("android", std::nullopt, 1, std::nullopt);
    ASSERT_TRUE(held.ok() && held->latest);
    ASSERT_TRUE(service.remove(v->id, std::nullopt).ok());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(service.create(new_version(300 + i)).ok());
    }
    EXPECT_EQ(held->latest->version_code, 210);  // still readable (ASan would object otherwise)
    EXPECT_EQ(held->latest->version_name, "v210");
}

TEST(ReleaseServiceSnapshot, ChecksRunConcurrentlyWithAdminWritesAndRefreshes) {
    ManualClock clock(kT0);
    MemoryVersionRepository repo;
    FakeArtifactStore store;
    ReleaseService service(repo, store, clock);
    auto v = service.create(new_version(210));
    ASSERT_TRUE(v.ok());
    std::atomic<bool> stop{false};
    std::atomic<int> bad{0};
    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&, t] {
            int n = 0;
            while (!stop.load() || n < 100) {
                auto c = service.check("android", std::nullopt, 1, "install-" + std::to_string(t * 100000 + n));
                // Only version 210 (enabled or not) and the 3xx ones exist.
                if (!c.ok() || (c->latest && c->latest->version_code != 210 && c->latest->version_code < 300)) {
                    ++bad;
                }
                ++n;
            }
        });
    }
    for (int i = 0; i < 50; ++i) {
        ASSERT_TRUE(service.toggle(v->id, std::nullopt).ok());
        if (i % 10 == 0) {
            ASSERT_TRUE(service.create(new_version(300 + i)).ok());
        }
        ASSERT_TRUE(service.refresh_if_stale().ok());
    }
    stop = true;
    for (auto& t : readers) {
        t.join();
    }
    EXPECT_EQ(bad.load(), 0);
}

}  // namespace
}  // namespace beacon::releases
