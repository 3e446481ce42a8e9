#include "releases/plist_bounds.hpp"

#include <chrono>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "releases/package_inspector.hpp"
#include "support/release_fixtures.hpp"
#include "support/temp_dir.hpp"

namespace beacon::releases {
namespace {

namespace fx = fixtures;
using Clock = std::chrono::steady_clock;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Peak resident memory of this process (VmHWM).
std::uint64_t peak_rss() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.starts_with("VmHWM:")) {
            return std::stoull(line.substr(6)) * 1024;
        }
    }
    return 0;
}
// Resets the peak to the current RSS (echo 5 > /proc/self/clear_refs), so a
// test measures its own peak; returns it.
std::uint64_t reset_and_read_peak_rss() {
    std::ofstream("/proc/self/clear_refs") << "5";
    return peak_rss();
}

// The bomb of issue 9: arrays that hold the same array twice. Before the
// bound, 22 levels made libplist build 4 million nodes (842 MiB), and 40
// levels would have needed terabytes. Now the call is refused at once,
// without allocating.
TEST(PlistBounds, ReferenceBombIsRefusedQuicklyAndWithoutAllocating) {
    for (int levels : {22, 40}) {
        const std::string bomb = test::bplist_reference_bomb(levels);
        EXPECT_LT(bomb.size(), 400u);
        const std::uint64_t before = reset_and_read_peak_rss();
        const auto start = Clock::now();
        auto r = parse_info_plist(bytes_of(bomb));
        const auto took = Clock::now() - start;
        const std::uint64_t grew = peak_rss() - before;
        ASSERT_FALSE(r) << levels << " levels were parsed";
        EXPECT_EQ(r.error().code, ErrorCode::Unprocessable);
        const std::string& m = r.error().message;
        EXPECT_TRUE(m.find("expands to more than") != std::string::npos || m.find("deeper than") != std::string::npos)
            << m;
        EXPECT_LT(took, std::chrono::milliseconds(500)) << levels << " levels";
        EXPECT_LT(grew, 16u << 20) << levels << " levels: peak RSS grew by " << grew << " bytes";
    }
}

TEST(PlistBounds, SmallSharingIsFine) {
    // 2^10 leaves: an expanded tree of about 2,000 nodes is within limits.
    const std::string shared = test::bplist_reference_bomb(10, "com.example.shared");
    ASSERT_TRUE(check_plist_bounds(bytes_of(shared)));
    auto d = parse_info_plist(bytes_of(shared));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->package_name, "com.example.shared");
}

TEST(PlistBounds, LimitsAreTheConfiguredOnes) {
    const std::string bomb = test::bplist_reference_bomb(10);
    PlistLimits tight;
    tight.max_nodes = 1000;  // 2^11 - 1 array nodes + leaves > 1000
    auto r = check_plist_bounds(bytes_of(bomb), tight);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("1000 nodes"), std::string::npos) << r.error().message;
    PlistLimits shallow;
    shallow.max_depth = 8;  // root dict + 10 arrays + leaf = 12 levels
    r = check_plist_bounds(bytes_of(bomb), shallow);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("deeper than 8"), std::string::npos) << r.error().message;
    PlistLimits small;
    small.max_bytes = 4096;
    r = check_plist_bounds(bytes_of(bomb), small);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("4096 bytes"), std::string::npos) << r.error().message;
}

