#include "releases/android_binary_xml.hpp"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "support/temp_dir.hpp"

namespace beacon::releases {
namespace {

namespace fx = fixtures;
using Bytes = std::vector<std::uint8_t>;

std::uint32_t pool_flags(const Bytes& axml) {
    // The string pool is the first chunk after the 8-byte document header.
    return axml.size() < 28 ? 0 : static_cast<std::uint32_t>(axml[24] | (axml[25] << 8));
}

const AxmlAttribute* attr(const AxmlElement& el, std::string_view name) {
    for (const auto& a : el.attributes) {
        if (a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

// ---- Manifests compiled by aapt -------------------------------------------

TEST(AndroidBinaryXml, ReadsManifestCompiledByAapt) {
    test::TempDir dir;
    const Bytes axml = fx::compiled_manifest(dir.path(), fx::kSimpleManifest);
    ASSERT_FALSE(axml.empty());
    EXPECT_EQ(pool_flags(axml) & 0x100, 0u) << "aapt writes manifests with a UTF-16 pool";
    auto m = parse_android_manifest(axml);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->package, "com.example.app");
    EXPECT_EQ(m->version_code, 210);
    EXPECT_EQ(m->version_name, "2.1.0");
    EXPECT_EQ(m->min_sdk_version, "24");
}

TEST(AndroidBinaryXml, ReadsUtf8StringPool) {
    test::TempDir dir;
    const Bytes axml = fx::compiled_utf8_xml(dir.path(), R"(<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="com.example.utf8" android:versionCode="7" android:versionName="2.1.0-β🚀">
    <uses-sdk android:minSdkVersion="21"/>
</manifest>
)");
    ASSERT_FALSE(axml.empty());
    EXPECT_NE(pool_flags(axml) & 0x100, 0u) << "expected aapt to write a UTF-8 pool here";
    auto m = parse_android_manifest(axml);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->package, "com.example.utf8");
    EXPECT_EQ(m->version_code, 7);
    EXPECT_EQ(m->version_name, "2.1.0-β🚀");
    EXPECT_EQ(m->min_sdk_version, "21");
}

TEST(AndroidBinaryXml, HexCodeReferenceNameAndCodenameSdk) {
    test::TempDir dir;
    const fx::fs::path apk =
        fx::build_apk(dir.path(),
                      R"(<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android"
    package="com.example.hex" android:versionCode="0x00D2" android:versionName="@string/app_version">
    <uses-sdk android:minSdkVersion="Q"/>
    <application android:label="Grüße 🚀" android:debuggable="false"/>
</manifest>
)",
                      {{"values/strings.xml", "<resources><string name=\"app_version\">3.0</string></resources>"}});
    ASSERT_FALSE(apk.empty());
    const Bytes axml = fx::zip_entry(apk, "AndroidManifest.xml");
    auto m = parse_android_manifest(axml);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->package, "com.example.hex");
    EXPECT_EQ(m->version_code, 210);
    EXPECT_EQ(m->version_name, std::nullopt) << "a resource reference cannot be resolved without resources.arsc";
    EXPECT_EQ(m->min_sdk_version, "Q");

    auto doc = parse_binary_xml(axml);
    ASSERT_TRUE(doc);
    ASSERT_GE(doc->size(), 3u);
    const AxmlElement& root = doc->front();
    EXPECT_EQ(root.depth, 1);
    EXPECT_EQ(attr(root, "versionCode")->value.type, AxmlValueType::IntHex);
    EXPECT_EQ(attr(root, "versionCode")->resource_id, 0x0101021bu);
    EXPECT_EQ(attr(root, "versionCode")->ns, kAndroidNamespace);
    EXPECT_EQ(attr(root, "versionName")->value.type, AxmlValueType::Reference);
    EXPECT_EQ(attr(root, "versionName")->value.data >> 24, 0x7fu);
    const AxmlElement& app = (*doc)[2];
    EXPECT_EQ(app.name, "application");
    EXPECT_EQ(app.depth, 2);
    EXPECT_EQ(attr(app, "debuggable")->value.type, AxmlValueType::Boolean);
    EXPECT_EQ(attr(app, "debuggable")->value.data, 0u);
    EXPECT_EQ(attr(app, "label")->value.type, AxmlValueType::String);
    EXPECT_EQ(attr(app, "label")->value.text, "Grüße 🚀");  // a surrogate pair in UTF-16
}

TEST(AndroidBinaryXml, AbsentVersionAndSdkAreNull) {
    test::TempDir dir;
    const Bytes axml = fx::compiled_manifest(dir.path(), R"(<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="com.example.bare">
    <application/>
</manifest>
)");
    auto m = parse_android_manifest(axml);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->package, "com.example.bare");
    EXPECT_EQ(m->version_code, std::nullopt);
    EXPECT_EQ(m->version_name, std::nullopt);
    EXPECT_EQ(m->min_sdk_version, std::nullopt);
}

