// Releases end to end: uploads, versions, update checks and /files downloads
// against the real binary, with APK/IPA fixtures built by aapt/plistutil/zip.

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "integration/releases_e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------- uploads

TEST_F(ReleasesTest, UploadRawApkDetectsManifestAndReuploadIsIdempotent) {
    auto& c = client();
    auto bytes =
        apk({.package = "com.example.raw", .version_code = 210, .version_name = "2.1.0", .min_sdk = "24", .seed = 11});
    ASSERT_FALSE(bytes.empty());
    auto r = upload_raw(c, bytes, "app-release.apk", "application/vnd.android.package-archive");
    ASSERT_EQ(r.status, 201) << r.describe();
    auto o = r.json().as_object();
    auto sha = test::sha256_hex(bytes);
    const auto& a = o.at("artifact").as_object();
    EXPECT_EQ(a.at("key").as_string(), "android/" + sha + ".apk");
    EXPECT_EQ(a.at("sha256").as_string(), sha);
    EXPECT_EQ(a.at("fileName").as_string(), "app-release.apk");
    EXPECT_EQ(a.at("fileSize").as_int64(), static_cast<std::int64_t>(bytes.size()));
    EXPECT_EQ(a.at("packageName"), json::value("com.example.raw"));
    const auto& d = o.at("detected").as_object();
    EXPECT_EQ(d.at("platform").as_string(), "android");
    EXPECT_EQ(d.at("packageName").as_string(), "com.example.raw");
    EXPECT_EQ(d.at("versionCode").as_int64(), 210);
    EXPECT_EQ(d.at("versionName").as_string(), "2.1.0");
    EXPECT_EQ(d.at("minOsVersion").as_string(), "24");

    // Same bytes again, other name, multipart: 200 with the same body.
    auto odd = apk({.package = "com.example.raw", .version_code = 211, .seed = 18});
    auto named = upload_raw(c, odd, "..\\builds/out/app \"v2\".apk");
    ASSERT_EQ(named.status, 201) << named.describe();
    EXPECT_EQ(named.json().at("artifact").at("fileName").as_string(), "app v2.apk");

    auto again = upload_multipart(c, bytes, "renamed.apk");
    ASSERT_EQ(again.status, 200) << again.describe();
    EXPECT_EQ(again.json(), r.json());
}

TEST_F(ReleasesTest, UploadMultipartLargeApkStreamsAndHashes) {
    auto& c = client();
    auto bytes = apk(
        {.package = "com.example.big", .version_code = 7, .version_name = "0.7", .pad_bytes = 6u << 20, .seed = 12});
    ASSERT_GT(bytes.size(), 6u << 20);
    auto r = upload_multipart(c, bytes, "dir/sub/big app.apk");
    ASSERT_EQ(r.status, 201) << r.describe();
    auto o = r.json().as_object();
    EXPECT_EQ(o.at("artifact").at("sha256").as_string(), test::sha256_hex(bytes));
    EXPECT_EQ(o.at("artifact").at("fileSize").as_int64(), static_cast<std::int64_t>(bytes.size()));
    // Path components are dropped from the stored name.
    EXPECT_EQ(o.at("artifact").at("fileName").as_string(), "big app.apk");
    EXPECT_EQ(o.at("detected").at("versionCode").as_int64(), 7);
}

TEST_F(ReleasesTest, UploadIpaBinaryAndXmlPlist) {
    auto& c = client();
    auto bin = ipa({.bundle_id = "com.example.ipa.bin",
                    .bundle_version = "0042",
                    .short_version = "4.2.0",
                    .min_os = "15.0",
                    .binary_plist = true},
                   "bin.ipa");
    auto r = upload_raw(c, bin, "Bin.ipa", "application/octet-stream");
    ASSERT_EQ(r.status, 201) << r.describe();
    auto d = r.json().at("detected").as_object();
    EXPECT_EQ(r.json().at("artifact").at("key").as_string(), "ios/" + test::sha256_hex(bin) + ".ipa");
    EXPECT_EQ(d.at("platform").as_string(), "ios");
    EXPECT_EQ(d.at("packageName").as_string(), "com.example.ipa.bin");
    EXPECT_EQ(d.at("versionCode").as_int64(), 42);
    EXPECT_EQ(d.at("versionName").as_string(), "4.2.0");
    EXPECT_EQ(d.at("minOsVersion").as_string(), "15.0");

    auto xml = ipa({.bundle_id = "com.example.ipa.xml",
                    .bundle_version = "1.2.3",
                    .short_version = "1.2.3",
                    .min_os = "14.0",
                    .binary_plist = false},
                   "xml.ipa");
    r = upload_multipart(c, xml, "Xml.ipa");
    ASSERT_EQ(r.status, 201) << r.describe();
    d = r.json().at("detected").as_object();
    EXPECT_EQ(d.at("packageName").as_string(), "com.example.ipa.xml");
    EXPECT_TRUE(d.at("versionCode").is_null()) << "non-integer CFBundleVersion";
    EXPECT_EQ(d.at("versionName").as_string(), "1.2.3");

    auto none =
        ipa({.bundle_id = "com.example.ipa.nov", .bundle_version = std::nullopt, .short_version = "9"}, "nov.ipa");
    r = upload_raw(c, none, "nov.ipa");
    ASSERT_EQ(r.status, 201) << r.describe();
    EXPECT_TRUE(r.json().at("detected").at("versionCode").is_null());
}

TEST_F(ReleasesTest, UploadPlainZipNonZipAndTruncatedZip) {
    auto& c = client();
    std::string err;
    auto zp = test::build_plain_zip(work_.path(), "plain.zip", "hello " + uid(), &err);
    ASSERT_TRUE(zp) << err;
    auto zip = test::read_bytes(*zp);
    auto r = upload_raw(c, zip, "plain.zip", "application/zip");
    ASSERT_EQ(r.status, 201) << r.describe();
    EXPECT_EQ(r.json().at("artifact").at("key").as_string(), "other/" + test::sha256_hex(zip) + ".zip");
    EXPECT_TRUE(r.json().at("detected").is_null());

    EXPECT_TRUE(IsProblem(upload_raw(c, "this is not a zip archive " + uid(), "x.apk"), 422, "unprocessable"));
    auto full = apk({.package = "com.example.trunc", .version_code = 3, .seed = 13});
    EXPECT_TRUE(IsProblem(upload_raw(c, full.substr(0, full.size() / 2), "t.apk"), 422, "unprocessable"));
}

