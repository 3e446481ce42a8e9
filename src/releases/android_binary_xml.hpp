#pragma once

// A reader for Android binary XML (AXML), enough to read AndroidManifest.xml
// out of an APK: package, versionCode, versionName and minSdkVersion.
//
// Why hand-written: Debian packages no C or C++ library that reads compiled
// Android XML (androguard and apktool are Python/Java tools, and aapt is a
// program, not a library). The format is small and documented by AOSP's
// frameworks/base/libs/androidfw/include/androidfw/ResourceTypes.h, which is
// what this follows. Tests run it on manifests that Debian's aapt compiles.
//
// The format, all integers little-endian:
//   chunk header     u16 type, u16 headerSize, u32 size (header included)
//   file             RES_XML_TYPE (0x0003) chunk whose body is a sequence of chunks:
//   string pool      0x0001: u32 stringCount, styleCount, flags (0x100 = UTF-8),
//                    stringsStart, stylesStart; then u32 offsets[stringCount]
//                    (relative to stringsStart), u32 styleOffsets[styleCount].
//                    UTF-16 string: u16 length (high bit set: 31-bit length in
//                    two u16), code units, u16 0. UTF-8 string: UTF-16 length
//                    then byte length (each 1 byte, or 2 when the high bit is
//                    set), bytes, 0.
//   resource map     0x0180: u32 resource ids; ids[i] belongs to string i.
//                    Attributes are matched by id first, as Android does (tools
//                    that obfuscate rename the strings, never the ids).
//   start namespace  0x0100, end namespace 0x0101, CDATA 0x0104: not needed here.
//   start element    0x0102: node header (lineNumber, comment) then u32 ns, name,
//                    u16 attributeStart (from this extension), attributeSize,
//                    attributeCount, id/class/style indices; each attribute is
//                    u32 ns, name, rawValue, then Res_value {u16 size, u8 0,
//                    u8 dataType, u32 data}.
//   end element      0x0103.
//   Unknown chunk types are skipped, as Android does.
//
// Bounds: every read goes through a checked offset and length (64-bit
// arithmetic, so no wrap-around); every string index is checked against the
// pool; each decoded string is cached once and the total output is capped
// (kMaxDecodedBytes), so a hostile file can neither read out of bounds nor make
// memory grow quadratically by having many attributes name one huge string.
// Malformed, truncated or oversized input returns an Error (Unprocessable);
// nothing here asserts on input. Thread-safe (no shared state).

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace beacon::releases {

// Res_value data types this reader distinguishes.
enum class AxmlValueType : std::uint8_t {
    Null,       // 0x00
    Reference,  // 0x01: @type/name, a resource id in `data`
    String,     // 0x03
    IntDec,     // 0x10
    IntHex,     // 0x11
    Boolean,    // 0x12: data 0 is false, anything else true
    Other,      // float, dimension, color, ...; see raw_type
};

struct AxmlValue {
    AxmlValueType type = AxmlValueType::Null;
    std::uint8_t raw_type = 0;
    std::uint32_t data = 0;
    // For String: the string. For other types: the raw source text when the
    // compiler kept it (aapt keeps it for some attributes), else nullopt.
    std::optional<std::string> text;
};

struct AxmlAttribute {
    std::string ns;  // namespace URI; empty when none
    std::string name;
    std::uint32_t resource_id = 0;  // from the resource map; 0 when none
    AxmlValue value;
};

struct AxmlElement {
    int depth = 0;  // 1 for the root element
    std::string ns;
    std::string name;
    std::vector<AxmlAttribute> attributes;
};

inline constexpr std::size_t kMaxAxmlElements = 100'000;
inline constexpr std::size_t kMaxDecodedBytes = 16u << 20;

// Every start element of the document, in order, with its attributes decoded.
Result<std::vector<AxmlElement>> parse_binary_xml(std::span<const std::uint8_t> data);

inline constexpr std::string_view kAndroidNamespace = "http://schemas.android.com/apk/res/android";

// What Beacon reads from an APK's manifest.
struct AndroidManifestInfo {
    std::optional<std::string> package;          // <manifest package>; null when absent, empty or not a string
    std::optional<std::int64_t> version_code;    // android:versionCode; null when absent, negative or a reference
    std::optional<std::string> version_name;     // android:versionName; null when absent or a reference
    std::optional<std::string> min_sdk_version;  // <uses-sdk android:minSdkVersion>, "24" or a codename
};

// Parses a binary AndroidManifest.xml. Unprocessable when it is not binary
// XML, is malformed or truncated, or its root is not <manifest>. Missing
// attributes are null, never an error.
Result<AndroidManifestInfo> parse_android_manifest(std::span<const std::uint8_t> data);

}  // namespace beacon::releases
