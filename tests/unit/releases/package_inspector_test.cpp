#include "releases/package_inspector.hpp"

#include <algorithm>
#include <random>
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

// API.md 1.1 "Edges": a missing key gives null, never a refusal.
TEST(PackageInspector, PlistWithoutIdentifierIsAnIpaWithNullPackageName) {
    test::TempDir dir;
    for (const auto& [name, plist] : std::initializer_list<std::pair<std::string, std::string>>{
             {"xml", fx::info_plist_xml({})},
             {"empty id", fx::info_plist_xml({{"CFBundleIdentifier", ""}, {"CFBundleVersion", "5"}})},
             {"binary", fx::binary_plist(dir.path(), fx::info_plist_xml({{"CFBundleVersion", "5"}}))}}) {
        const auto ipa = fx::make_zip(dir.path(), "a.ipa", {{"Payload/A.app/Info.plist", plist}});
        auto r = inspect_package(ipa);
        ASSERT_TRUE(r) << name << ": " << r.error().message;
        ASSERT_TRUE(r->has_value()) << name;
        EXPECT_EQ((*r)->platform, Platform::Ios) << name;
        EXPECT_EQ((*r)->package_name, std::nullopt) << name;
        std::filesystem::remove(ipa);
    }
}

TEST(PackageInspector, ManifestWithoutPackageIsAnApkWithNullPackageName) {
    test::TempDir dir;
    const auto manifest = fx::compiled_utf8_xml(dir.path(), "<manifest/>");
    ASSERT_FALSE(manifest.empty());
    const auto apk =
        fx::make_zip(dir.path(), "nopkg.apk", {{"AndroidManifest.xml", std::string(manifest.begin(), manifest.end())}});
    auto r = inspect_package(apk);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->platform, Platform::Android);
    EXPECT_EQ((*r)->package_name, std::nullopt);
    EXPECT_EQ((*r)->version_code, std::nullopt);
}

TEST(PackageInspector, GarbageOrTruncatedPlistIsUnprocessable) {
    test::TempDir dir;
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

// Issue 9 #8: a central-directory entry whose size says "see the ZIP64
// extra field" (0xFFFFFFFF) without one made libzip answer ZIP_ER_NOENT,
// which was taken for a missing file: a 500. Every lie in the directory is
// the archive's fault.
TEST(PackageInspector, LyingCentralDirectoryIsUnprocessable) {
    test::TempDir dir;
    const auto zip = fx::make_zip(dir.path(), "lie.zip", {{"a.txt", "hello world\n"}, {"b.txt", "second"}});
    const auto good = fx::read_file(zip);
    const std::string cdir_magic("PK\x01\x02", 4);
    const auto cd = std::search(good.begin(), good.end(), cdir_magic.begin(), cdir_magic.end());
    ASSERT_NE(cd, good.end());
    const auto at = static_cast<std::size_t>(cd - good.begin());
    // Central directory entry: +20 compressed size, +24 uncompressed size,
    // +42 local header offset (each 4 bytes).
    for (std::size_t field : {20u, 24u, 42u}) {
        auto bytes = good;
        for (std::size_t i = 0; i < 4; ++i) {
            bytes[at + field + i] = 0xFF;
        }
        fx::write_file(dir.path() / "lying.zip", std::string(bytes.begin(), bytes.end()));
        expect_unprocessable(inspect_package(dir.path() / "lying.zip"), "field +" + std::to_string(field));
    }
    // The end record's directory size and offset, too small, too large, huge.
    const std::size_t eocd = good.size() - 22;
    for (std::size_t field : {12u, 16u}) {
        for (std::uint32_t v : {0u, 1u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
            auto bytes = good;
            for (std::size_t i = 0; i < 4; ++i) {
                bytes[eocd + field + i] = static_cast<std::uint8_t>(v >> (8 * i));
            }
            fx::write_file(dir.path() / "lying.zip", std::string(bytes.begin(), bytes.end()));
            expect_unprocessable(inspect_package(dir.path() / "lying.zip"),
                                 "EOCD +" + std::to_string(field) + " = " + std::to_string(v));
        }
    }
}

// Every libzip error on a mangled archive is a 422: flips in the directory
// and in the end record never give Internal or Unavailable.
TEST(PackageInspector, MangledArchivesAreUnprocessableOrFine) {
    test::TempDir dir;
    const auto zip =
        fx::make_zip(dir.path(), "m.zip", {{"a.txt", "hello world\n"}, {"Payload/A.app/Info.plist", ipa_plist("3")}});
    const auto good = fx::read_file(zip);
    std::mt19937 rng(7);
    for (int i = 0; i < 1500; ++i) {
        auto bytes = good;
        for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
            const std::size_t pos = bytes.size() - 1 - rng() % std::min<std::size_t>(bytes.size(), 200);
            bytes[pos] = rng() % 2 ? 0xFF : static_cast<std::uint8_t>(rng());
        }
        fx::write_file(dir.path() / "x.zip", std::string(bytes.begin(), bytes.end()));
        auto r = inspect_package(dir.path() / "x.zip");
        if (!r) {
            EXPECT_EQ(r.error().code, ErrorCode::Unprocessable) << r.error().message;
        }
    }
}

// Text PostgreSQL cannot store never leaves the inspector: a UTF-16 string
// holding U+0000 (which also made libplist's plist_get_string_val abort the
// process), and an "ASCII" string with bytes that are not UTF-8.
TEST(PackageInspector, UnstorableTextInAPlistIsUnprocessable) {
    auto plist_with_id = [](const std::string& id_object) {
        // Root dict {"CFBundleIdentifier": <id_object>}, ref size 1, offset size 1.
        std::string p = "bplist00";
        const std::size_t root = p.size();
        p += std::string("\xD1\x01\x02", 3);
        const std::size_t key = p.size();
        p += "\x5F\x10\x12"
             "CFBundleIdentifier";
        const std::size_t value = p.size();
        p += id_object;
        const std::size_t table = p.size();
        for (std::size_t off : {root, key, value}) {
            p.push_back(static_cast<char>(off));
        }
        p.append(6, '\0');
        p += "\x01\x01";
        for (std::uint64_t v : {std::uint64_t{3}, std::uint64_t{0}, std::uint64_t{table}}) {
            for (int i = 7; i >= 0; --i) {
                p.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
            }
        }
        return p;
    };
    auto parse = [](const std::string& p) {
        return parse_info_plist(std::span(reinterpret_cast<const std::uint8_t*>(p.data()), p.size()));
    };
    auto fine =
        parse(plist_with_id("\x53"
                            "a.b"));
    ASSERT_TRUE(fine) << fine.error().message;
    EXPECT_EQ(fine->package_name, "a.b");

    for (const std::string& bad : {std::string("\x63\x00\x61\x00\x00\x00\x62", 7),  // UTF-16 "a\0b"
                                   std::string("\x53\x61\xFF\x62", 4),              // "a\xFFb"
                                   std::string("\x52\xC0\x80", 3)}) {               // overlong NUL
        auto r = parse(plist_with_id(bad));
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);
        EXPECT_NE(r.error().message.find("CFBundleIdentifier"), std::string::npos) << r.error().message;
    }
}

TEST(PackageInspector, MissingFileIsInternal) {
    auto r = inspect_package("/nonexistent/beacon/upload.bin");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, ErrorCode::Internal);
}

}  // namespace
}  // namespace beacon::releases
