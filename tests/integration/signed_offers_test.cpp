// API.md 1.1, "Staleness and signed answers", end to end: forceAfterDays on
// versions and in the update check, signed offers verified by an independent
// Ed25519 (Node's crypto, tools/verify_offer.mjs), the update check's ETag and
// 304, and the start refused for a bad BEACON_SIGNING_KEY_FILE.
#include <sys/stat.h>

#include <fstream>
#include <string>

#include "integration/releases_e2e.hpp"

namespace beacon::e2e {
namespace {

std::filesystem::path verifier_script() {
    return std::filesystem::path(BEACON_SOURCE_DIR) / "tests" / "integration" / "tools" / "verify_offer.mjs";
}

class SignedOffersTest : public ReleasesTest {
protected:
    json::object make(HttpClient& c, const std::string& ch, std::int64_t code, json::object extra = {}) {
        json::object b{{"platform", "android"},
                       {"versionCode", code},
                       {"versionName", std::to_string(code)},
                       {"channel", ch},
                       {"externalUrl", "https://example.com/" + std::to_string(code)}};
        for (auto& kv : extra) {
            b[kv.key()] = kv.value();
        }
        return create_ok(c, b);
    }
    static std::string query(const std::string& ch, std::int64_t current) {
        return "platform=android&channel=" + ch + "&current_version_code=" + std::to_string(current);
    }
};

TEST_F(SignedOffersTest, OffersVerifyWithAnIndependentEd25519UnderThePublishedKey) {
    auto& c = client();
    const std::string ch = channel();
    auto bytes = apk({.package = "com.example.signed", .version_code = 910, .version_name = "9.1", .seed = 91});
    const std::string key = upload_key(c, bytes, "signed.apk");
    ASSERT_FALSE(key.empty());
    create_ok(
        c,
        {{"platform", "android"}, {"versionCode", 910}, {"versionName", "9.1"}, {"channel", ch}, {"artifactKey", key}});
    const std::string base = "http://127.0.0.1:" + std::to_string(shared().port());

    // An artifact (sha256 and fileSize signed) ...
    auto verified = test::run_command("/usr/bin/env", {"node", verifier_script().string(), base, query(ch, 1)});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;
    EXPECT_TRUE(verified.out.starts_with("verified ")) << verified.out << verified.err;

    // ... and an external URL (both empty in the text).
    const std::string ext = channel();
    make(c, ext, 500);
    verified = test::run_command("/usr/bin/env", {"node", verifier_script().string(), base, query(ext, 1)});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

    // The keys: public, no token, one Ed25519 key of 32 bytes.
    auto keys = c.get("/app/version/signing-keys");
    ASSERT_EQ(keys.status, 200) << keys.describe();
    const json::value listed = keys.json();
    const auto& list = listed.at("keys").as_array();
    ASSERT_EQ(list.size(), 1u);
    const auto& k = list[0].as_object();
    EXPECT_EQ(k.at("algorithm").as_string(), "Ed25519");
    EXPECT_EQ(k.at("publicKey").as_string().size(), 43u) << "32 bytes, base64url without padding";
    EXPECT_EQ(k.at("keyId").as_string().size(), 16u);
    auto r = check(c, query(ch, 1));
    const auto& sig = r.at("latest").at("signature").as_object();
    EXPECT_EQ(sig.at("keyId"), k.at("keyId"));
    EXPECT_EQ(sig.at("value").as_string().size(), 86u);
    EXPECT_TRUE(IsProblem(c.post("/app/version/signing-keys", ""), 405, "method-not-allowed"));
}

TEST_F(SignedOffersTest, AnOfferIsSignedOncePerLinkWindow) {
    auto& c = client();
    const std::string ch = channel();
    make(c, ch, 300);
    // Two checks in one window carry the very same signature and signedAt
    // (a window may end between them: then the next two must agree).
    json::object a = check(c, query(ch, 1));
    json::object b = check(c, query(ch, 1));
    if (a.at("latest").at("signature") != b.at("latest").at("signature")) {
        a = b;
        b = check(c, query(ch, 1));
    }
    EXPECT_EQ(a.at("latest").at("signature"), b.at("latest").at("signature"));
    EXPECT_EQ(a.at("latest").at("downloadUrl"), b.at("latest").at("downloadUrl"));
}

TEST_F(SignedOffersTest, UpdateCheckHasAnETagAndAnswersIfNoneMatchWith304) {
    auto& c = client();
    const std::string ch = channel();
    make(c, ch, 300);
    const std::string target = "/app/version/check?" + query(ch, 1);
    auto first = c.get(target);
    ASSERT_EQ(first.status, 200) << first.describe();
    EXPECT_EQ(first.header("Cache-Control").value_or(""), "private, no-cache");
    const std::string etag = first.header("ETag").value_or("");
    ASSERT_TRUE(etag.size() > 2 && etag.front() == '"' && etag.back() == '"') << etag;
    ASSERT_FALSE(etag.starts_with("W/")) << "strong";

    // The signed answer changes once a minute: when it moved between two
    // requests, start again from the new one.
    auto conditional = [&](const std::string& value) {
        auto r = c.get(target, {{"If-None-Match", value}});
        return r;
    };
    auto r = conditional(etag);
    std::string current = etag;
    if (r.status == 200) {
        current = r.header("ETag").value_or("");
        r = conditional(current);
    }
    ASSERT_EQ(r.status, 304) << r.describe();
    EXPECT_EQ(r.header("ETag").value_or(""), current);
    EXPECT_EQ(r.header("Cache-Control").value_or(""), "private, no-cache");
    EXPECT_TRUE(r.body.empty());

    for (const std::string& value : {"\"nope\", " + current, "W/" + current, std::string("*")}) {
        auto again = conditional(value);
        if (again.status == 200) {  // the window moved
            current = again.header("ETag").value_or("");
            continue;
        }
        EXPECT_EQ(again.status, 304) << value << "\n" << again.describe();
    }
    auto other = conditional("\"not-the-etag\"");
    EXPECT_EQ(other.status, 200) << other.describe();
    EXPECT_FALSE(other.body.empty());

    // No update: still an ETag, still 304 on a match.
    auto none = c.get("/app/version/check?" + query(ch, 999));
    ASSERT_EQ(none.status, 200);
    auto none_etag = none.header("ETag").value_or("");
    EXPECT_NE(none_etag, current);
    EXPECT_EQ(c.get("/app/version/check?" + query(ch, 999), {{"If-None-Match", none_etag}}).status, 304);
}

TEST_F(SignedOffersTest, ForceAfterDaysForcesOnceTheVersionIsThatOld) {
    auto& c = client();
    const std::int64_t now = now_ms();
    // Out three days and a minute, with forceAfterDays 3: forced.
    const std::string old_ch = channel();
    auto old_v = make(c, old_ch, 200, {{"forceAfterDays", 3}, {"releasedAt", iso(now - 3 * kDayMs - kMinuteMs)}});
    EXPECT_EQ(old_v.at("forceAfterDays").as_int64(), 3);
    auto r = check(c, query(old_ch, 100));
    EXPECT_TRUE(r.at("needUpdate").as_bool());
    EXPECT_TRUE(r.at("forceUpdate").as_bool());
    // A later, unforced version is the offer; the old one still forces.
    make(c, old_ch, 210);
    r = check(c, query(old_ch, 100));
    EXPECT_EQ(r.at("latest").at("versionCode").as_int64(), 210);
    EXPECT_TRUE(r.at("forceUpdate").as_bool());
    EXPECT_FALSE(check(c, query(old_ch, 200)).at("forceUpdate").as_bool()) << "only versions above the client";

    // Out two days with forceAfterDays 3: not yet.
    const std::string new_ch = channel();
    auto new_v = make(c, new_ch, 200, {{"forceAfterDays", 3}, {"releasedAt", iso(now - 2 * kDayMs)}});
    EXPECT_FALSE(check(c, query(new_ch, 100)).at("forceUpdate").as_bool());
    // PATCH to 1 day: forced; to null: not.
    const std::string path = "/admin/versions/" + std::to_string(new_v.at("id").as_int64());
    auto patch = [&](const std::string& body) {
        test::HttpRequest p{"PATCH", path, admin(), body};
        p.headers.emplace_back("Content-Type", "application/json");
        return c.request(p);
    };
    auto patched = patch(R"({"forceAfterDays": 1})");
    ASSERT_EQ(patched.status, 200) << patched.describe();
    EXPECT_EQ(patched.json().at("forceAfterDays").as_int64(), 1);
    EXPECT_TRUE(check(c, query(new_ch, 100)).at("forceUpdate").as_bool());
    patched = patch(R"({"forceAfterDays": null})");
    ASSERT_EQ(patched.status, 200) << patched.describe();
    EXPECT_TRUE(patched.json().at("forceAfterDays").is_null());
    EXPECT_FALSE(check(c, query(new_ch, 100)).at("forceUpdate").as_bool());
    EXPECT_TRUE(ok_object(c.get(path, admin())).at("forceAfterDays").is_null());

    // Absent means null.
    EXPECT_TRUE(make(c, channel(), 1).at("forceAfterDays").is_null());
}

TEST_F(SignedOffersTest, BadForceAfterDaysIs400NamingTheField) {
    auto& c = client();
    const std::string ch = channel();
    for (const char* bad : {"0", "3651", "-1", "1.5", "\"3\"", "true", "[]"}) {
        auto r = c.post_json("/admin/versions",
                             R"({"platform":"android","versionCode":5,"versionName":"5","channel":")" + ch +
                                 R"(","forceAfterDays":)" + bad + "}",
                             admin());
        EXPECT_TRUE(IsProblem(r, 400, "validation", "forceAfterDays")) << bad << "\n" << r.describe();
    }
    auto v = make(c, ch, 5, {{"forceAfterDays", 3650}});
    EXPECT_EQ(v.at("forceAfterDays").as_int64(), 3650);
    const std::string path = "/admin/versions/" + std::to_string(v.at("id").as_int64());
    for (const char* bad : {"0", "3651", "\"x\""}) {
        test::HttpRequest p{"PATCH", path, admin(), std::string(R"({"forceAfterDays":)") + bad + "}"};
        p.headers.emplace_back("Content-Type", "application/json");
        EXPECT_TRUE(IsProblem(c.request(p), 400, "validation", "forceAfterDays")) << bad;
    }
    EXPECT_EQ(ok_object(c.get(path, admin())).at("forceAfterDays").as_int64(), 3650) << "unchanged";
}