// Sharing can also blow up bytes with few nodes: one 1 MiB string, 64 times.
TEST(PlistBounds, SharedLargeStringCountsEveryCopy) {
    std::string p = "bplist00";
    const std::size_t big_at = p.size();
    p += "\x5F\x12";  // ASCII string, size in a 4-byte int
    const std::uint32_t n = 1u << 20;
    for (int i = 3; i >= 0; --i) {
        p.push_back(static_cast<char>((n >> (8 * i)) & 0xFF));
    }
    p.append(n, 'a');
    const std::size_t array_at = p.size();
    p += "\xAF\x10\x40";   // array of 64
    p.append(64, '\x00');  // each element: object 0, the string
    const std::size_t table = p.size();
    for (std::size_t off : {big_at, array_at}) {  // offset size 4
        for (int i = 3; i >= 0; --i) {
            p.push_back(static_cast<char>((off >> (8 * i)) & 0xFF));
        }
    }
    p.append(6, '\0');
    p += '\x04';  // offset size
    p += '\x01';  // ref size
    auto be64 = [&](std::uint64_t v) {
        for (int i = 7; i >= 0; --i) {
            p.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
        }
    };
    be64(2);
    be64(1);  // root: the array
    be64(table);
    auto r = check_plist_bounds(bytes_of(p));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("bytes"), std::string::npos) << r.error().message;
}

// Hand-made binary plists for the structural rules: objects given as raw
// bytes, ref size 1, offset size 1, root `root`.
std::string bplist(const std::vector<std::string>& objects, std::uint8_t root = 0) {
    std::string p = "bplist00";
    std::vector<std::size_t> offsets;
    for (const auto& o : objects) {
        offsets.push_back(p.size());
        p += o;
    }
    const std::size_t table = p.size();
    for (std::size_t off : offsets) {
        p.push_back(static_cast<char>(off));
    }
    p.append(6, '\0');
    p += '\x01';
    p += '\x01';
    auto be64 = [&](std::uint64_t v) {
        for (int i = 7; i >= 0; --i) {
            p.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
        }
    };
    be64(objects.size());
    be64(root);
    be64(table);
    return p;
}

TEST(PlistBounds, BinaryStructureRules) {
    using S = std::string;
    // A well-formed dict {"a": "b"}.
    EXPECT_TRUE(check_plist_bounds(bytes_of(bplist({S("\xD1\x01\x02", 3),
                                                    "\x51"
                                                    "a",
                                                    "\x51"
                                                    "b"}))));
    // A cycle: an array holding itself; and two arrays holding each other.
    auto r = check_plist_bounds(bytes_of(bplist({S("\xA1\x00", 2)})));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("cycle"), std::string::npos) << r.error().message;
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({S("\xA1\x01", 2), S("\xA1\x00", 2)}))));
    // A reference past the object count.
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({S("\xA1\x05", 2)}))));
    // A dict key that is not a string.
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({S("\xD1\x01\x02", 3),
                                                     S("\x10\x07", 2),
                                                     "\x51"
                                                     "b"}))));
    // A string longer than the object area.
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({S("\x5F\x10\xF0", 3) + "abc"}))));
    // An unknown marker, a fill byte, an integer of 64 bytes.
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({S("\x70", 1)}))));
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({S("\x0F", 1)}))));
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({S("\x16", 1) + S(64, '\0')}))));
    // Root out of range, and a trailer alone.
    EXPECT_FALSE(check_plist_bounds(bytes_of(bplist({"\x51"
                                                     "a"},
                                                    3))));
    EXPECT_FALSE(check_plist_bounds(bytes_of(S("bplist00") + S(32, '\0'))));
    EXPECT_FALSE(check_plist_bounds(bytes_of(S("bplist00"))));
}

TEST(PlistBounds, DeepNestingWithoutSharingIsRefused) {
    using S = std::string;
    auto nested = [](int depth) {
        std::vector<S> objects;
        for (int i = 0; i + 1 < depth; ++i) {
            objects.push_back(S("\xA1", 1) + static_cast<char>(i + 1));
        }
        objects.push_back(
            "\x51"
            "x");
        return bplist(objects);
    };
    EXPECT_TRUE(check_plist_bounds(bytes_of(nested(32))));
    auto r = check_plist_bounds(bytes_of(nested(33)));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("deeper than 32"), std::string::npos) << r.error().message;
}

