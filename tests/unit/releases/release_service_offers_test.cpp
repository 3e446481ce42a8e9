// ReleaseService and API.md 1.1 "Staleness and signed answers": forceAfterDays
// through the service (validation, the injected clock), and offers signed once
// per link window with the signature kept beside the cached link.
#include <atomic>
#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "contract/releases/memory_version_repository.hpp"
#include "releases/ed25519_signer.hpp"
#include "releases/release_service.hpp"

namespace beacon::releases {
namespace {

using namespace std::chrono_literals;
using test::MemoryVersionRepository;

// 2026-11-25T09:46:17Z: 17 s into a minute (a link window).
const TimePoint kT0 = std::chrono::floor<std::chrono::minutes>(from_epoch_ms(1'795'600'000'000)) + 17s;
const TimePoint kMinute = std::chrono::floor<std::chrono::minutes>(kT0);

// Host-relative links when there is no public base, as the local store makes them.
class FakeStore final : public ArtifactStore {
public:
    Result<void> put_file(std::string_view, const std::filesystem::path&, std::string_view) override { return ok(); }
    Result<bool> exists(std::string_view) override { return true; }
    Result<void> remove(std::string_view) override { return ok(); }
    Result<SignedUrl> signed_url(std::string_view key,
                                 std::string_view,
                                 std::chrono::seconds ttl,
                                 TimePoint from,
                                 std::string_view public_base_url) override {
        ++signed_links;
        return SignedUrl{std::string(public_base_url) + "/files/" + std::string(key) +
                             "?expires=" + std::to_string(to_epoch_ms(from + ttl) / 1000),
                         from + ttl};
    }
    std::atomic<int> signed_links{0};
};

// Counts the signatures it makes.
class CountingSigner final : public OfferSigner {
public:
    CountingSigner() : inner_(std::move(Ed25519Signer::from_pem(*Ed25519Signer::generate_pem())).value()) {}
    const PublicSigningKey& public_key() const override { return inner_.public_key(); }
    std::string sign(std::string_view message) const override {
        ++count;
        return inner_.sign(message);
    }
    bool verifies(std::string_view message, std::string_view signature) const {
        return ed25519_verify(inner_.raw_public_key(), message, signature);
    }
    mutable std::atomic<int> count{0};

private:
    Ed25519Signer inner_;
};

class OffersTest : public ::testing::Test {
protected:
    explicit OffersTest(std::chrono::seconds ttl = 24h, std::string public_base = "https://beacon.test")
        : service_(repo_, store_, clock_, [&] {
              ReleaseServiceOptions o;
              o.presign_ttl = ttl;
              o.public_base_url = std::move(public_base);
              o.signer = &signer_;
              return o;
          }()) {
        EXPECT_TRUE(service_.reload().ok());
        ArtifactRecord a;
        a.artifact = Artifact{"android/" + std::string(64, 'a') + ".apk",
                              "app.apk",
                              48'211'331,
                              std::string(64, 'a'),
                              "application/vnd.android.package-archive",
                              {}};
        a.created_at = kT0;
        EXPECT_TRUE(repo_.put_artifact(a).ok());
        artifact_key_ = a.artifact.key;
    }

    ReleaseVersion create(std::int64_t code, std::string channel = "stable", bool artifact = true) {
        NewVersion n;
        n.platform = "android";
        n.version_code = code;
        n.version_name = "v" + std::to_string(code);
        n.channel = std::move(channel);
        if (artifact) {
            n.artifact_key = artifact_key_;
        } else {
            n.external_url = "https://apps.example.com/" + std::to_string(code);
        }
        auto r = service_.create(n);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : ReleaseVersion{};
    }

    UpdateCheck check(std::string channel = "stable", std::string_view base = {}) {
        auto r = service_.check("android", channel, 1, std::nullopt, base);
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? *r : UpdateCheck{};
    }

    // Whether the check's signature verifies over the text its fields give.
    bool verifies(const UpdateCheck& c) const {
        if (!c.latest || !c.signature || !c.download) {
            return false;
        }
        OfferFields f;
        f.platform = c.latest->platform;
        f.channel = c.latest->channel;
        f.version_code = c.latest->version_code;
        if (c.latest->artifact) {
            f.sha256 = c.latest->artifact->sha256;
            f.file_size = c.latest->artifact->file_size;
        }
        f.download_url = c.download->url;
        return c.signature->key_id == signer_.public_key().key_id &&
               signer_.verifies(offer_text(f, c.signature->signed_at), c.signature->value);
    }