// API.md 1.1 "Edges": a missing key is null, never a reason to refuse; a
// root that is not <manifest> is not a manifest at all.
TEST(AndroidBinaryXml, RootMustBeManifestButPackageMayBeMissing) {
    test::TempDir dir;
    const Bytes other = fx::compiled_utf8_xml(dir.path(), "<PreferenceScreen/>");
    ASSERT_FALSE(other.empty());
    ASSERT_TRUE(parse_binary_xml(other));
    auto m = parse_android_manifest(other);
    ASSERT_FALSE(m);
    EXPECT_EQ(m.error().code, ErrorCode::Unprocessable);

    test::TempDir dir2;
    const Bytes no_package = fx::compiled_utf8_xml(dir2.path(), "<manifest/>");
    auto m2 = parse_android_manifest(no_package);
    ASSERT_TRUE(m2) << m2.error().message;
    EXPECT_EQ(m2->package, std::nullopt);
    EXPECT_EQ(m2->version_code, std::nullopt);
    EXPECT_EQ(m2->version_name, std::nullopt);
    EXPECT_EQ(m2->min_sdk_version, std::nullopt);
}

TEST(AndroidBinaryXml, RefusesWhatIsNotBinaryXml) {
    for (const std::string& s : {std::string(),
                                 std::string("\x03"),
                                 std::string("<?xml version=\"1.0\"?><manifest/>"),
                                 std::string("\x03\x00\x08\x00\x08\x00\x00\x00", 8),  // no elements
                                 std::string("PK\x03\x04 and so on")}) {
        const Bytes b(s.begin(), s.end());
        auto r = parse_android_manifest(b);
        ASSERT_FALSE(r) << s;
        EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);
    }
}

// ---- Damaged input: errors, never crashes (run under ASan/UBSan) -----------

void set_u32(Bytes& b, std::size_t off, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) {
        b[off + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (8 * i));
    }
}

class DamagedManifest : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        test::TempDir dir;
        utf16_ = new Bytes(fx::compiled_manifest(dir.path(), fx::kSimpleManifest));
        test::TempDir dir2;
        utf8_ = new Bytes(fx::compiled_utf8_xml(dir2.path(), fx::kSimpleManifest));
    }
    static void TearDownTestSuite() {
        delete utf16_;
        delete utf8_;
    }
    static const Bytes& sample(int i) { return i == 0 ? *utf16_ : *utf8_; }

    static Bytes* utf16_;
    static Bytes* utf8_;
};
Bytes* DamagedManifest::utf16_ = nullptr;
Bytes* DamagedManifest::utf8_ = nullptr;

TEST_F(DamagedManifest, TruncationAtEveryOffsetIsAnError) {
    for (int s = 0; s < 2; ++s) {
        const Bytes& full = sample(s);
        ASSERT_GT(full.size(), 100u);
        ASSERT_TRUE(parse_android_manifest(full));
        for (std::size_t n = 0; n < full.size(); ++n) {
            const Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
            EXPECT_FALSE(parse_android_manifest(cut)) << "prefix of " << n << " bytes";
            // Also with the document size patched to match, so the cut reaches
            // the inner chunk parsers instead of the first size check.
            if (n >= 8) {
                Bytes patched = cut;
                set_u32(patched, 4, static_cast<std::uint32_t>(n));
                auto r = parse_android_manifest(patched);
                if (r) {
                    EXPECT_EQ(r->package, "com.example.app");  // only a cut at a chunk boundary parses
                }
            }
        }
    }
}

TEST_F(DamagedManifest, FlippedBytesNeverCrash) {
    for (int s = 0; s < 2; ++s) {
        const Bytes& full = sample(s);
        for (std::size_t i = 0; i < full.size(); ++i) {
            for (std::uint8_t mask : {0x80, 0xFF}) {
                Bytes b = full;
                b[i] ^= mask;
                (void)parse_android_manifest(b);
            }
            for (std::uint8_t v : {0x00}) {
                Bytes b = full;
                b[i] = v;
                (void)parse_android_manifest(b);
            }
        }
    }
}

