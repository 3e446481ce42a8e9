#include "core/flat_json.hpp"

#include <cstddef>
#include <cstdint>

#include <boost/json/object.hpp>

namespace beacon {
namespace {

constexpr int kMaxDigits = 18;  // every such integer is an int64, as Boost.JSON reads it

class Scanner {
public:
    explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

    void skip_space() {
        while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) {
            ++p_;
        }
    }
    bool eat(char c) {
        if (p_ != end_ && *p_ == c) {
            ++p_;
            return true;
        }
        return false;
    }
    bool at_end() const { return p_ == end_; }

    // A string of printable ASCII without escapes, quotes included.
    bool string(std::string_view& out) {
        if (!eat('"')) {
            return false;
        }
        const char* start = p_;
        while (p_ != end_) {
            const auto c = static_cast<unsigned char>(*p_);
            if (c == '"') {
                out = std::string_view(start, static_cast<std::size_t>(p_ - start));
                ++p_;
                return true;
            }
            if (c < 0x20 || c >= 0x80 || c == '\\') {
                return false;
            }
            ++p_;
        }
        return false;
    }

    bool value(FlatMember& m) {
        if (p_ == end_) {
            return false;
        }
        switch (*p_) {
            case '"':
                m.kind = FlatMember::Kind::String;
                return string(m.text);
            case 't':
                m.kind = FlatMember::Kind::True;
                return literal("true");
            case 'f':
                m.kind = FlatMember::Kind::False;
                return literal("false");
            case 'n':
                m.kind = FlatMember::Kind::Null;
                return literal("null");
            default:
                m.kind = FlatMember::Kind::Int;
                return integer(m.number);
        }
    }

private:
    bool literal(std::string_view word) {
        if (static_cast<std::size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
            return false;
        }
        p_ += word.size();
        return true;
    }

    // -?(0|[1-9][0-9]*), at most kMaxDigits digits, no fraction or exponent.
    // "-0" is left to Boost.JSON.
    bool integer(std::int64_t& out) {
        const bool negative = eat('-');
        const char* start = p_;
        std::int64_t v = 0;
        while (p_ != end_ && *p_ >= '0' && *p_ <= '9') {
            if (p_ - start == kMaxDigits) {
                return false;
            }
            v = v * 10 + (*p_ - '0');
            ++p_;
        }
        const auto digits = p_ - start;
        if (digits == 0 || (*start == '0' && (digits > 1 || negative))) {
            return false;
        }
        if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) {
            return false;
        }
        out = negative ? -v : v;
        return true;
    }

    const char* p_;
    const char* end_;
};

}  // namespace

std::optional<FlatObject> FlatObject::parse(std::string_view text) {
    FlatObject out;
    Scanner s(text);
    s.skip_space();
    if (!s.eat('{')) {
        return std::nullopt;
    }
    s.skip_space();
    if (!s.eat('}')) {
        for (;;) {
            if (out.size_ == kMaxMembers) {
                return std::nullopt;
            }
            FlatMember& m = out.members_[out.size_];
            s.skip_space();
            if (!s.string(m.key) || out.find(m.key) != nullptr) {
                return std::nullopt;  // duplicate keys are left to Boost.JSON
            }
            s.skip_space();
            if (!s.eat(':')) {
                return std::nullopt;
            }
            s.skip_space();
            if (!s.value(m)) {
                return std::nullopt;
            }
            ++out.size_;
            s.skip_space();
            if (s.eat(',')) {
                continue;
            }
            if (s.eat('}')) {
                break;
            }
            return std::nullopt;
        }
    }
    s.skip_space();
    if (!s.at_end()) {
        return std::nullopt;
    }
    return out;
}

const FlatMember* FlatObject::find(std::string_view key) const {
    for (std::size_t i = 0; i < size_; ++i) {
        if (members_[i].key == key) {
            return &members_[i];
        }
    }
    return nullptr;
}

boost::json::value FlatObject::to_value(boost::json::storage_ptr sp) const {
    boost::json::object out(size_, std::move(sp));
    for (const FlatMember& m : members()) {
        switch (m.kind) {
            case FlatMember::Kind::String:
                out.emplace(m.key, boost::json::string_view(m.text.data(), m.text.size()));
                break;
            case FlatMember::Kind::Int:
                out.emplace(m.key, m.number);
                break;
            case FlatMember::Kind::True:
                out.emplace(m.key, true);
                break;
            case FlatMember::Kind::False:
                out.emplace(m.key, false);
                break;
            case FlatMember::Kind::Null:
                out.emplace(m.key, nullptr);
                break;
        }
    }
    return boost::json::value(std::move(out));
}

}  // namespace beacon
