// Releases with S3 storage: s3rver behind the SigV4-verifying proxy
// (tools/test-services/s3.sh). Skipped unless BEACON_TEST_S3_ENDPOINT is set.

#include <cstdlib>

#include "integration/releases_e2e.hpp"

namespace beacon::e2e {
namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v != nullptr && *v != '\0' ? v : fallback;
}

// "http://127.0.0.1:PORT/path?q" -> (PORT, "/path?q"); 0 when not that shape.
std::pair<std::uint16_t, std::string> split_loopback(const std::string& url) {
    const std::string prefix = "http://127.0.0.1:";
    if (!url.starts_with(prefix)) {
        return {0, ""};
    }
    auto slash = url.find('/', prefix.size());
    if (slash == std::string::npos) {
        return {0, ""};
    }
    return {static_cast<std::uint16_t>(std::stoi(url.substr(prefix.size(), slash - prefix.size()))), url.substr(slash)};
}

TEST_F(ReleasesTest, S3StorageUploadCheckDownloadDelete) {
    const std::string endpoint = env_or("BEACON_TEST_S3_ENDPOINT", "");
    if (endpoint.empty()) {
        GTEST_SKIP() << "BEACON_TEST_S3_ENDPOINT is unset (tools/test-services/s3.sh start DIR; source DIR/env)";
    }
    const std::string bucket = env_or("BEACON_TEST_S3_BUCKET", "beacon-test");
    const std::string prefix = "e2e-" + uid("p");
    auto& s = dedicated({},
                        {{"BEACON_STORAGE_URL",
                          "s3://" + bucket + "/" + prefix + "?endpoint=" + endpoint +
                              "&region=" + env_or("BEACON_TEST_S3_REGION", "us-east-1")},
                         {"AWS_ACCESS_KEY_ID", env_or("BEACON_TEST_S3_ACCESS_KEY", "S3RVER")},
                         {"AWS_SECRET_ACCESS_KEY", env_or("BEACON_TEST_S3_SECRET_KEY", "S3RVER")}});
    auto c = s.client();
    auto ch = channel();
    struct Case {
        std::int64_t code;
        std::size_t pad;
    };
    for (Case k : {Case{10, 0}, Case{20, 17u << 20}}) {  // the second takes the multipart path
        SCOPED_TRACE("versionCode " + std::to_string(k.code));
        auto bytes = apk({.package = "com.example.s3",
                          .version_code = k.code,
                          .version_name = "s3",
                          .pad_bytes = k.pad,
                          .seed = static_cast<std::uint64_t>(50 + k.code)});
        auto up = upload_raw(c, bytes, "s3.apk");
        ASSERT_EQ(up.status, 201) << up.describe() << s.process().log();
        auto key = std::string(up.json().at("artifact").at("key").as_string());
        EXPECT_EQ(key, "android/" + test::sha256_hex(bytes) + ".apk");
        auto v = create_ok(c,
                           {{"platform", "android"},
                            {"versionCode", k.code},
                            {"versionName", "s3"},
                            {"channel", ch},
                            {"artifactKey", key}});
        auto r = check(c, "platform=android&channel=" + ch + "&current_version_code=" + std::to_string(k.code - 1));
        ASSERT_TRUE(r.at("needUpdate").as_bool());
        auto url = std::string(r.at("latest").at("downloadUrl").as_string());
        EXPECT_NE(url.find("X-Amz-Signature="), std::string::npos) << url;
        auto [port, target] = split_loopback(url);
        ASSERT_NE(port, 0) << url;
        HttpClient s3(port);
        auto got = s3.get(target);
        ASSERT_EQ(got.status, 200) << got.describe();
        EXPECT_EQ(test::sha256_hex(got.body), test::sha256_hex(bytes));
        EXPECT_EQ(r.at("latest").at("sha256").as_string(), test::sha256_hex(bytes));

        test::HttpRequest del{"DELETE", "/admin/versions/" + std::to_string(v.at("id").as_int64()), admin(), ""};
        ASSERT_EQ(c.request(del).status, 204);
        auto after = s3.get(target);
        EXPECT_EQ(after.status, 404) << "the object is removed\n" << after.describe();
    }
}

}  // namespace
}  // namespace beacon::e2e