    ManualClock clock_{kT0};
    MemoryVersionRepository repo_;
    FakeStore store_;
    CountingSigner signer_;
    ReleaseService service_;
    std::string artifact_key_;
};

TEST_F(OffersTest, AnOfferIsSignedOncePerWindowFromTheWindowsStart) {
    create(210);
    const UpdateCheck first = check();
    ASSERT_TRUE(first.signature);
    EXPECT_TRUE(verifies(first));
    EXPECT_EQ(first.signature->signed_at, kMinute) << "signedAt is the window's start";
    clock_.advance(20s);
    const UpdateCheck second = check();
    ASSERT_TRUE(second.signature);
    EXPECT_EQ(second.signature->value, first.signature->value);
    EXPECT_EQ(second.signature->signed_at, first.signature->signed_at);
    EXPECT_EQ(second.download->url, first.download->url);
    EXPECT_EQ(signer_.count, 1);
    EXPECT_EQ(store_.signed_links, 1);

    clock_.advance(30s);  // the next minute: a new link and a new signature
    const UpdateCheck next = check();
    ASSERT_TRUE(next.signature);
    EXPECT_EQ(next.signature->signed_at, kMinute + 1min);
    EXPECT_NE(next.signature->value, first.signature->value);
    EXPECT_NE(next.download->url, first.download->url);
    EXPECT_TRUE(verifies(next));
    EXPECT_EQ(signer_.count, 2);
}

TEST_F(OffersTest, VersionsSharingAnArtifactEachGetTheirOwnSignature) {
    create(210, "stable");
    create(210, "beta");
    const UpdateCheck stable = check("stable");
    const UpdateCheck beta = check("beta");
    EXPECT_EQ(stable.download->url, beta.download->url) << "one link";
    EXPECT_NE(stable.signature->value, beta.signature->value) << "the channel is signed";
    EXPECT_TRUE(verifies(stable));
    EXPECT_TRUE(verifies(beta));
    check("stable");
    check("beta");
    EXPECT_EQ(signer_.count, 2);
}

TEST_F(OffersTest, ExternalUrlsAreSignedOncePerWindowToo) {
    create(220, "stable", false);
    const UpdateCheck a = check();
    const UpdateCheck b = check();
    ASSERT_TRUE(a.signature);
    EXPECT_FALSE(a.download->expires_at);
    EXPECT_EQ(a.download->url, "https://apps.example.com/220");
    EXPECT_TRUE(verifies(a));
    EXPECT_EQ(b.signature->value, a.signature->value);
    EXPECT_EQ(signer_.count, 1);
    clock_.advance(1min);
    EXPECT_NE(check().signature->signed_at, a.signature->signed_at);
    EXPECT_EQ(signer_.count, 2);
}

TEST_F(OffersTest, AnEditedVersionIsSignedAgainInTheSameWindow) {
    const ReleaseVersion v = create(210);
    const UpdateCheck before = check();
    VersionPatch p;
    p.version_code = 211;
    ASSERT_TRUE(service_.patch(v.id, p, std::nullopt).ok());
    const UpdateCheck after = check();
    EXPECT_EQ(after.latest->version_code, 211);
    EXPECT_NE(after.signature->value, before.signature->value);
    EXPECT_TRUE(verifies(after));
}

class HostRelativeOffersTest : public OffersTest {
protected:
    HostRelativeOffersTest() : OffersTest(24h, "") {}
};

TEST_F(HostRelativeOffersTest, TheSignedLinkIsTheAbsoluteOneTheClientGets) {
    create(210);
    const UpdateCheck a = check("stable", "http://127.0.0.1:8080");
    EXPECT_TRUE(a.download->url.starts_with("http://127.0.0.1:8080/files/")) << a.download->url;
    EXPECT_TRUE(verifies(a));
    const UpdateCheck b = check("stable", "http://localhost:8080");
    EXPECT_TRUE(b.download->url.starts_with("http://localhost:8080/files/")) << b.download->url;
    EXPECT_TRUE(verifies(b));
    EXPECT_NE(a.signature->value, b.signature->value);
    check("stable", "http://127.0.0.1:8080");
    check("stable", "http://localhost:8080");
    EXPECT_EQ(signer_.count, 2) << "each base signed once per window";
    EXPECT_EQ(store_.signed_links, 1);
}

class ShortTtlOffersTest : public OffersTest {
protected:
    ShortTtlOffersTest() : OffersTest(50s) {}
};

TEST_F(ShortTtlOffersTest, WithoutReuseEveryOfferIsSignedAtTheCheck) {
    create(210);
    const UpdateCheck a = check();
    EXPECT_EQ(a.signature->signed_at, kT0);
    EXPECT_TRUE(verifies(a));
    clock_.advance(1ms);
    const UpdateCheck b = check();
    EXPECT_EQ(b.signature->signed_at, kT0 + 1ms);
    EXPECT_TRUE(verifies(b));
    EXPECT_EQ(signer_.count, 2);
}

TEST(ReleaseServiceOffers, WithoutASignerOffersAreUnsigned) {
    ManualClock clock(kT0);
    MemoryVersionRepository repo;
    FakeStore store;
    ReleaseService service(repo, store, clock);
    NewVersion n;
    n.platform = "android";
    n.version_code = 3;
    n.version_name = "3";
    n.external_url = "https://example.com/3";
    ASSERT_TRUE(service.create(n).ok());
    auto c = service.check("android", std::nullopt, 1, std::nullopt);
    ASSERT_TRUE(c.ok() && c->latest);
    EXPECT_FALSE(c->signature);
    EXPECT_TRUE(service.signing_keys().empty());
}

// A rotation (docs/SECURITY.md): published keys follow the signer's, each keyId once.
TEST(ReleaseServiceOffers, PublishedKeysFollowTheSignersKey) {
    ManualClock clock(kT0);
    MemoryVersionRepository repo;
    FakeStore store;
    auto signer = Ed25519Signer::from_pem(*Ed25519Signer::generate_pem());
    auto other = Ed25519Signer::from_pem(*Ed25519Signer::generate_pem());
    ASSERT_TRUE(signer.ok() && other.ok());
    ReleaseServiceOptions o;
    o.signer = &*signer;
    o.published_keys = {other->public_key(), signer->public_key(), other->public_key()};
    ReleaseService service(repo, store, clock, o);
    const auto keys = service.signing_keys();
    ASSERT_EQ(keys.size(), 2U);
    EXPECT_EQ(keys[0].key_id, signer->public_key().key_id);
    EXPECT_EQ(keys[1].key_id, other->public_key().key_id);
    EXPECT_EQ(keys[1].public_key, other->public_key().public_key);
}

// --- forceAfterDays ------------------------------------------------------------

TEST_F(OffersTest, ForceAfterDaysIsOneTo3650OrNone) {
    for (std::int64_t bad : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{3651}, std::int64_t{1} << 40}) {
        NewVersion n;
        n.platform = "android";
        n.version_code = 5;
        n.version_name = "5";
        n.force_after_days = bad;
        auto r = service_.create(n);
        ASSERT_FALSE(r.ok()) << bad;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        ASSERT_EQ(r.error().fields.size(), 1u);
        EXPECT_EQ(r.error().fields[0].field, "forceAfterDays");
    }
    NewVersion n;
    n.platform = "android";
    n.version_code = 5;
    n.version_name = "5";
    n.force_after_days = 3650;
    auto v = service_.create(n);
    ASSERT_TRUE(v.ok());
    EXPECT_EQ(v->force_after_days, 3650);

