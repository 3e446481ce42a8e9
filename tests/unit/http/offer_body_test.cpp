// The update check's body cache (http/offer_body): whatever it returns must
// equal the body built afresh, for every field a cached body was built from.
#include "http/offer_body.hpp"

#include <memory>

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

releases::UpdateCheck offer() {
    auto v = std::make_shared<releases::ReleaseVersion>();
    v->id = 7;
    v->version_code = 42;
    v->version_name = "4.2.0";
    v->changelog = "fixes";
    v->revision = 3;
    v->artifact = releases::Artifact{.key = "android/ab.apk", .file_size = 1234, .sha256 = std::string(64, 'a')};
    releases::UpdateCheck c;
    c.need_update = true;
    c.latest = v;
    c.download = releases::DownloadLink{.url = "http://h/files/android/ab.apk?sig=1", .expires_at = TimePoint{}};
    c.signature = releases::OfferSignature{.key_id = "k1", .signed_at = TimePoint{}, .value = "sig-one"};
    return c;
}

void expect_fresh(const releases::UpdateCheck& c) {
    const OfferBody fresh = build_offer_body(c);
    const OfferBody& got = offer_body(c);
    EXPECT_EQ(got.body, fresh.body);
    EXPECT_EQ(got.etag, fresh.etag);
}

TEST(OfferBodyTest, ACachedBodyIsTheBodyBuiltAfresh) {
    releases::UpdateCheck c = offer();
    expect_fresh(c);
    expect_fresh(c);  // now from the cache
    EXPECT_NE(offer_body(c).body.find("\"versionName\":\"4.2.0\""), std::string::npos);
}

TEST(OfferBodyTest, EveryInputOfTheBodyBuildsItAgain) {
    releases::UpdateCheck c = offer();
    expect_fresh(c);
    c.signature->value = "sig-two";  // the next window's signature
    expect_fresh(c);
    c.download->url = "http://h/files/android/ab.apk?sig=2";
    expect_fresh(c);
    c.download->expires_at = TimePoint{} + std::chrono::minutes(5);
    expect_fresh(c);
    c.signature.reset();
    expect_fresh(c);
    c.force_update = true;
    expect_fresh(c);
    auto edited = std::make_shared<releases::ReleaseVersion>(*c.latest);
    edited->version_name = "4.2.1";
    edited->revision = 4;
    c.latest = edited;
    expect_fresh(c);
    EXPECT_NE(offer_body(c).body.find("4.2.1"), std::string::npos);
    edited = std::make_shared<releases::ReleaseVersion>(*c.latest);
    edited->changelog = "same revision, later update";
    edited->updated_at = TimePoint{} + std::chrono::seconds(1);
    c.latest = edited;
    expect_fresh(c);
}

TEST(OfferBodyTest, NoUpdateIsOneBody) {
    releases::UpdateCheck none;
    expect_fresh(none);
    EXPECT_EQ(offer_body(none).body, R"({"needUpdate":false,"forceUpdate":false,"latest":null})");
}

}  // namespace
}  // namespace beacon::http