// A start with a bad BEACON_SIGNING_KEY_FILE stops at once, naming it.
TEST_F(SignedOffersTest, BadSigningKeyFileRefusesTheStart) {
    auto serve = [&](const std::map<std::string, std::string>& env) {
        return test::run_command(beacon_binary(),
                                 {"serve", "--listen", "127.0.0.1:0", "--data-dir", (work_.path() / "data").string()},
                                 env,
                                 std::chrono::seconds(20));
    };
    const auto not_pem = work_.path() / "not.pem";
    std::ofstream(not_pem) << "not a key at all\n";
    const auto rsa = work_.path() / "rsa.pem";
    auto made = test::run_command(
        "/usr/bin/env",
        {"openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024", "-out", rsa.string()});
    ASSERT_EQ(made.exit_code, 0) << made.err;
    for (const auto& file : {work_.path() / "missing.pem", not_pem, rsa}) {
        auto r = serve({{"BEACON_JWT_SECRET", kSecret}, {"BEACON_SIGNING_KEY_FILE", file.string()}});
        EXPECT_EQ(r.exit_code, 2) << file << "\n" << r.err;
        EXPECT_NE(r.err.find("BEACON_SIGNING_KEY_FILE"), std::string::npos) << r.err;
        EXPECT_NE(r.err.find(file.filename().string()), std::string::npos) << r.err;
    }
    // Production without the setting.
    auto r = serve({{"BEACON_JWT_SECRET", kSecret}, {"BEACON_DATABASE_URL", "postgres://beacon@127.0.0.1:1/beacon"}});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("BEACON_SIGNING_KEY_FILE is required"), std::string::npos) << r.err;
}