TEST_F(DamagedManifest, RandomMutationsNeverCrash) {
    std::mt19937 rng(20261125);
    for (int round = 0; round < 8'000; ++round) {
        Bytes b = sample(round % 2);
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int e = 0; e < edits; ++e) {
            const std::size_t at = rng() % b.size();
            switch (rng() % 4) {
                case 0:
                    b[at] = static_cast<std::uint8_t>(rng());
                    break;
                case 1:  // a plausible but wrong u32: small, huge, or near the size
                    if (at + 4 <= b.size()) {
                        const std::uint32_t choices[] = {0,
                                                         1,
                                                         0xFFFFFFFF,
                                                         0x7FFFFFFF,
                                                         static_cast<std::uint32_t>(b.size()),
                                                         static_cast<std::uint32_t>(rng() % (b.size() + 64))};
                        set_u32(b, at, choices[rng() % 6]);
                    }
                    break;
                case 2:
                    b.resize(at + 1);
                    break;
                default:
                    b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng()));
                    break;
            }
        }
        (void)parse_android_manifest(b);
    }
}

// ---- Hand-built hostile documents ------------------------------------------

// A minimal AXML writer: UTF-8 pool of `strings`, then each event.
struct Attr {
    std::uint32_t ns = 0xFFFFFFFF;
    std::uint32_t name = 0;
    std::uint32_t raw = 0xFFFFFFFF;
    std::uint8_t type = 0x03;
    std::uint32_t data = 0;
};
struct Event {
    bool start = true;
    std::uint32_t name = 0;
    std::vector<Attr> attrs;
};

void put16(Bytes& b, std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v));
    b.push_back(static_cast<std::uint8_t>(v >> 8));
}
void put32(Bytes& b, std::uint32_t v) {
    put16(b, v & 0xFFFF);
    put16(b, v >> 16);
}

Bytes build_axml(const std::vector<std::string>& strings, const std::vector<Event>& events) {
    Bytes pool;
    Bytes data;
    std::vector<std::uint32_t> offsets;
    for (const auto& s : strings) {
        offsets.push_back(static_cast<std::uint32_t>(data.size()));
        for (int k = 0; k < 2; ++k) {  // UTF-16 length then byte length (ASCII: equal)
            if (s.size() > 0x7F) {
                data.push_back(static_cast<std::uint8_t>(0x80 | (s.size() >> 8)));
            }
            data.push_back(static_cast<std::uint8_t>(s.size() & (s.size() > 0x7F ? 0xFF : 0x7F)));
        }
        data.insert(data.end(), s.begin(), s.end());
        data.push_back(0);
    }
    while (data.size() % 4 != 0) {
        data.push_back(0);
    }
    const std::uint32_t header = 28;
    const std::uint32_t strings_start = header + 4 * static_cast<std::uint32_t>(strings.size());
    put16(pool, 0x0001);
    put16(pool, header);
    put32(pool, strings_start + static_cast<std::uint32_t>(data.size()));
    put32(pool, static_cast<std::uint32_t>(strings.size()));
    put32(pool, 0);
    put32(pool, 0x100);
    put32(pool, strings_start);
    put32(pool, 0);
    for (auto o : offsets) {
        put32(pool, o);
    }
    pool.insert(pool.end(), data.begin(), data.end());

    Bytes body = pool;
    for (const Event& e : events) {
        if (e.start) {
            put16(body, 0x0102);
            put16(body, 16);
            put32(body, 16 + 20 + 20 * static_cast<std::uint32_t>(e.attrs.size()));
            put32(body, 1);
            put32(body, 0xFFFFFFFF);
            put32(body, 0xFFFFFFFF);
            put32(body, e.name);
            put16(body, 20);
            put16(body, 20);
            put16(body, static_cast<std::uint32_t>(e.attrs.size()));
            put16(body, 0);
            put16(body, 0);
            put16(body, 0);
            for (const Attr& a : e.attrs) {
                put32(body, a.ns);
                put32(body, a.name);
                put32(body, a.raw);
                put16(body, 8);
                body.push_back(0);
                body.push_back(a.type);
                put32(body, a.data);
            }
        } else {
            put16(body, 0x0103);
            put16(body, 16);
            put32(body, 24);
            put32(body, 1);
            put32(body, 0xFFFFFFFF);
            put32(body, 0xFFFFFFFF);
            put32(body, e.name);
        }
    }
    Bytes doc;
    put16(doc, 0x0003);
    put16(doc, 8);
    put32(doc, 8 + static_cast<std::uint32_t>(body.size()));
    doc.insert(doc.end(), body.begin(), body.end());
    return doc;
}

const std::vector<std::string> kStrings = {"manifest",
                                           "package",
                                           "com.example.built",
                                           "versionCode",
                                           std::string(kAndroidNamespace),
                                           "uses-sdk",
                                           "minSdkVersion"};

