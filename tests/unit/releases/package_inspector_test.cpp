#include "releases/package_inspector.hpp"

#include <algorithm>
#include <string>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "support/temp_dir.hpp"

namespace beacon::releases {
namespace {

namespace fx = fixtures;

std::string ipa_plist(const std::string& bundle_version) {
    return fx::info_plist_xml({{"CFBundleIdentifier", "com.example.ios"},
                               {"CFBundleVersion", bundle_version},
                               {"CFBundleShortVersionString", "2.1.0"},
                               {"MinimumOSVersion", "15.0"}});
}

void expect_unprocessable(const Result<std::optional<DetectedPackage>>& r, std::string_view what) {
    ASSERT_FALSE(r) << what;
    EXPECT_EQ(r.error().code, ErrorCode::Unprocessable) << what << ": " << r.error().message;
}

TEST(PackageInspector, DetectsApk) {
    test::TempDir dir;
    const auto apk = fx::build_apk(dir.path(), fx::kSimpleManifest);
    ASSERT_FALSE(apk.empty());
    auto r = inspect_package(apk);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    const DetectedPackage& d = **r;
    EXPECT_EQ(d.platform, Platform::Android);
    EXPECT_EQ(d.package_name, "com.example.app");
    EXPECT_EQ(d.version_code, 210);
    EXPECT_EQ(d.version_name, "2.1.0");
    EXPECT_EQ(d.min_os_version, "24");
}

TEST(PackageInspector, DetectsIpaWithBinaryPlist) {
    test::TempDir dir;
    const std::string plist = fx::binary_plist(dir.path(), ipa_plist("210"));
    ASSERT_EQ(plist.rfind("bplist00", 0), 0u);
    const auto ipa = fx::make_zip(
        dir.path(), "app.ipa", {{"Payload/My App.app/Info.plist", plist}, {"Payload/My App.app/My App", "binary"}});
    ASSERT_FALSE(ipa.empty());
    auto r = inspect_package(ipa);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    const DetectedPackage& d = **r;
    EXPECT_EQ(d.platform, Platform::Ios);
    EXPECT_EQ(d.package_name, "com.example.ios");
    EXPECT_EQ(d.version_code, 210);
    EXPECT_EQ(d.version_name, "2.1.0");
    EXPECT_EQ(d.min_os_version, "15.0");
}

TEST(PackageInspector, DetectsIpaWithXmlPlist) {
    test::TempDir dir;
    const auto ipa = fx::make_zip(dir.path(), "app.ipa", {{"Payload/Demo.app/Info.plist", ipa_plist("1.2.3")}});
    auto r = inspect_package(ipa);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->platform, Platform::Ios);
    EXPECT_EQ((*r)->package_name, "com.example.ios");
    EXPECT_EQ((*r)->version_code, std::nullopt) << "1.2.3 is not a whole number";
    EXPECT_EQ((*r)->version_name, "2.1.0");
}

TEST(PackageInspector, BundleVersionRules) {
    EXPECT_EQ(bundle_version_code("210"), 210);
    EXPECT_EQ(bundle_version_code("000210"), 210);
    EXPECT_EQ(bundle_version_code("0"), 0);
    EXPECT_EQ(bundle_version_code("2147483647"), 2147483647);
    EXPECT_EQ(bundle_version_code("0000000000002147483647"), 2147483647);
    EXPECT_EQ(bundle_version_code("2147483648"), std::nullopt);
    EXPECT_EQ(bundle_version_code("99999999999999999999999"), std::nullopt);
    EXPECT_EQ(bundle_version_code(""), std::nullopt);
    EXPECT_EQ(bundle_version_code("-1"), std::nullopt);
    EXPECT_EQ(bundle_version_code("+1"), std::nullopt);
    EXPECT_EQ(bundle_version_code("1.0"), std::nullopt);
    EXPECT_EQ(bundle_version_code(" 1"), std::nullopt);
    EXPECT_EQ(bundle_version_code("١٢"), std::nullopt);  // non-ASCII digits
}

TEST(PackageInspector, MissingOptionalPlistKeysAreNull) {
    const std::string xml = fx::info_plist_xml({{"CFBundleIdentifier", "com.example.min"}});
    auto d = parse_info_plist(std::span(reinterpret_cast<const std::uint8_t*>(xml.data()), xml.size()));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->package_name, "com.example.min");
    EXPECT_EQ(d->version_code, std::nullopt);
    EXPECT_EQ(d->version_name, std::nullopt);
    EXPECT_EQ(d->min_os_version, std::nullopt);
}

TEST(PackageInspector, PlistWithoutIdentifierOrGarbageIsUnprocessable) {
    test::TempDir dir;
    const auto no_id = fx::make_zip(dir.path(), "a.ipa", {{"Payload/A.app/Info.plist", fx::info_plist_xml({})}});
    expect_unprocessable(inspect_package(no_id), "no CFBundleIdentifier");
    const auto garbage = fx::make_zip(dir.path(), "b.ipa", {{"Payload/B.app/Info.plist", "not a plist at all"}});
    expect_unprocessable(inspect_package(garbage), "garbage plist");
    const std::string bin = fx::binary_plist(dir.path(), ipa_plist("1"));
    const auto cut = fx::make_zip(dir.path(), "c.ipa", {{"Payload/C.app/Info.plist", bin.substr(0, bin.size() / 2)}});
    expect_unprocessable(inspect_package(cut), "truncated binary plist");
}

