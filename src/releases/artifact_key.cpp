#include "releases/artifact_key.hpp"

#include <array>

namespace beacon::releases {

namespace {

constexpr std::size_t kHexLength = 64;

struct KeyKind {
    std::string_view prefix;     // "android/"
    std::string_view extension;  // ".apk"
    std::string_view content_type;
};

constexpr std::array<KeyKind, 3> kKinds{{
    {"android/", ".apk", "application/vnd.android.package-archive"},
    {"ios/", ".ipa", "application/octet-stream"},
    {"other/", ".zip", "application/zip"},
}};

bool is_lower_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

bool is_valid_artifact_key(std::string_view key) {
    for (const KeyKind& kind : kKinds) {
        if (key.size() != kind.prefix.size() + kHexLength + kind.extension.size()) {
            continue;
        }
        if (!key.starts_with(kind.prefix) || !key.ends_with(kind.extension)) {
            continue;
        }
        const std::string_view hex = key.substr(kind.prefix.size(), kHexLength);
        for (char c : hex) {
            if (!is_lower_hex(c)) {
                return false;
            }
        }
        return true;
    }
    return false;
}

std::string_view artifact_key_sha256(std::string_view key) {
    if (!is_valid_artifact_key(key)) {
        return {};
    }
    const std::size_t slash = key.find('/');
    return key.substr(slash + 1, kHexLength);
}

std::string_view artifact_content_type(std::string_view key) {
    if (!is_valid_artifact_key(key)) {
        return {};
    }
    for (const KeyKind& kind : kKinds) {
        if (key.starts_with(kind.prefix)) {
            return kind.content_type;
        }
    }
    return {};
}

std::string attachment_content_disposition(std::string_view file_name) {
    if (file_name.empty()) {
        return "attachment";
    }
    std::string fallback;
    std::string encoded;
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (char ch : file_name) {
        const auto c = static_cast<unsigned char>(ch);
        const bool printable_ascii = c >= 0x20 && c < 0x7f;
        const bool unsafe = c == '"' || c == '\\' || c == '/' || c == ';' || c == '%';
        if (c < 0x80 || c >= 0xc0) {  // one '_' per UTF-8 sequence: continuation bytes add nothing
            fallback += (printable_ascii && !unsafe) ? ch : '_';
        }
        // RFC 8187 attr-char: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
        const bool attr_char = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '!' ||
                               c == '#' || c == '$' || c == '&' || c == '+' || c == '-' || c == '.' || c == '^' ||
                               c == '_' || c == '`' || c == '|' || c == '~';
        if (attr_char) {
            encoded += ch;
        } else {
            encoded += '%';
            encoded += kHex[c >> 4];
            encoded += kHex[c & 0x0f];
        }
    }
    return "attachment; filename=\"" + fallback + "\"; filename*=UTF-8''" + encoded;
}

}  // namespace beacon::releases