// Depth is checked where an object is reached, not only where it was first
// seen: a shallow object met again further down counts from there.
TEST(PlistBounds, MemoisedObjectReachedDeeperStillCountsItsDepth) {
    using S = std::string;
    // Object 1 starts a chain of 20 arrays; the root reaches it directly and
    // again through a chain of 20 other arrays.
    std::vector<S> objects(42);
    objects[0] = S("\xA2\x01\x15", 3);  // root: [1, 21]
    for (int i = 1; i <= 19; ++i) {
        objects[i] = S("\xA1", 1) + static_cast<char>(i + 1);
    }
    objects[20] =
        "\x51"
        "x";
    for (int i = 21; i <= 40; ++i) {
        objects[i] = S("\xA1", 1) + static_cast<char>(i == 40 ? 1 : i + 1);
    }
    objects[41] =
        "\x51"
        "y";  // unused
    auto r = check_plist_bounds(bytes_of(bplist(objects)));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("deeper than"), std::string::npos) << r.error().message;
}

TEST(PlistBounds, XmlDepthElementsAndSyntax) {
    auto xml = [](const std::string& body) {
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
               "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n<plist version=\"1.0\">" +
               body + "</plist>";
    };
    auto arrays = [](int n) {
        std::string s;
        for (int i = 0; i < n; ++i) {
            s += "<array>";
        }
        s += "<string>x</string>";
        for (int i = 0; i < n; ++i) {
            s += "</array>";
        }
        return s;
    };
    // <plist> + 30 arrays + <string> = 32 levels.
    EXPECT_TRUE(check_plist_bounds(bytes_of(xml(arrays(30)))));
    auto r = check_plist_bounds(bytes_of(xml(arrays(31))));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("deeper than 32"), std::string::npos) << r.error().message;
    // 100,000 deep would overflow a recursive parser's stack; refused at once.
    auto parsed = parse_info_plist(bytes_of(xml(arrays(100'000))));
    ASSERT_FALSE(parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::Unprocessable);

    std::string many = "<array>";
    for (int i = 0; i < 100'001; ++i) {
        many += "<true/>";
    }
    many += "</array>";
    r = check_plist_bounds(bytes_of(xml(many)));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("elements"), std::string::npos) << r.error().message;

    // Markup inside comments, CDATA and attribute values is not counted.
    EXPECT_TRUE(check_plist_bounds(bytes_of(xml("<!-- " + arrays(50) +
                                                " --><dict a=\"<array><array>\">"
                                                "<key>k</key><string><![CDATA[" +
                                                arrays(50) + "]]></string></dict>"))));
    for (const std::string& bad : {std::string("<plist><!-- no end"),
                                   std::string("<plist><![CDATA[x"),
                                   std::string("<?xml version"),
                                   std::string("<plist><dict"),
                                   std::string("<!DOCTYPE plist [ <!ENTITY a 'b'>")}) {
        EXPECT_FALSE(check_plist_bounds(bytes_of(bad))) << bad;
    }
}

// Whatever the bytes, the check ends, never reads out of bounds (ASan), and
// libplist then parses what it let through.
TEST(PlistBounds, MangledPlistsNeverCrash) {
    test::TempDir dir;
    const std::string xml = fx::info_plist_xml(
        {{"CFBundleIdentifier", "com.example.fuzz"}, {"CFBundleVersion", "12"}, {"CFBundleShortVersionString", "1.2"}});
    const std::string bin = fx::binary_plist(dir.path(), xml);
    ASSERT_EQ(bin.rfind("bplist00", 0), 0u);
    std::mt19937 rng(9);
    for (const std::string& base : {bin, test::bplist_reference_bomb(12), xml}) {
        for (std::size_t cut = 0; cut <= base.size(); cut += 1 + base.size() / 200) {
            (void)parse_info_plist(bytes_of(base.substr(0, cut)));
        }
        for (int i = 0; i < 1500; ++i) {
            std::string m = base;
            for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
                m[rng() % m.size()] = static_cast<char>(rng());
            }
            auto r = parse_info_plist(bytes_of(m));
            if (!r) {
                EXPECT_EQ(r.error().code, ErrorCode::Unprocessable) << r.error().message;
            }
        }
    }
}

}  // namespace
}  // namespace beacon::releases