TEST_F(ReleasesTest, UploadAuthAndMediaType) {
    auto& c = client();
    auto bytes = apk({.package = "com.example.auth", .version_code = 5, .seed = 14});
    EXPECT_TRUE(IsProblem(upload_raw(c, bytes, "a.apk", "application/octet-stream", {}), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(
        upload_raw(c, bytes, "a.apk", "application/octet-stream", test::bearer(user_token("u1"))), 403, "forbidden"));
    EXPECT_TRUE(IsProblem(upload_raw(c, bytes, "a.apk", "text/plain"), 415, "unsupported-media-type"));
    EXPECT_TRUE(IsProblem(upload_raw(c, bytes, "a.apk", "application/json"), 415, "unsupported-media-type"));
}

TEST_F(ReleasesTest, UploadOverLimitIs413WithLengthAndChunked) {
    auto& s = dedicated({"--max-artifact-bytes", "1M"});
    auto c = s.client();
    auto small = apk({.package = "com.example.small", .version_code = 1, .seed = 15});
    EXPECT_EQ(upload_raw(c, small, "s.apk").status, 201);
    auto big = apk({.package = "com.example.limit", .version_code = 2, .pad_bytes = 2u << 20, .seed = 16});
    EXPECT_TRUE(IsProblem(upload_raw(c, big, "b.apk"), 413, "payload-too-large"));
    EXPECT_TRUE(IsProblem(upload_multipart(c, big, "b.apk"), 413, "payload-too-large"));

    // Content-Length over the limit: answered before the body is sent.
    {
        RawConnection conn(s.port());
        ASSERT_TRUE(conn.connected());
        conn.send("POST /admin/versions/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_token() +
                  "\r\nContent-Type: application/octet-stream\r\nContent-Length: 5000000\r\n\r\n");
        auto res = conn.read_response(10s);
        ASSERT_TRUE(res) << conn.error();
        EXPECT_TRUE(IsProblem(*res, 413, "payload-too-large"));
    }
    // Chunked: refused once the limit is crossed.
    {
        RawConnection conn(s.port());
        ASSERT_TRUE(conn.connected());
        conn.send("POST /admin/versions/upload HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_token() +
                  "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
        std::string chunk = test::random_bytes(64 * 1024, 17);
        char size_line[32];
        std::snprintf(size_line, sizeof size_line, "%zx\r\n", chunk.size());
        for (int i = 0; i < 40; ++i) {  // 2.5 MiB
            if (!conn.send(std::string(size_line) + chunk + "\r\n", 2s)) {
                break;
            }
        }
        conn.send("0\r\n\r\n", 1s);
        auto res = conn.read_response(10s);
        ASSERT_TRUE(res) << conn.error();
        EXPECT_TRUE(IsProblem(*res, 413, "payload-too-large"));
    }
    // The server still works.
    EXPECT_EQ(s.client().get("/healthz").status, 200);
}

// ---------------------------------------------------------------- versions

TEST_F(ReleasesTest, CreateVersionFromDetectedMetadataAndValidation) {
    auto& c = client();
    auto ch = channel();
    auto bytes = apk({.package = "com.example.create", .version_code = 310, .version_name = "3.1.0", .seed = 20});
    auto up = upload_raw(c, bytes, "create.apk");
    ASSERT_EQ(up.status, 201) << up.describe();
    auto det = up.json().at("detected").as_object();
    auto key = std::string(up.json().at("artifact").at("key").as_string());

    json::object body{{"platform", det.at("platform")},
                      {"versionCode", det.at("versionCode")},
                      {"versionName", det.at("versionName")},
                      {"channel", ch},
                      {"artifactKey", key},
                      {"changelog", "fixes"}};
    auto r = create(c, body);
    ASSERT_EQ(r.status, 201) << r.describe();
    EXPECT_EQ(r.header("ETag").value_or(""), "\"1\"");
    auto v = r.json().as_object();
    EXPECT_EQ(v.at("revision").as_int64(), 1);
    EXPECT_EQ(v.at("platform").as_string(), "android");
    EXPECT_EQ(v.at("channel").as_string(), ch);
    EXPECT_EQ(v.at("versionCode").as_int64(), 310);
    EXPECT_EQ(v.at("isEnabled").as_bool(), true);
    EXPECT_EQ(v.at("rolloutPercent").as_int64(), 100);
    EXPECT_EQ(v.at("artifact").at("key").as_string(), key);
    EXPECT_EQ(v.at("artifact").at("packageName").as_string(), "com.example.create");
    auto id = v.at("id").as_int64();

    auto got = c.get("/admin/versions/" + std::to_string(id), admin());
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(got.json(), r.json());
    EXPECT_EQ(got.header("ETag").value_or(""), "\"1\"");

    EXPECT_TRUE(IsProblem(create(c, body), 409, "conflict"));
    auto b = body;
    b["versionCode"] = 311;
    EXPECT_TRUE(IsProblem(create(c, b), 422, "unprocessable")) << "detected code contradicts";
    b = body;
    b["platform"] = "ios";
    EXPECT_TRUE(IsProblem(create(c, b), 422, "unprocessable")) << "detected platform contradicts";
    b = body;
    b["artifactKey"] = "android/" + std::string(64, 'a') + ".apk";
    EXPECT_TRUE(IsProblem(create(c, b), 422, "unprocessable")) << "unknown key";
    b = body;
    b["versionCode"] = 320;
    b.erase("artifactKey");
    b["externalUrl"] = "https://example.com/app";
    b["minSupportedVersionCode"] = 321;
    EXPECT_TRUE(IsProblem(create(c, b), 422, "unprocessable")) << "minSupported above code";
    b = body;
    b["externalUrl"] = "https://example.com/app";
    EXPECT_TRUE(IsProblem(create(c, b), 422, "unprocessable")) << "both artifactKey and externalUrl";
    b = body;
    b["channel"] = "Bad_Channel";
    EXPECT_TRUE(IsProblem(create(c, b), 400, "validation", "channel"));
    b = body;
    b["rolloutPercent"] = 101;
    EXPECT_TRUE(IsProblem(create(c, b), 400, "validation", "rolloutPercent"));
    b = body;
    b["platform"] = "windows";
    EXPECT_TRUE(IsProblem(create(c, b), 400, "validation", "platform"));
    EXPECT_TRUE(IsProblem(c.post_json("/admin/versions", body, test::bearer(user_token("u2"))), 403, "forbidden"));
    EXPECT_TRUE(IsProblem(c.post_json("/admin/versions", body), 401, "unauthorized"));
    EXPECT_TRUE(IsProblem(c.get("/admin/versions/999999999", admin()), 404, "not-found"));
}

TEST_F(ReleasesTest, ListPagesWithoutRepeatsOrSkipsAndFilters) {
    auto& c = client();
    auto ch = channel();
    std::set<std::int64_t> ids;
    for (int i = 0; i < 7; ++i) {
        auto v = create_ok(c,
                           {{"platform", i % 2 ? "ios" : "android"},
                            {"versionCode", 100 + i},
                            {"versionName", "1." + std::to_string(i)},
                            {"channel", ch},
                            {"isEnabled", i != 3},
                            {"externalUrl", "https://example.com/" + std::to_string(i)}});
        ids.insert(v.at("id").as_int64());
    }
    std::set<std::int64_t> seen;
    std::int64_t last_code = INT64_MAX;
    std::string cursor;
    int pages = 0;
    for (; pages < 20; ++pages) {
        auto r = c.get("/admin/versions?channel=" + ch + "&limit=2" + (cursor.empty() ? "" : "&cursor=" + qenc(cursor)),
                       admin());
        ASSERT_EQ(r.status, 200) << r.describe();
        auto o = r.json().as_object();
        for (const auto& v : o.at("versions").as_array()) {
            EXPECT_TRUE(seen.insert(v.at("id").as_int64()).second) << "repeated";
            EXPECT_LT(v.at("versionCode").as_int64(), last_code) << "highest code first";
            last_code = v.at("versionCode").as_int64();
        }
        if (o.at("nextCursor").is_null()) {
            break;
        }
        cursor = std::string(o.at("nextCursor").as_string());
    }
    EXPECT_EQ(seen, ids);
    EXPECT_EQ(pages, 3);

    auto ios = c.get("/admin/versions?channel=" + ch + "&platform=ios", admin()).json().as_object();
    EXPECT_EQ(ios.at("versions").as_array().size(), 3u);
    for (const auto& v : ios.at("versions").as_array()) {
        EXPECT_EQ(v.at("platform").as_string(), "ios");
    }
    auto off = c.get("/admin/versions?channel=" + ch + "&isEnabled=false", admin()).json().as_object();
    ASSERT_EQ(off.at("versions").as_array().size(), 1u);
    EXPECT_EQ(off.at("versions").as_array()[0].at("versionCode").as_int64(), 103);
    EXPECT_TRUE(IsProblem(c.get("/admin/versions?isEnabled=maybe", admin()), 400, "validation", "isEnabled"));
}

TEST_F(ReleasesTest, PatchToggleWithIfMatch) {
    auto& c = client();
    auto ch = channel();
    auto v = create_ok(c,
                       {{"platform", "android"},
                        {"versionCode", 500},
                        {"versionName", "5.0"},
                        {"channel", ch},
                        {"externalUrl", "https://example.com/5"}});
    auto path = "/admin/versions/" + std::to_string(v.at("id").as_int64());
    auto patch = [&](const json::object& body, const std::string& if_match) {
        test::HttpRequest req{"PATCH", path, admin(), json::serialize(body)};
        req.headers.emplace_back("Content-Type", "application/json");
        if (!if_match.empty()) {
            req.headers.emplace_back("If-Match", if_match);
        }
        return c.request(req);
    };
    auto r = patch({{"changelog", "new notes"}, {"rolloutPercent", 50}}, "\"1\"");
    ASSERT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(r.json().at("revision").as_int64(), 2);
    EXPECT_EQ(r.header("ETag").value_or(""), "\"2\"");
    EXPECT_EQ(r.json().at("changelog").as_string(), "new notes");

    EXPECT_TRUE(IsProblem(patch({{"changelog", "stale"}}, "\"1\""), 412, "precondition-failed"));
    auto now = c.get(path, admin()).json();
    EXPECT_EQ(now.at("changelog").as_string(), "new notes");
    EXPECT_EQ(now.at("revision").as_int64(), 2);
    EXPECT_TRUE(IsProblem(patch({{"minSupportedVersionCode", 501}}, ""), 422, "unprocessable"));

    test::HttpRequest toggle{"POST", path + "/toggle", admin(), ""};
    toggle.headers.emplace_back("If-Match", "\"1\"");
    EXPECT_TRUE(IsProblem(c.request(toggle), 412, "precondition-failed"));
    toggle.headers.back().second = "\"2\"";
    auto t = c.request(toggle);
    ASSERT_EQ(t.status, 200) << t.describe();
    EXPECT_FALSE(t.json().at("isEnabled").as_bool());
    EXPECT_EQ(t.json().at("revision").as_int64(), 3);

    test::HttpRequest del{"DELETE", path, admin(), ""};
    del.headers.emplace_back("If-Match", "\"2\"");
    EXPECT_TRUE(IsProblem(c.request(del), 412, "precondition-failed"));
    del.headers.back().second = "\"3\"";
    EXPECT_EQ(c.request(del).status, 204);
    EXPECT_TRUE(IsProblem(c.get(path, admin()), 404, "not-found"));
}

TEST_F(ReleasesTest, DeleteRemovesOnlyUnreferencedArtifacts) {
    auto& c = client();
    auto ch = channel();
    auto bytes = apk({.package = "com.example.del", .version_code = 600, .seed = 21});
    auto key = upload_key(c, bytes, "del.apk");
    ASSERT_FALSE(key.empty());
    auto v1 = create_ok(
        c,
        {{"platform", "android"}, {"versionCode", 600}, {"versionName", "6"}, {"channel", ch}, {"artifactKey", key}});
    auto v2 = create_ok(c,
                        {{"platform", "android"},
                         {"versionCode", 600},
                         {"versionName", "6"},
                         {"channel", ch + "-b"},
                         {"artifactKey", key}});
    auto dl = c.get("/admin/versions/" + std::to_string(v1.at("id").as_int64()) + "/download", admin());
    ASSERT_EQ(dl.status, 302) << dl.describe();
    auto files_url = target_of(dl.header("Location").value_or(""));
    ASSERT_TRUE(files_url.starts_with("/files/" + key + "?expires=")) << files_url;
    EXPECT_EQ(c.get(files_url).status, 200);

    test::HttpRequest del{"DELETE", "/admin/versions/" + std::to_string(v1.at("id").as_int64()), admin(), ""};
    EXPECT_EQ(c.request(del).status, 204);
    auto still = c.get(files_url);
    EXPECT_EQ(still.status, 200) << "still used by the other version";
    EXPECT_EQ(test::sha256_hex(still.body), test::sha256_hex(bytes));
    del.target = "/admin/versions/" + std::to_string(v2.at("id").as_int64());
    EXPECT_EQ(c.request(del).status, 204);
    EXPECT_TRUE(IsProblem(c.get(files_url), 404, "not-found"));
    // and the key is unknown now
    EXPECT_TRUE(IsProblem(create(c,
                                 {{"platform", "android"},
                                  {"versionCode", 601},
                                  {"versionName", "6"},
                                  {"channel", ch},
                                  {"artifactKey", key}}),
                          422,
                          "unprocessable"));
}

TEST_F(ReleasesTest, DownloadRedirectsAndDraftIs404) {
    auto& c = client();
    auto ch = channel();
    auto ext = create_ok(c,
                         {{"platform", "ios"},
                          {"versionCode", 700},
                          {"versionName", "7"},
                          {"channel", ch},
                          {"externalUrl", "https://apps.apple.com/app/id123"}});
    auto r = c.get("/admin/versions/" + std::to_string(ext.at("id").as_int64()) + "/download", admin());
    ASSERT_EQ(r.status, 302);
    EXPECT_EQ(r.header("Location").value_or(""), "https://apps.apple.com/app/id123");
    auto draft = create_ok(
        c,
        {{"platform", "ios"}, {"versionCode", 710}, {"versionName", "7.1"}, {"channel", ch}, {"isForceUpdate", true}});
    EXPECT_TRUE(IsProblem(c.get("/admin/versions/" + std::to_string(draft.at("id").as_int64()) + "/download", admin()),
                          404,
                          "not-found"));
    auto chk = check(c, "platform=ios&current_version_code=1&channel=" + ch);
    EXPECT_EQ(chk.at("latest").at("versionCode").as_int64(), 700) << "a draft is never offered";
    EXPECT_FALSE(chk.at("forceUpdate").as_bool()) << "a forced draft does not force";
}

// ---------------------------------------------------------------- update check

TEST_F(ReleasesTest, UpdateCheckRules) {
    auto& c = client();
    auto ch = channel();
    auto mk = [&](std::int64_t code, json::object extra) {
        json::object b{{"platform", "android"},
                       {"versionCode", code},
                       {"versionName", std::to_string(code)},
                       {"channel", ch},
                       {"externalUrl", "https://example.com/" + std::to_string(code)}};
        for (auto& kv : extra) {
            b[kv.key()] = kv.value();
        }
        return create_ok(c, b);
    };
    mk(100, {});
    mk(110, {{"isForceUpdate", true}});
    auto v120 = mk(120, {{"changelog", "latest"}});
    mk(125, {{"isEnabled", false}});
    mk(130, {{"platform", "ios"}});
    auto q = [&](std::int64_t cur) {
        return check(c, "platform=android&channel=" + ch + "&current_version_code=" + std::to_string(cur));
    };
    auto r = q(105);
    EXPECT_TRUE(r.at("needUpdate").as_bool());
    EXPECT_TRUE(r.at("forceUpdate").as_bool()) << "a skipped forced version forces";
    EXPECT_EQ(r.at("latest").at("versionCode").as_int64(), 120);
    EXPECT_EQ(r.at("latest").at("downloadUrl").as_string(), "https://example.com/120");
    EXPECT_TRUE(r.at("latest").at("downloadUrlExpiresAt").is_null());
    EXPECT_EQ(r.at("latest").at("changelog").as_string(), "latest");
    r = q(110);
    EXPECT_TRUE(r.at("needUpdate").as_bool());
    EXPECT_FALSE(r.at("forceUpdate").as_bool());
    r = q(120);
    EXPECT_FALSE(r.at("needUpdate").as_bool());
    EXPECT_FALSE(r.at("forceUpdate").as_bool());
    EXPECT_TRUE(r.at("latest").is_null());

    // Below minSupported forces; currentVersionCode alias; platform any case.
    test::HttpRequest p{"PATCH",
                        "/admin/versions/" + std::to_string(v120.at("id").as_int64()),
                        admin(),
                        R"({"minSupportedVersionCode": 115})"};
    p.headers.emplace_back("Content-Type", "application/json");
    ASSERT_EQ(c.request(p).status, 200);
    r = check(c, "platform=ANDROID&channel=" + ch + "&currentVersionCode=112");
    EXPECT_TRUE(r.at("forceUpdate").as_bool());
    r = check(c, "platform=android&channel=" + ch + "&currentVersionCode=115");
    EXPECT_FALSE(r.at("forceUpdate").as_bool());
    // Another channel sees none of these; default channel is stable.
    EXPECT_FALSE(
        check(c, "platform=android&channel=" + ch + "-none&current_version_code=1").at("needUpdate").as_bool());

    EXPECT_TRUE(IsProblem(c.get("/app/version/check?platform=web&current_version_code=1"), 400, "validation"));
    EXPECT_TRUE(IsProblem(c.get("/app/version/check?platform=android&current_version_code=-1"),
                          400,
                          "validation",
                          "current_version_code"));
    EXPECT_TRUE(IsProblem(c.get("/app/version/check?platform=android&current_version_code=abc"),
                          400,
                          "validation",
                          "current_version_code"));
    EXPECT_TRUE(IsProblem(c.get("/app/version/check?platform=android"), 400, "validation"));
}

TEST_F(ReleasesTest, RolloutBucketsFollowTheDocumentedHash) {
    auto& c = client();
    auto ch = channel();
    auto v = create_ok(c,
                       {{"platform", "android"},
                        {"versionCode", 900},
                        {"versionName", "9"},
                        {"channel", ch},
                        {"rolloutPercent", 30},
                        {"externalUrl", "https://example.com/9"}});
    auto id = v.at("id").as_int64();
    auto base = "platform=android&channel=" + ch + "&current_version_code=1";
    EXPECT_FALSE(check(c, base).at("needUpdate").as_bool()) << "no installId: only 100% versions cover";
    int covered = 0;
    const int n = 300;
    for (int i = 0; i < n; ++i) {
        auto install = "install-" + std::to_string(i) + "-abcdef";
        bool want = test::expected_bucket(install, id) < 30;
        bool got = check(c, base + "&installId=" + install).at("needUpdate").as_bool();
        EXPECT_EQ(got, want) << install;
        covered += got ? 1 : 0;
    }
    EXPECT_GT(covered, n * 18 / 100);
    EXPECT_LT(covered, n * 42 / 100);
    // A forced version always covers.
    create_ok(c,
              {{"platform", "android"},
               {"versionCode", 890},
               {"versionName", "8.9"},
               {"channel", ch},
               {"rolloutPercent", 0},
               {"isForceUpdate", true},
               {"externalUrl", "https://example.com/89"}});
    auto r = check(c, base);
    EXPECT_TRUE(r.at("needUpdate").as_bool());
    EXPECT_TRUE(r.at("forceUpdate").as_bool());
    EXPECT_EQ(r.at("latest").at("versionCode").as_int64(), 890);
}

// ---------------------------------------------------------------- /files

TEST_F(ReleasesTest, CheckDownloadUrlServesTheAdvertisedBytes) {
    auto& c = client();
    auto ch = channel();
    auto bytes = apk(
        {.package = "com.example.files", .version_code = 800, .version_name = "8.0", .pad_bytes = 200000, .seed = 30});
    auto key = upload_key(c, bytes, "Beacon App 8.apk");
    ASSERT_FALSE(key.empty());
    create_ok(
        c,
        {{"platform", "android"}, {"versionCode", 800}, {"versionName", "8.0"}, {"channel", ch}, {"artifactKey", key}});
    auto r = check(c, "platform=android&channel=" + ch + "&current_version_code=1");
    auto latest = r.at("latest").as_object();
    auto url = std::string(latest.at("downloadUrl").as_string());
    EXPECT_TRUE(url.starts_with("http://127.0.0.1:" + std::to_string(shared().port()) + "/files/")) << url;
    EXPECT_TRUE(latest.at("downloadUrlExpiresAt").is_string());
    EXPECT_EQ(latest.at("fileSize").as_int64(), static_cast<std::int64_t>(bytes.size()));
    auto sha = std::string(latest.at("sha256").as_string());
    EXPECT_EQ(sha, test::sha256_hex(bytes));

    auto target = target_of(url);
    auto full = c.get(target);
    ASSERT_EQ(full.status, 200) << full.describe();
    EXPECT_EQ(test::sha256_hex(full.body), sha);
    EXPECT_EQ(full.header("ETag").value_or(""), "\"" + sha + "\"");
    EXPECT_EQ(full.header("Accept-Ranges").value_or(""), "bytes");
    EXPECT_EQ(full.header("Content-Length").value_or(""), std::to_string(bytes.size()));
    auto cd = full.header("Content-Disposition").value_or("");
    EXPECT_TRUE(cd.starts_with("attachment")) << cd;
    EXPECT_NE(cd.find("Beacon App 8.apk"), std::string::npos) << cd;

    auto part = c.get(target, {{"Range", "bytes=100-199"}});
    ASSERT_EQ(part.status, 206) << part.describe();
    EXPECT_EQ(part.body, bytes.substr(100, 100));
    EXPECT_EQ(part.header("Content-Range").value_or(""), "bytes 100-199/" + std::to_string(bytes.size()));
    auto tail = c.get(target, {{"Range", "bytes=-10"}});
    ASSERT_EQ(tail.status, 206);
    EXPECT_EQ(tail.body, bytes.substr(bytes.size() - 10));
    auto bad = c.get(target, {{"Range", "bytes=" + std::to_string(bytes.size()) + "-"}});
    EXPECT_EQ(bad.status, 416) << bad.describe();
    EXPECT_EQ(bad.header("Content-Type").value_or(""), "application/problem+json");
    EXPECT_EQ(bad.header("Content-Range").value_or(""), "bytes */" + std::to_string(bytes.size()));

    auto head = c.head(target);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("Content-Length").value_or(""), std::to_string(bytes.size()));
    EXPECT_TRUE(head.body.empty());

    // Tampered signature, wrong key, traversal.
    auto tampered = target;
    tampered.back() = tampered.back() == '0' ? '1' : '0';
    EXPECT_TRUE(IsProblem(c.get(tampered), 403, "forbidden"));
    auto q = target.find('?');
    auto other_key = "/files/android/" + std::string(64, 'b') + ".apk" + target.substr(q);
    EXPECT_TRUE(IsProblem(c.get(other_key), 403, "forbidden"));
    std::vector<std::string> evils{"/files/android/..%2f..%2fetc%2fpasswd",
                                   "/files/android/..%2f..%2fetc%2fpasswd" + target.substr(q),
                                   "/files/../../etc/passwd"};
    for (const auto& evil : evils) {
        auto e = c.get(evil);
        EXPECT_TRUE(e.status == 403 || e.status == 404) << evil << "\n" << e.describe();
        EXPECT_EQ(e.body.find("root:"), std::string::npos);
    }
    EXPECT_TRUE(IsProblem(c.get(target.substr(0, q)), 403, "forbidden")) << "no signature";
}

TEST_F(ReleasesTest, ExpiredLinkIs403) {
    auto& s = dedicated({"--presign-ttl", "1s"});
    auto c = s.client();
    auto bytes = apk({.package = "com.example.exp", .version_code = 5, .seed = 31});
    auto key = upload_key(c, bytes, "e.apk");
    auto v = create_ok(c, {{"platform", "android"}, {"versionCode", 5}, {"versionName", "5"}, {"artifactKey", key}});
    auto dl = c.get("/admin/versions/" + std::to_string(v.at("id").as_int64()) + "/download", admin());
    ASSERT_EQ(dl.status, 302);
    auto target = target_of(dl.header("Location").value_or(""));
    std::this_thread::sleep_for(2100ms);
    auto r = c.get(target);
    EXPECT_TRUE(IsProblem(r, 403, "forbidden"));
    EXPECT_NE(r.body.find("expired"), std::string::npos) << r.body;
}

// ---------------------------------------------------------------- replicas

TEST_F(ReleasesTest, VersionCreatedOnOneInstanceIsOfferedByAnotherWithin5s) {
    auto& a = dedicated();
    test::ServerProcess::Options o;
    o.binary = beacon_binary();
    o.data_dir = a.process().data_dir();
    o.work_dir = work_.path();
    o.env = a.env();  // the same secret, and in production mode the same database and Redis
    test::ServerProcess b(o);
    ASSERT_TRUE(b.start()) << b.error() << b.log();
    HttpClient ca = a.client(), cb(b.port());
    EXPECT_FALSE(check(cb, "platform=android&current_version_code=1").at("needUpdate").as_bool());
    auto start = std::chrono::steady_clock::now();
    create_ok(ca,
              {{"platform", "android"},
               {"versionCode", 42},
               {"versionName", "4.2"},
               {"externalUrl", "https://example.com/42"}});
    bool seen = false;
    while (std::chrono::steady_clock::now() - start < 5s) {
        if (check(cb, "platform=android&current_version_code=1").at("needUpdate").as_bool()) {
            seen = true;
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(seen) << "B did not offer A's version within 5 s\n" << b.log();
    EXPECT_EQ(b.stop(), 0);
}

}  // namespace
}  // namespace beacon::e2e

namespace beacon::e2e {
namespace {

// Files waiting in the spool directory (uploads not finished yet).
std::size_t spooled_files(const std::filesystem::path& data_dir) {
    std::error_code ec;
    std::size_t n = 0;
    for (auto it = std::filesystem::directory_iterator(data_dir / "spool", ec);
         !ec && it != std::filesystem::directory_iterator();
         it.increment(ec)) {
        ++n;
    }
    return n;
}

TEST_F(ReleasesTest, InterruptedUploadLeavesNothingBehind) {
    auto& s = dedicated();
    const auto data_dir = s.process().data_dir();
    {
        RawConnection conn(s.port());
        ASSERT_TRUE(conn.connected());
        std::string head = "POST /admin/versions/upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " + admin_token() +
                           "\r\nContent-Type: application/octet-stream\r\nX-File-Name: cut.apk\r\n"
                           "Content-Length: 1048576\r\n\r\n";
        ASSERT_TRUE(conn.send(head));
        ASSERT_TRUE(conn.send(std::string(100 * 1024, 'z')));
        // The spool file exists while the body is arriving.
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (spooled_files(data_dir) == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        EXPECT_EQ(spooled_files(data_dir), 1u);
        conn.close();  // the client goes away mid-body
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (spooled_files(data_dir) != 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(spooled_files(data_dir), 0u) << "the partial upload must be removed";
    std::error_code ec;
    std::size_t stored = 0;
    for (auto it = std::filesystem::recursive_directory_iterator(data_dir / "artifacts", ec);
         !ec && it != std::filesystem::recursive_directory_iterator();
         it.increment(ec)) {
        stored += it->is_regular_file() ? 1 : 0;
    }
    EXPECT_EQ(stored, 0u) << "nothing may be stored from an interrupted upload";
    // And the server still serves.
    auto c = s.client();
    EXPECT_EQ(c.get("/healthz").status, 200);
}

}  // namespace
}  // namespace beacon::e2e

// ---------------------------------------------------------------- edges (issue 9)

namespace beacon::e2e {
namespace {

// One request on a fresh connection, with exactly the Host header given
// (none when empty).
HttpResponse raw_get(std::uint16_t port, const std::string& target, const std::string& host, Headers headers = {}) {
    RawConnection conn(port);
    EXPECT_TRUE(conn.connected()) << conn.error();
    std::string wire = "GET " + target + " HTTP/1.1\r\n";
    if (!host.empty()) {
        wire += "Host: " + host + "\r\n";
    }
    for (const auto& [k, v] : headers) {
        wire += k + ": " + v + "\r\n";
    }
    wire += "Connection: close\r\n\r\n";
    EXPECT_TRUE(conn.send(wire));
    auto res = conn.read_response();
    EXPECT_TRUE(res.has_value()) << conn.error();
    return res ? *res : HttpResponse{};
}

// VmHWM (peak resident memory) of a process, in bytes; reset_peak sets it
// back to the current RSS first (echo 5 > /proc/<pid>/clear_refs).
std::uint64_t peak_rss(pid_t pid, bool reset_peak = false) {
    const std::string dir = "/proc/" + std::to_string(pid);
    if (reset_peak) {
        std::ofstream(dir + "/clear_refs") << "5";
    }
    std::ifstream status(dir + "/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmHWM:")) {
            return std::stoull(line.substr(6)) * 1024;
        }
    }
    return 0;
}

// #15: a last-byte-pos past the end (even past 64 bits) is clamped; a range
// that is not understood is ignored (RFC 9110 §14.2).
TEST_F(ReleasesTest, RangeEdgesFollowRfc9110) {
    auto& c = client();
    auto ch = channel();
    auto bytes = apk({.package = "com.example.range", .version_code = 810, .pad_bytes = 5000, .seed = 40});
    auto key = upload_key(c, bytes, "range.apk");
    ASSERT_FALSE(key.empty());
    create_ok(
        c,
        {{"platform", "android"}, {"versionCode", 810}, {"versionName", "8.1"}, {"channel", ch}, {"artifactKey", key}});
    auto target = target_of(std::string(check(c, "platform=android&channel=" + ch + "&current_version_code=1")
                                            .at("latest")
                                            .at("downloadUrl")
                                            .as_string()));
    const std::string total = std::to_string(bytes.size());

    auto huge = c.get(target, {{"Range", "bytes=0-99999999999999999999"}});
    ASSERT_EQ(huge.status, 206) << huge.describe();
    EXPECT_EQ(huge.header("Content-Range").value_or(""), "bytes 0-" + std::to_string(bytes.size() - 1) + "/" + total);
    EXPECT_EQ(huge.body, bytes);
    auto past = c.get(target, {{"Range", "bytes=10-" + std::to_string(bytes.size() + 1000)}});
    ASSERT_EQ(past.status, 206) << past.describe();
    EXPECT_EQ(past.body, bytes.substr(10));

    for (const char* ignored : {"bytes=--1", "bytes=-", "bytes=5", "bytes=a-b", "bytes=9-3", "pages=0-1"}) {
        auto r = c.get(target, {{"Range", ignored}});
        EXPECT_EQ(r.status, 200) << ignored << "\n" << r.describe();
        EXPECT_EQ(r.body.size(), bytes.size()) << ignored;
        EXPECT_FALSE(r.header("Content-Range").has_value()) << ignored;
    }
    auto beyond = c.get(target, {{"Range", "bytes=99999999999999999999-"}});
    EXPECT_EQ(beyond.status, 416) << beyond.describe();
    EXPECT_EQ(beyond.header("Content-Range").value_or(""), "bytes */" + total);
}

// #16: without BEACON_PUBLIC_URL, a link follows the Host header only when
// it names the address we listen on.
TEST_F(ReleasesTest, LinksFollowTheHostOnlyWhenItNamesUs) {
    auto& c = client();
    auto ch = channel();
    auto bytes = apk({.package = "com.example.host", .version_code = 820, .seed = 41});
    auto key = upload_key(c, bytes, "host.apk");
    ASSERT_FALSE(key.empty());
    auto v = create_ok(
        c,
        {{"platform", "android"}, {"versionCode", 820}, {"versionName", "8.2"}, {"channel", ch}, {"artifactKey", key}});
    const std::string download = "/admin/versions/" + std::to_string(v.at("id").as_int64()) + "/download";
    const std::string check_target = "/app/version/check?platform=android&current_version_code=1&channel=" + ch;
    const std::uint16_t port = shared().port();
    const std::string ours = "http://127.0.0.1:" + std::to_string(port) + "/files/";
    Headers auth{{"Authorization", "Bearer " + admin_token()}};
    for (const std::string& host : {std::string("evil.example.com"),
                                    "evil.example.com:" + std::to_string(port),
                                    std::string("127.0.0.1:9"),
                                    "localhost:" + std::to_string(port),
                                    std::string("127.0.0.1"),
                                    std::string()}) {
        auto r = raw_get(port, download, host, auth);
        ASSERT_EQ(r.status, 302) << host << "\n" << r.describe();
        EXPECT_TRUE(r.header("Location").value_or("").starts_with(ours)) << host << ": " << *r.header("Location");
        auto chk = raw_get(port, check_target, host);
        ASSERT_EQ(chk.status, 200) << chk.describe();
        const std::string url(chk.json().at("latest").at("downloadUrl").as_string());
        EXPECT_TRUE(url.starts_with(ours)) << host << ": " << url;
    }
    auto same = raw_get(port, download, "127.0.0.1:" + std::to_string(port), auth);
    EXPECT_TRUE(same.header("Location").value_or("").starts_with(ours)) << same.describe();
    // The link that comes back works.
    auto got = c.get(target_of(*same.header("Location")));
    EXPECT_EQ(got.status, 200) << got.describe();
    EXPECT_EQ(got.body, bytes);
}

TEST_F(ReleasesTest, LinksOnAWildcardAddressTakeLocalhostOrAnIpLiteral) {
    auto& s = dedicated({"--listen", "0.0.0.0:0"});
    auto c = s.client();
    auto v = create_ok(
        c,
        {{"platform", "android"},
         {"versionCode", 1},
         {"versionName", "1"},
         {"artifactKey", upload_key(c, apk({.package = "com.example.wild", .version_code = 1, .seed = 42}), "w.apk")}});
    const std::string download = "/admin/versions/" + std::to_string(v.at("id").as_int64()) + "/download";
    const std::string p = std::to_string(s.port());
    Headers auth{{"Authorization", "Bearer " + admin_token()}};
    const std::pair<std::string, std::string> cases[] = {
        {"localhost:" + p, "http://localhost:" + p + "/files/"},
        {"10.1.2.3:" + p, "http://10.1.2.3:" + p + "/files/"},
        {"[::1]:" + p, "http://[::1]:" + p + "/files/"},
        {"evil.example.com:" + p, "http://127.0.0.1:" + p + "/files/"},
        {"localhost:1", "http://127.0.0.1:" + p + "/files/"},
    };
    for (const auto& [host, want] : cases) {
        auto r = raw_get(s.port(), download, host, auth);
        ASSERT_EQ(r.status, 302) << host << "\n" << r.describe();
        EXPECT_TRUE(r.header("Location").value_or("").starts_with(want)) << host << ": " << *r.header("Location");
    }
}

TEST_F(ReleasesTest, PublicUrlIsTheBaseWhateverTheHost) {
    auto& s = dedicated({"--public-url", "https://dl.example.com"});
    auto c = s.client();
    auto v = create_ok(
        c,
        {{"platform", "android"},
         {"versionCode", 1},
         {"versionName", "1"},
         {"artifactKey", upload_key(c, apk({.package = "com.example.pub", .version_code = 1, .seed = 43}), "p.apk")}});
    auto r = raw_get(s.port(),
                     "/admin/versions/" + std::to_string(v.at("id").as_int64()) + "/download",
                     "evil.example.com",
                     {{"Authorization", "Bearer " + admin_token()}});
    ASSERT_EQ(r.status, 302) << r.describe();
    EXPECT_TRUE(r.header("Location").value_or("").starts_with("https://dl.example.com/files/")) << r.describe();
}

// #19: /files answers from the link and the file alone. A second instance
// that shares only the artifact directory (its database has never heard of
// the artifact) serves it with the right name and type.
TEST_F(ReleasesTest, FilesNeedNoDatabaseRecord) {
    auto& a = dedicated();
    auto ca = a.client();
    auto bytes = apk({.package = "com.example.nodb", .version_code = 830, .seed = 44});
    auto key = upload_key(ca, bytes, "Beacon \xc3\xa9 App.apk");
    ASSERT_FALSE(key.empty());
    auto v =
        create_ok(ca, {{"platform", "android"}, {"versionCode", 830}, {"versionName", "8.3"}, {"artifactKey", key}});
    auto dl = ca.get("/admin/versions/" + std::to_string(v.at("id").as_int64()) + "/download", admin());
    ASSERT_EQ(dl.status, 302);
    const std::string target = target_of(dl.header("Location").value_or(""));

    auto& b = dedicated({}, {{"BEACON_STORAGE_URL", "file:" + (a.process().data_dir() / "artifacts").string()}});
    auto got = b.client().get(target);
    ASSERT_EQ(got.status, 200) << got.describe();
    EXPECT_EQ(got.body, bytes);
    EXPECT_EQ(got.header("Content-Type").value_or(""), "application/vnd.android.package-archive");
    const std::string cd = got.header("Content-Disposition").value_or("");
    EXPECT_NE(cd.find("filename*=UTF-8''Beacon%20%C3%A9%20App.apk"), std::string::npos) << cd;
    // The name is signed: changing it breaks the link.
    auto renamed = target;
    const auto at = renamed.find("&name=");
    ASSERT_NE(at, std::string::npos) << target;
    renamed.insert(at + 6, "x");
    EXPECT_TRUE(IsProblem(b.client().get(renamed), 403, "forbidden"));
}

// #2: the reference bomb of the issue, in a real IPA, against the real
// binary: refused at once, and the server's memory stays where it was.
TEST_F(ReleasesTest, PlistReferenceBombIsRefusedWithoutMemoryGrowth) {
    auto& s = dedicated();
    auto c = s.client();
    const std::uint64_t before = peak_rss(s.process().pid(), /*reset_peak=*/true);
    ASSERT_GT(before, 0u);
    for (int levels : {22, 40}) {
        auto bomb = ipa({.raw_plist = test::bplist_reference_bomb(levels)}, "bomb" + std::to_string(levels) + ".ipa");
        ASSERT_FALSE(bomb.empty());
        EXPECT_LT(bomb.size(), 8000u);  // the plist is a few hundred bytes; the rest is a 4 KiB executable
        const auto start = std::chrono::steady_clock::now();
        auto r = upload_raw(c, bomb, "bomb.ipa");
        const auto took = std::chrono::steady_clock::now() - start;
        ASSERT_TRUE(IsProblem(r, 422, "unprocessable")) << levels << " levels";
        EXPECT_LT(took, 5s) << levels << " levels";
        const std::uint64_t grew = peak_rss(s.process().pid()) - before;
        ASSERT_LT(grew, 64u << 20) << levels << " levels: the server's peak RSS grew by " << grew << " bytes";
    }
    EXPECT_EQ(c.get("/healthz").status, 200);
}

// #8: a central directory that lies about an entry's size (0xFFFFFFFF, "see
// the ZIP64 field", with none) was a 500.
TEST_F(ReleasesTest, LyingCentralDirectoryIs422) {
    auto& c = client();
    std::string err;
    auto zp = test::build_plain_zip(work_.path(), "lie.zip", "lying " + uid(), &err);
    ASSERT_TRUE(zp) << err;
    auto zip = test::read_bytes(*zp);
    const auto cd = zip.find(std::string("PK\x01\x02", 4));
    ASSERT_NE(cd, std::string::npos);
    for (std::size_t field : {20u, 24u, 42u}) {
        auto lying = zip;
        lying.replace(cd + field, 4, std::string(4, '\xFF'));
        EXPECT_TRUE(IsProblem(upload_raw(c, lying, "lie.zip", "application/zip"), 422, "unprocessable")) << field;
    }
}

// Edges point 5 of API.md 1.1: a missing key is null, never a refusal.
TEST_F(ReleasesTest, IpaWithoutBundleIdentifierIsAcceptedWithNullPackageName) {
    auto& c = client();
    for (bool binary : {true, false}) {
        auto bytes =
            ipa({.bundle_id = std::nullopt, .bundle_version = "7", .short_version = uid("v"), .binary_plist = binary},
                binary ? "noid-bin.ipa" : "noid-xml.ipa");
        auto r = upload_raw(c, bytes, "noid.ipa");
        ASSERT_EQ(r.status, 201) << r.describe();
        const json::value body = r.json();
        const auto& d = body.at("detected").as_object();
        EXPECT_EQ(d.at("platform").as_string(), "ios");
        EXPECT_TRUE(d.at("packageName").is_null()) << r.describe();
        EXPECT_EQ(d.at("versionCode").as_int64(), 7);
        EXPECT_TRUE(body.at("artifact").at("packageName").is_null());
        EXPECT_TRUE(std::string(body.at("artifact").at("key").as_string()).starts_with("ios/"));
    }
}

// #19: text PostgreSQL cannot take (U+0000, invalid UTF-8) never reaches
// it: 400 naming the field for what a request says, 422 for what a package
// says, sanitized file names. (In production mode this runs on PostgreSQL.)
TEST_F(ReleasesTest, UnstorableTextIsRefusedOrCleanedNeverA500) {
    auto& c = client();
    auto ch = channel();
    auto body = [&](json::object extra) {
        json::object o{{"platform", "android"},
                       {"versionCode", 900},
                       {"versionName", "9.0"},
                       {"channel", ch},
                       {"externalUrl", "https://example.com/9"}};
        for (auto& [k, v] : extra) {
            o[k] = v;
        }
        return o;
    };
    const std::string nul("a\0b", 3);
    EXPECT_TRUE(IsProblem(create(c, body({{"versionName", nul}})), 400, "validation", "versionName"));
    EXPECT_TRUE(IsProblem(create(c, body({{"changelog", "notes " + nul}})), 400, "validation", "changelog"));
    EXPECT_TRUE(IsProblem(create(c, body({{"channel", nul}})), 400, "validation", "channel"));
    EXPECT_TRUE(
        IsProblem(create(c, body({{"externalUrl", "https://x.example/" + nul}})), 400, "validation", "externalUrl"));
    auto keyed = body({{"artifactKey", "android/" + std::string(64, 'a') + ".apk" + nul}});
    keyed.erase("externalUrl");
    EXPECT_TRUE(IsProblem(create(c, keyed), 422, "unprocessable", "artifactKey"));
    auto v = create_ok(c, body({}));
    ASSERT_FALSE(v.empty());
    test::HttpRequest patch{"PATCH",
                            "/admin/versions/" + std::to_string(v.at("id").as_int64()),
                            admin(),
                            json::serialize(json::object{{"versionName", nul}})};
    patch.headers.emplace_back("Content-Type", "application/json");
    EXPECT_TRUE(IsProblem(c.request(patch), 400, "validation", "versionName"));
    // Listing with a NUL in a filter is a 400, not a query.
    EXPECT_TRUE(IsProblem(c.get("/admin/versions?channel=a%00b", admin()), 400, "validation", "channel"));

    // File names: cleaned, never refused.
    auto raw = upload_raw(c, apk({.package = "com.example.name1", .version_code = 1, .seed = 45}), "caf\xe9 \xff.apk");
    ASSERT_EQ(raw.status, 201) << raw.describe();
    EXPECT_EQ(raw.json().at("artifact").at("fileName").as_string(), "caf_ _.apk");
    auto multi = upload_multipart(
        c, apk({.package = "com.example.name2", .version_code = 1, .seed = 46}), std::string("x\0y\xc0\x80.apk", 9));
    ASSERT_EQ(multi.status, 201) << multi.describe();
    EXPECT_EQ(multi.json().at("artifact").at("fileName").as_string(), "xy__.apk");

    // A package whose Info.plist holds U+0000 (UTF-16) or bytes that are not
    // UTF-8: 422 naming the key (the UTF-16 NUL used to abort the process
    // inside libplist).
    auto plist_with_version = [](const std::string& object) {
        std::string p = "bplist00";
        const std::size_t root = p.size();
        p += std::string("\xD2\x01\x02\x03\x04", 5);
        const std::size_t k1 = p.size();
        p += "\x5F\x10\x12"
             "CFBundleIdentifier";
        const std::size_t k2 = p.size();
        p += "\x5F\x10\x1A"
             "CFBundleShortVersionString";
        const std::size_t v1 = p.size();
        p += "\x55"
             "a.b.c";
        const std::size_t v2 = p.size();
        p += object;
        const std::size_t table = p.size();
        for (std::size_t off : {root, k1, k2, v1, v2}) {
            p.push_back(static_cast<char>(off));
        }
        p.append(6, '\0');
        p += "\x01\x01";
        for (std::uint64_t x : {std::uint64_t{5}, std::uint64_t{0}, std::uint64_t{table}}) {
            for (int i = 7; i >= 0; --i) {
                p.push_back(static_cast<char>((x >> (8 * i)) & 0xFF));
            }
        }
        return p;
    };
    for (const std::string& bad :
         {std::string("\x63\x00\x31\x00\x00\x00\x32", 7), std::string("\x53\x31\xFF\x32", 4)}) {
        auto bytes = ipa({.raw_plist = plist_with_version(bad)}, "text" + std::to_string(bad.size()) + ".ipa");
        auto r = upload_raw(c, bytes, "t.ipa");
        EXPECT_TRUE(IsProblem(r, 422, "unprocessable"));
        EXPECT_NE(r.body.find("CFBundleShortVersionString"), std::string::npos) << r.body;
    }
    EXPECT_EQ(c.get("/healthz").status, 200);
}

// #9: a process killed mid-upload leaves its spool file; the next start
// removes it before serving, and the hourly cleanup job sweeps what another
// process sharing the directory left.
TEST_F(ReleasesTest, SpoolLeftoversAreSweptAtStartAndByCleanup) {
    auto& s = dedicated();
    const auto spool = s.process().data_dir() / "spool";
    // Files in the spool; with a suffix, only those (an upload's file is
    // created as .new and renamed to .part at once: wait for the .part, so the
    // kill never falls between the two).
    auto count = [&](std::string_view suffix = "") {
        std::error_code ec;
        std::size_t n = 0;
        for (auto it = std::filesystem::directory_iterator(spool, ec);
             !ec && it != std::filesystem::directory_iterator();
             it.increment(ec)) {
            n += it->path().filename().string().ends_with(suffix) ? 1 : 0;
        }
        return n;
    };
    {
        RawConnection conn(s.port());
        ASSERT_TRUE(conn.connected());
        ASSERT_TRUE(conn.send("POST /admin/versions/upload HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer " +
                              admin_token() +
                              "\r\nContent-Type: application/octet-stream\r\nContent-Length: 1048576\r\n\r\n" +
                              std::string(300 * 1024, 'z')));
        auto deadline = std::chrono::steady_clock::now() + 10s;
        while (count(".part") == 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(20ms);
        }
        ASSERT_EQ(count(), 1u);
        ::kill(s.process().pid(), SIGKILL);
        EXPECT_EQ(s.process().wait(), 128 + SIGKILL);
    }
    EXPECT_EQ(count(), 1u) << "a killed process cannot clean up";
    ASSERT_TRUE(s.start()) << s.process().error();
    EXPECT_EQ(count(), 0u) << "swept at start";

    // Another process sharing the directory died mid-upload: the job sweeps.
    test::write_bytes(spool / "upload-00000000deadbeef.part", std::string(4096, 'x'));
    auto c = s.client();
    auto run = ok_object(c.post("/admin/jobs/cleanup/run", "", admin()));
    EXPECT_EQ(run.at("result").at("removedSpoolFiles").as_int64(), 1) << json::serialize(run);
    EXPECT_EQ(count(), 0u);
}

}  // namespace
}  // namespace beacon::e2e