TEST_F(SignedOffersTest, EmbeddedModeGeneratesAPrivateKeyIntoTheDataDir) {
    if (production_mode()) {
        GTEST_SKIP() << "embedded only: production takes its key from BEACON_SIGNING_KEY_FILE";
    }
    auto& server = dedicated();
    const auto path = server.dir() / "data" / "signing-key.pem";
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto c = server.client();
    const auto keys = ok_object(c.get("/app/version/signing-keys"));
    EXPECT_EQ(keys.at("keys").as_array().size(), 1u);
}

// docs/SECURITY.md, rotating without downtime: the next (or previous) offer
// key is published beside the signing one, and tokens of the previous JWT
// secret keep working beside the new secret's, while a third one's do not.
TEST_F(SignedOffersTest, ARotationPublishesTheOtherKeyAndAcceptsThePreviousSecret) {
    const auto signing = work_.path() / "signing.pem";
    const auto next = work_.path() / "next.pem";
    const auto next_pub = work_.path() / "next.pub";
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"openssl", "genpkey", "-algorithm", "ed25519", "-out", signing.string()},
             {"openssl", "genpkey", "-algorithm", "ed25519", "-out", next.string()},
             {"openssl", "pkey", "-in", next.string(), "-pubout", "-out", next_pub.string()}}) {
        auto made = test::run_command("/usr/bin/env", args);
        ASSERT_EQ(made.exit_code, 0) << made.err;
    }
    const std::string new_secret = "rotated-e2e-secret-0123456789abcdef01";
    auto& server = dedicated({},
                             {{"BEACON_JWT_SECRET", new_secret},
                              {"BEACON_JWT_PREVIOUS_SECRET", kSecret},
                              {"BEACON_SIGNING_KEY_FILE", signing.string()},
                              {"BEACON_SIGNING_PUBLIC_KEYS", next_pub.string() + "," + signing.string()}});
    auto c = server.client();

    const auto keys = ok_object(c.get("/app/version/signing-keys"));
    const auto& list = keys.at("keys").as_array();
    ASSERT_EQ(list.size(), 2u) << "the signing key once, then the next one";
    const auto ch = channel();
    create_ok(c,
              {{"platform", "android"},
               {"versionCode", 5},
               {"versionName", "5"},
               {"channel", ch},
               {"externalUrl", "https://example.com/5"}});  // admin(): a token of the previous secret
    auto r = check(c, query(ch, 1));
    EXPECT_EQ(r.at("latest").at("signature").at("keyId"), list[0].at("keyId")) << "signed with the signing key";
    EXPECT_NE(list[1].at("keyId"), list[0].at("keyId"));
    const std::string base = "http://127.0.0.1:" + std::to_string(server.port());
    auto verified = test::run_command("/usr/bin/env", {"node", verifier_script().string(), base, query(ch, 1)});
    EXPECT_EQ(verified.exit_code, 0) << verified.out << verified.err;

    auto token_of = [&](const std::string& secret) {
        auto t = test::run_command(beacon_binary(), {"token", "--admin"}, {{"BEACON_JWT_SECRET", secret}});
        EXPECT_EQ(t.exit_code, 0) << t.err;
        return std::string(t.out.substr(0, t.out.find('\n')));
    };
    EXPECT_EQ(c.get("/admin/versions?platform=android", test::bearer(token_of(new_secret))).status, 200);
    EXPECT_EQ(c.get("/admin/versions?platform=android", test::bearer(token_of(kSecret))).status, 200);
    EXPECT_TRUE(IsProblem(
        c.get("/admin/versions?platform=android", test::bearer(token_of("a-third-secret-0123456789abcdef0123"))),
        401,
        "unauthorized"));
}

}  // namespace
}  // namespace beacon::e2e
