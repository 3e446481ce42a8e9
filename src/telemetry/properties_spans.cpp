#include "telemetry/properties_spans.hpp"

#include <cstring>
#include <string>

namespace beacon::telemetry {
namespace {

// A forward scanner over text that is valid JSON. It checks only what it
// needs to find its way (and fails rather than reads past the end); the
// document was validated by the JSON parser before.
class Scanner {
public:
    explicit Scanner(std::string_view text) : t_(text) {}

    std::size_t pos() const { return p_; }

    void skip_ws() {
        while (p_ < t_.size() && (t_[p_] == ' ' || t_[p_] == '\n' || t_[p_] == '\r' || t_[p_] == '\t')) {
            ++p_;
        }
    }

    // Consumes `c` (after whitespace); false when something else is there.
    bool take(char c) {
        skip_ws();
        if (p_ < t_.size() && t_[p_] == c) {
            ++p_;
            return true;
        }
        return false;
    }

    bool peek(char c) {
        skip_ws();
        return p_ < t_.size() && t_[p_] == c;
    }

    // At a '"': consumes the string; `raw` is its text between the quotes,
    // escapes as written.
    bool string(std::string_view& raw) {
        skip_ws();
        if (p_ >= t_.size() || t_[p_] != '"') {
            return false;
        }
        const std::size_t start = ++p_;
        if (!skip_string_body()) {
            return false;
        }
        raw = t_.substr(start, p_ - 1 - start);
        return true;
    }

    // Consumes one value of any kind.
    bool skip_value() {
        skip_ws();
        if (p_ >= t_.size()) {
            return false;
        }
        const char c = t_[p_];
        if (c == '"') {
            ++p_;
            return skip_string_body();
        }
        if (c == '{' || c == '[') {
            // Brackets of both kinds nest together in valid JSON, so one
            // depth counter will do: '{' | 0x20 == '[' | 0x20, and so for the
            // closing pair.
            int depth = 0;
            const char* d = t_.data();
            const std::size_t n = t_.size();
            std::size_t p = p_;
            while (p < n) {
                const char ch = d[p++];
                if (ch == '"') {
                    p_ = p;
                    if (!skip_string_body()) {
                        return false;
                    }
                    p = p_;
                } else if ((ch | 0x20) == '{') {
                    ++depth;
                } else if ((ch | 0x20) == '}' && --depth == 0) {
                    p_ = p;
                    return true;
                }
            }
            p_ = p;
            return false;
        }
        // A number, true, false or null: up to the next delimiter.
        const std::size_t start = p_;
        while (p_ < t_.size() && std::strchr(",}] \n\r\t", t_[p_]) == nullptr) {
            ++p_;
        }
        return p_ > start;
    }

private:
    // After an opening quote: moves past the closing one. memchr finds the
    // next quote (strings are most of a body); only a backslash before it
    // needs a closer look.
    bool skip_string_body() {
        const char* d = t_.data();
        const std::size_t n = t_.size();
        std::size_t p = p_;
        for (;;) {
            const void* quote = std::memchr(d + p, '"', n - p);
            if (quote == nullptr) {
                return false;
            }
            const std::size_t q = static_cast<std::size_t>(static_cast<const char*>(quote) - d);
            const void* slash = std::memchr(d + p, '\\', q - p);
            if (slash == nullptr) {
                p_ = q + 1;
                return true;
            }
            // Skip the escape and the character after it (which may be a quote).
            p = static_cast<std::size_t>(static_cast<const char*>(slash) - d) + 2;
            if (p > n) {
                return false;
            }
        }
    }

    std::string_view t_;
    std::size_t p_ = 0;
};

// Whether the key text `raw` (as written, between its quotes) means `name`,
// an ASCII word. Escapes are decoded; anything that is not ASCII after
// decoding cannot match.
bool key_is(std::string_view raw, std::string_view name) {
    if (raw.find('\\') == std::string_view::npos) {
        return raw == name;
    }
    std::string decoded;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\\') {
            decoded.push_back(raw[i]);
            continue;
        }
        if (++i >= raw.size()) {
            return false;
        }
        switch (raw[i]) {
            case 'u': {
                if (i + 4 >= raw.size()) {
                    return false;
                }
                unsigned cp = 0;
                for (std::size_t k = 1; k <= 4; ++k) {
                    const char h = raw[i + k];
                    cp <<= 4;
                    if (h >= '0' && h <= '9') {
                        cp |= static_cast<unsigned>(h - '0');
                    } else if (h >= 'a' && h <= 'f') {
                        cp |= static_cast<unsigned>(h - 'a' + 10);
                    } else if (h >= 'A' && h <= 'F') {
                        cp |= static_cast<unsigned>(h - 'A' + 10);
                    } else {
                        return false;
                    }
                }
                i += 4;
                decoded.push_back(cp < 0x80 ? static_cast<char>(cp) : '\x80');  // '\x80' never matches
                break;
            }
            case 'b':
                decoded.push_back('\b');
                break;
            case 'f':
                decoded.push_back('\f');
                break;
            case 'n':
                decoded.push_back('\n');
                break;
            case 'r':
                decoded.push_back('\r');
                break;
            case 't':
                decoded.push_back('\t');
                break;
            default:  // \" \\ \/
                decoded.push_back(raw[i]);
                break;
        }
    }
    return decoded == name;
}

// At the '{' of an event: the span of its last `properties` member, or empty.
bool scan_event(Scanner& s, std::string_view text, std::string_view& out) {
    if (!s.take('{')) {
        return false;
    }
    out = {};
    if (s.take('}')) {
        return true;
    }
    for (;;) {
        std::string_view key;
        if (!s.string(key) || !s.take(':')) {
            return false;
        }
        s.skip_ws();
        const std::size_t start = s.pos();
        if (!s.skip_value()) {
            return false;
        }
        if (key_is(key, "properties")) {
            out = text.substr(start, s.pos() - start);
        }
        if (s.take(',')) {
            continue;
        }
        return s.take('}');
    }
}

// At the '[' of `events`: one span per item.
bool scan_events(Scanner& s, std::string_view text, std::vector<std::string_view>& out) {
    out.clear();
    if (!s.take('[')) {
        return false;
    }
    if (s.take(']')) {
        return true;
    }
    for (;;) {
        std::string_view span;
        if (s.peek('{')) {
            if (!scan_event(s, text, span)) {
                return false;
            }
        } else if (!s.skip_value()) {
            return false;
        }
        out.push_back(span);
        if (s.take(',')) {
            continue;
        }
        return s.take(']');
    }
}

}  // namespace

std::optional<std::vector<std::string_view>> find_properties_spans(std::string_view text) {
    Scanner s(text);
    if (!s.take('{')) {
        return std::nullopt;
    }
    std::optional<std::vector<std::string_view>> found;
    if (s.take('}')) {
        return std::nullopt;
    }
    for (;;) {
        std::string_view key;
        if (!s.string(key) || !s.take(':')) {
            return std::nullopt;
        }
        if (key_is(key, "events")) {
            if (s.peek('[')) {
                std::vector<std::string_view> spans;
                if (!scan_events(s, text, spans)) {
                    return std::nullopt;
                }
                found = std::move(spans);
            } else {
                found.reset();  // the last `events` wins, and this one is no array
                if (!s.skip_value()) {
                    return std::nullopt;
                }
            }
        } else if (!s.skip_value()) {
            return std::nullopt;
        }
        if (s.take(',')) {
            continue;
        }
        if (!s.take('}')) {
            return std::nullopt;
        }
        return found;
    }
}

}  // namespace beacon::telemetry