TEST(PackageInspector, InfoPlistMustBeExactlyOneLevelBelowPayload) {
    test::TempDir dir;
    const std::string plist = ipa_plist("1");
    for (const std::string& name : std::initializer_list<std::string>{"Payload/Info.plist",
                                                                      "Payload/.app/Info.plist",
                                                                      "Payload/A.app/Watch/W.app/Info.plist",
                                                                      "Other/A.app/Info.plist",
                                                                      "Payload/A.bundle/Info.plist",
                                                                      "x/Payload/A.app/Info.plist"}) {
        const auto zip = fx::make_zip(dir.path(), "t.zip", {{name, plist}});
        auto r = inspect_package(zip);
        ASSERT_TRUE(r) << name << ": " << r.error().message;
        EXPECT_FALSE(r->has_value()) << name;
        std::filesystem::remove_all(dir.path() / "t.zip.d");
        std::filesystem::remove(zip);
    }
}

TEST(PackageInspector, PlainZipIsNotDetected) {
    test::TempDir dir;
    const auto zip = fx::make_zip(dir.path(), "plain.zip", {{"readme.txt", "hello"}, {"assets/a.bin", "xyz"}});
    auto r = inspect_package(zip);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->has_value());
}

TEST(PackageInspector, EmptyZipArchiveIsAPlainZip) {
    test::TempDir dir;
    // End-of-central-directory record alone: a valid ZIP with no entries.
    const std::string eocd("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22);
    fx::write_file(dir.path() / "empty.zip", eocd);
    auto r = inspect_package(dir.path() / "empty.zip");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->has_value());
}

TEST(PackageInspector, TextManifestIsAPlainZip) {
    test::TempDir dir;
    const auto zip =
        fx::make_zip(dir.path(), "project.zip", {{"AndroidManifest.xml", std::string(fx::kSimpleManifest)}});
    auto r = inspect_package(zip);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE(r->has_value());
}

TEST(PackageInspector, MalformedBinaryManifestIsUnprocessable) {
    test::TempDir dir;
    const std::string bad("\x03\x00\x08\x00\xff\xff\x00\x00garbage", 15);
    const auto zip = fx::make_zip(dir.path(), "bad.apk", {{"AndroidManifest.xml", bad}});
    expect_unprocessable(inspect_package(zip), "malformed binary manifest");
}

TEST(PackageInspector, NonZipEmptyAndTruncatedFilesAreUnprocessable) {
    test::TempDir dir;
    fx::write_file(dir.path() / "text.bin", "this is not a zip archive, just some text bytes\n");
    expect_unprocessable(inspect_package(dir.path() / "text.bin"), "text");
    fx::write_file(dir.path() / "empty.bin", "");
    expect_unprocessable(inspect_package(dir.path() / "empty.bin"), "empty");

    const auto apk = fx::build_apk(dir.path(), fx::kSimpleManifest);
    const auto bytes = fx::read_file(apk);
    ASSERT_GT(bytes.size(), 100u);
    for (std::size_t n : {bytes.size() / 2, bytes.size() - 10, std::size_t{30}}) {
        fx::write_file(dir.path() / "cut.apk",
                       std::string(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
        expect_unprocessable(inspect_package(dir.path() / "cut.apk"), "truncated to " + std::to_string(n));
    }
}

TEST(PackageInspector, CorruptEntryDataIsUnprocessable) {
    test::TempDir dir;
    // Stored (uncompressed) so the content can be found and damaged: the CRC check fails.
    const std::string manifest = "\x03\x00\x08\x00" + std::string(200, 'M');
    const auto zip = fx::make_zip(dir.path(), "crc.apk", {{"AndroidManifest.xml", manifest}}, /*store=*/true);
    auto bytes = fx::read_file(zip);
    const std::string needle(50, 'M');
    auto at = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
    ASSERT_NE(at, bytes.end());
    *at = 'N';
    fx::write_file(zip, std::string(bytes.begin(), bytes.end()));
    expect_unprocessable(inspect_package(zip), "CRC mismatch");
}

TEST(PackageInspector, OversizedManifestIsRefusedWithoutInflatingIt) {
    test::TempDir dir;
    // 5 MiB that deflate to a few KiB: a small zip bomb.
    std::string huge = "\x03\x00\x08\x00";
    huge.resize(5u << 20, '\0');
    const auto apk = fx::make_zip(dir.path(), "bomb.apk", {{"AndroidManifest.xml", huge}});
    EXPECT_LT(std::filesystem::file_size(apk), 100'000u);
    auto r = inspect_package(apk);
    expect_unprocessable(r, "oversized manifest");
    EXPECT_NE(r.error().message.find("larger than"), std::string::npos);

    std::string plist = ipa_plist("1");
    plist.resize(5u << 20, ' ');
    const auto ipa = fx::make_zip(dir.path(), "bomb.ipa", {{"Payload/A.app/Info.plist", plist}});
    expect_unprocessable(inspect_package(ipa), "oversized plist");
}

TEST(PackageInspector, MissingFileIsInternal) {
    auto r = inspect_package("/nonexistent/beacon/upload.bin");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
}

}  // namespace
}  // namespace beacon::releases
