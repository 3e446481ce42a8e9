#include "telemetry/model.hpp"

#include <algorithm>
#include <array>

#include "core/text.hpp"

namespace beacon::telemetry {
namespace {

constexpr std::array<std::string_view, 6> kPlatformNames = {"android", "ios", "web", "desktop", "other", "unknown"};

bool is_id_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
           c == ':' || c == '-';
}

bool all_id_chars(std::string_view s) {
    for (char c : s) {
        if (!is_id_char(c)) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<Platform> parse_platform(std::string_view text) {
    if (text.size() > 7) {
        return std::nullopt;
    }
    char buf[8];
    for (std::size_t i = 0; i < text.size(); ++i) {
        buf[i] = lower_ascii(text[i]);
    }
    std::string_view low(buf, text.size());
    for (std::size_t i = 0; i + 1 < kPlatformNames.size(); ++i) {
        if (low == kPlatformNames[i]) {
            return static_cast<Platform>(i);
        }
    }
    return std::nullopt;
}

std::string_view to_string(Platform p) {
    return kPlatformNames[static_cast<std::size_t>(p)];
}

std::string actor_key(std::string_view install_id, const std::optional<std::string>& user_id) {
    std::string key;
    if (user_id) {
        key.reserve(2 + user_id->size());
        key.append("u:").append(*user_id);
    } else {
        key.reserve(2 + install_id.size());
        key.append("i:").append(install_id);
    }
    return key;
}

bool is_valid_install_id(std::string_view s) {
    return s.size() >= 8 && s.size() <= 128 && all_id_chars(s);
}

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s) {
        n += (c & 0xC0) != 0x80 ? 1 : 0;  // every byte but 10xxxxxx starts a code point
    }
    return n;
}

bool is_valid_text(std::string_view s, std::size_t max_chars) {
    if (s.empty() || utf8_length(s) > max_chars) {
        return false;
    }
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            return false;
        }
    }
    // C1 controls (U+0080..U+009F) arrive UTF-8 encoded as C2 80..C2 9F.
    for (std::size_t i = 0; i + 1 < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) == 0xC2 && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
            static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
            return false;
        }
    }
    return true;
}

bool is_valid_user_id(std::string_view s) {
    return is_valid_text(s, 128);
}

bool is_valid_event_name(std::string_view s) {
    return !s.empty() && s.size() <= 64 && all_id_chars(s);
}

std::optional<std::string> normalize_region(std::string_view s) {
    if (s.size() != 2) {
        return std::nullopt;
    }
    std::string out(2, ' ');
    for (std::size_t i = 0; i < 2; ++i) {
        char c = s[i];
        if (c >= 'a' && c <= 'z') {
            c = static_cast<char>(c - 'a' + 'A');
        }
        if (c < 'A' || c > 'Z') {
            return std::nullopt;
        }
        out[i] = c;
    }
    return out;
}

void sort_version_counts(std::vector<VersionCount>& counts) {
    std::sort(counts.begin(), counts.end(), [](const VersionCount& a, const VersionCount& b) {
        if (a.version_code.has_value() != b.version_code.has_value()) {
            return a.version_code.has_value();  // the null group last
        }
        return a.version_code > b.version_code;
    });
}

}  // namespace beacon::telemetry