    VersionPatch p;
    p.force_after_days = std::optional<std::int64_t>(0);
    auto refused = service_.patch(v->id, p, std::nullopt);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().fields.at(0).field, "forceAfterDays");
    p.force_after_days = std::optional<std::int64_t>(1);
    EXPECT_EQ(service_.patch(v->id, p, std::nullopt)->force_after_days, 1);
    p.force_after_days = std::optional<std::int64_t>(std::nullopt);  // null clears
    EXPECT_FALSE(service_.patch(v->id, p, std::nullopt)->force_after_days);
    EXPECT_FALSE(service_.patch(v->id, VersionPatch{}, std::nullopt)->force_after_days) << "absent keeps";
}

TEST_F(OffersTest, ForceAfterDaysFollowsTheInjectedClockToTheMillisecond) {
    NewVersion n;
    n.platform = "android";
    n.version_code = 210;
    n.version_name = "2.1.0";
    n.external_url = "https://example.com/210";
    n.force_after_days = 2;
    n.released_at = kT0;
    ASSERT_TRUE(service_.create(n).ok());
    clock_.set(kT0 + 48h - 1ms);
    auto c = service_.check("android", std::nullopt, 200, std::nullopt);
    ASSERT_TRUE(c.ok() && c->need_update);
    EXPECT_FALSE(c->force_update) << "one millisecond before two days";
    clock_.set(kT0 + 48h);
    EXPECT_TRUE(service_.check("android", std::nullopt, 200, std::nullopt)->force_update) << "exactly two days";
}

}  // namespace
}  // namespace beacon::releases
