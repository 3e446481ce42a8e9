// `beacon release publish` end to end: the binary as a subprocess against a
// running server.

#include "integration/releases_e2e.hpp"

namespace beacon::e2e {
namespace {

using test::run_command;

class ReleaseCliTest : public ReleasesTest {
protected:
    test::CommandResult publish(std::vector<std::string> args) {
        args.insert(args.begin(), {"release", "publish"});
        return run_command(beacon_binary(), args);
    }
    std::string server_url() { return "http://127.0.0.1:" + std::to_string(shared().port()); }
};

TEST_F(ReleaseCliTest, PublishesAnApkAndRefusesDuplicates) {
    auto ch = channel();
    auto bytes = apk({.package = "com.example.cli", .version_code = 210, .version_name = "2.1.0", .seed = 40});
    auto file = work_.path() / "cli.apk";
    test::write_bytes(file, bytes);
    auto r = publish({file.string(),
                      "--server",
                      server_url(),
                      "--token",
                      admin_token(),
                      "--channel",
                      ch,
                      "--changelog",
                      "From the CLI",
                      "--force",
                      "--rollout",
                      "40"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto v = json::parse(r.out).as_object();
    EXPECT_EQ(v.at("platform").as_string(), "android");
    EXPECT_EQ(v.at("channel").as_string(), ch);
    EXPECT_EQ(v.at("versionCode").as_int64(), 210);
    EXPECT_EQ(v.at("versionName").as_string(), "2.1.0");
    EXPECT_EQ(v.at("changelog").as_string(), "From the CLI");
    EXPECT_TRUE(v.at("isForceUpdate").as_bool());
    EXPECT_EQ(v.at("rolloutPercent").as_int64(), 40);
    EXPECT_EQ(v.at("artifact").at("sha256").as_string(), test::sha256_hex(bytes));
    EXPECT_EQ(v.at("artifact").at("fileName").as_string(), "cli.apk");
    auto got = client().get("/admin/versions/" + std::to_string(v.at("id").as_int64()), admin());
    EXPECT_EQ(got.status, 200);

    auto dup = publish({file.string(), "--server", server_url(), "--token", admin_token(), "--channel", ch});
    EXPECT_EQ(dup.exit_code, 1);
    EXPECT_NE(dup.err.find("version 210 of android/" + ch + " exists already"), std::string::npos) << dup.err;
    EXPECT_TRUE(dup.out.empty());
}

TEST_F(ReleaseCliTest, DefaultChannelIsStableAndIpaWorks) {
    auto s = launch();
    ASSERT_TRUE(s);
    auto bytes = ipa({.bundle_id = "com.example.cli.ios", .bundle_version = "77", .short_version = "7.7"}, "cli.ipa");
    auto url = "http://127.0.0.1:" + std::to_string(s->port());
    auto r = publish({(work_.path() / "cli.ipa").string(), "--server", url + "/", "--token", admin_token()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    auto v = json::parse(r.out).as_object();
    EXPECT_EQ(v.at("platform").as_string(), "ios");
    EXPECT_EQ(v.at("channel").as_string(), "stable");
    EXPECT_EQ(v.at("versionCode").as_int64(), 77);
    auto dup = publish({(work_.path() / "cli.ipa").string(), "--server", url, "--token", admin_token()});
    EXPECT_EQ(dup.exit_code, 1);
    EXPECT_NE(dup.err.find("version 77 of ios/stable exists already"), std::string::npos) << dup.err;
}

TEST_F(ReleaseCliTest, ClearErrors) {
    auto file = work_.path() / "plain.zip";
    ASSERT_TRUE(test::build_plain_zip(work_.path(), "plain.zip", "no manifest here " + uid()));
    auto r = publish({file.string(), "--server", server_url(), "--token", admin_token()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cannot read the package's version; is it an APK or IPA?"), std::string::npos) << r.err;

    ipa({.bundle_id = "com.example.cli.nov", .bundle_version = "1.0b", .short_version = "1"}, "nov.ipa");
    r = publish({(work_.path() / "nov.ipa").string(), "--server", server_url(), "--token", admin_token()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cannot read the package's version"), std::string::npos) << r.err;

    auto apkfile = work_.path() / "e.apk";
    test::write_bytes(apkfile, apk({.package = "com.example.cli.err", .version_code = 3, .seed = 41}));
    r = publish({apkfile.string(), "--server", server_url(), "--token", "not-a-token"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("401"), std::string::npos) << r.err;
    r = publish({apkfile.string(), "--server", server_url(), "--token", user_token("cli-user")});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("403"), std::string::npos) << r.err;

    // 422: the channel is valid but the server refuses (bad channel is a 400);
    // a non-zip body is a 422 from the upload.
    auto junk = work_.path() / "junk.apk";
    test::write_bytes(junk, "definitely not a zip");
    r = publish({junk.string(), "--server", server_url(), "--token", admin_token()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("422"), std::string::npos) << r.err;

    // Connection refused: a port nobody listens on (a stopped server's).
    auto gone = launch();
    ASSERT_TRUE(gone);
    auto port = gone->port();
    EXPECT_EQ(gone->process().stop(), 0);
    r = publish({apkfile.string(), "--server", "http://127.0.0.1:" + std::to_string(port), "--token", admin_token()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("cannot reach http://127.0.0.1:" + std::to_string(port)), std::string::npos) << r.err;

    r = publish({(work_.path() / "missing.apk").string(), "--server", server_url(), "--token", admin_token()});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_FALSE(r.err.empty());
}

}  // namespace
}  // namespace beacon::e2e
