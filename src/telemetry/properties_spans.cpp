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
        for (;;) {
            // Jump to the next quote or backslash: strings are most of a body.
            const char* base = t_.data() + p_;
            const std::size_t left = t_.size() - p_;
            const void* quote = std::memchr(base, '"', left);
            if (quote == nullptr) {
                return false;
            }
            const std::size_t q = static_cast<std::size_t>(static_cast<const char*>(quote) - base);
            const void* slash = std::memchr(base, '\\', q);
            if (slash == nullptr) {
                raw = t_.substr(start, p_ + q - start);
                p_ += q + 1;
                return true;
            }
            // Skip the escape and its next character (which may be a quote).
            p_ += static_cast<std::size_t>(static_cast<const char*>(slash) - base) + 2;
            if (p_ > t_.size()) {
                return false;
            }
        }
    }

    // Consumes one value of any kind.
    bool skip_value() {
        skip_ws();
        if (p_ >= t_.size()) {
            return false;
        }
        const char c = t_[p_];
        if (c == '"') {
            std::string_view ignored;
            return string(ignored);
        }
        if (c == '{' || c == '[') {
            int depth = 0;
            while (p_ < t_.size()) {
                const char d = t_[p_];
                if (d == '"') {
                    std::string_view ignored;
                    if (!string(ignored)) {
                        return false;
                    }
                    continue;
                }
                ++p_;
                if (d == '{' || d == '[') {
                    ++depth;
                } else if (d == '}' || d == ']') {
                    if (--depth == 0) {
                        return true;
                    }
                }
            }
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