TEST(AndroidBinaryXml, HandBuiltDocumentParses) {
    // No resource map: android: attributes are matched by namespace and name.
    const Bytes doc = build_axml(kStrings,
                                 {{true, 0, {{0xFFFFFFFF, 1, 2, 0x03, 2}, {4, 3, 0xFFFFFFFF, 0x10, 42}}},
                                  {true, 5, {{4, 6, 0xFFFFFFFF, 0x11, 26}}},
                                  {false, 5, {}},
                                  {false, 0, {}}});
    auto m = parse_android_manifest(doc);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->package, "com.example.built");
    EXPECT_EQ(m->version_code, 42);
    EXPECT_EQ(m->min_sdk_version, "26");
}

TEST(AndroidBinaryXml, InvalidUtf8IsReplacedNotPassedOn) {
    std::vector<std::string> strings = kStrings;
    strings[2] = "com.\xff\xc3x\xed\xa0\x80.ok";  // stray byte, cut sequence, encoded surrogate
    auto m = parse_android_manifest(build_axml(strings, {{true, 0, {{0xFFFFFFFF, 1, 2, 0x03, 2}}}}));
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->package, "com.\uFFFD\uFFFDx\uFFFD\uFFFD\uFFFD.ok");
}

TEST(AndroidBinaryXml, NegativeVersionCodeIsNull) {
    const Bytes doc =
        build_axml(kStrings, {{true, 0, {{0xFFFFFFFF, 1, 2, 0x03, 2}, {4, 3, 0xFFFFFFFF, 0x10, 0xFFFFFFFF}}}});
    auto m = parse_android_manifest(doc);
    ASSERT_TRUE(m) << m.error().message;
    EXPECT_EQ(m->version_code, std::nullopt);
}

TEST(AndroidBinaryXml, RefusesBadIndicesAndStructure) {
    auto expect_error = [](const Bytes& doc, std::string_view what) {
        auto r = parse_android_manifest(doc);
        ASSERT_FALSE(r) << what;
        EXPECT_EQ(r.error().code, ErrorCode::Unprocessable) << what;
    };
    expect_error(build_axml(kStrings, {{true, 99, {}}}), "element name index out of range");
    expect_error(build_axml(kStrings, {{true, 0, {{0xFFFFFFFF, 1, 2, 0x03, 1234}}}}), "string value out of range");
    expect_error(build_axml(kStrings, {{false, 0, {}}}), "end without start");

    Bytes zero_chunk = build_axml(kStrings, {{true, 0, {}}});
    // Overwrite the element chunk's size with 0: must not loop forever.
    const std::size_t element_at = zero_chunk.size() - 36;
    set_u32(zero_chunk, element_at + 4, 0);
    expect_error(zero_chunk, "zero-sized chunk");

    Bytes small_attr = build_axml(kStrings, {{true, 0, {{0xFFFFFFFF, 1, 2, 0x03, 2}}}});
    small_attr[small_attr.size() - 20 - 20 + 10] = 8;  // attributeSize below 20
    expect_error(small_attr, "attribute size too small");

    Bytes many_attrs = build_axml(kStrings, {{true, 0, {{0xFFFFFFFF, 1, 2, 0x03, 2}}}});
    many_attrs[many_attrs.size() - 20 - 20 + 12] = 0xFF;  // attributeCount past the chunk
    expect_error(many_attrs, "attribute count past the chunk");

    Bytes huge_string = build_axml(kStrings, {{true, 0, {}}});
    huge_string[8 + 28 + 4 * kStrings.size() + 1] = 0xFF;  // byte length of string 0: 0x7F.. -> past the pool
    (void)parse_android_manifest(huge_string);             // error or a replaced name; never a read out of bounds
}

TEST(AndroidBinaryXml, ManyAttributesNamingOneHugeStringHitTheBudget) {
    // 2,000 attributes whose value is the same 30 KB string would copy 60 MB;
    // the decoded-size budget stops it.
    std::vector<std::string> strings = kStrings;
    strings.push_back(std::string(30'000, 'x'));
    const auto big = static_cast<std::uint32_t>(strings.size() - 1);
    Event root{true, 0, {{0xFFFFFFFF, 1, 2, 0x03, 2}}};
    for (int i = 0; i < 2'000; ++i) {
        root.attrs.push_back({0xFFFFFFFF, big, 0xFFFFFFFF, 0x03, big});
    }
    auto r = parse_android_manifest(build_axml(strings, {root}));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("size limit"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace beacon::releases
