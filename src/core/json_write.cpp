#include "core/json_write.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

#include <boost/json.hpp>

namespace beacon {
namespace {

namespace json = boost::json;

// The output, written through a raw pointer: each token first makes room for
// its longest spelling, so the bytes themselves are stored without a check
// each (boost's serializer is about this fast; a push_back per byte was 1.5x
// slower on an events batch).
class Out {
public:
    explicit Out(std::string& s) : s_(s), len_(s.size()) {}
    ~Out() { s_.resize(len_); }
    Out(const Out&) = delete;
    Out& operator=(const Out&) = delete;

    char* room(std::size_t n) {
        if (s_.size() - len_ < n) {
            s_.resize(std::max(s_.size() * 2, std::max<std::size_t>(len_ + n, 128)));
        }
        return s_.data() + len_;
    }
    void wrote(char* end) { len_ = static_cast<std::size_t>(end - s_.data()); }
    void put(char c) {
        char* p = room(1);
        *p++ = c;
        wrote(p);
    }
    void put(std::string_view text) {
        char* p = room(text.size());
        std::memcpy(p, text.data(), text.size());
        wrote(p + text.size());
    }

private:
    std::string& s_;
    std::size_t len_;
};

// 0: copied as is; else the escape's second character ('u': \u00XX).
constexpr std::array<char, 256> kEscape = [] {
    std::array<char, 256> t{};
    for (int c = 0; c < 0x20; ++c) {
        t[static_cast<std::size_t>(c)] = 'u';
    }
    t['\b'] = 'b';
    t['\f'] = 'f';
    t['\n'] = 'n';
    t['\r'] = 'r';
    t['\t'] = 't';
    t['"'] = '"';
    t['\\'] = '\\';
    return t;
}();

void write_string(Out& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    char* p = out.room(2 + 6 * s.size());
    *p++ = '"';
    const char* in = s.data();
    const char* const end = in + s.size();
    while (in != end) {
        // Runs that need no escape (nearly everything) are copied whole.
        const char* run = in;
        while (in != end && kEscape[static_cast<unsigned char>(*in)] == 0) {
            ++in;
        }
        std::memcpy(p, run, static_cast<std::size_t>(in - run));
        p += in - run;
        if (in == end) {
            break;
        }
        const auto c = static_cast<unsigned char>(*in++);
        const char e = kEscape[c];
        *p++ = '\\';
        if (e != 'u') {
            *p++ = e;
        } else {
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = kHex[c >> 4];
            *p++ = kHex[c & 0xF];
        }
    }
    *p++ = '"';
    out.wrote(p);
}

// The longest plain spelling of a double is the smallest subnormal: "0." and
// 323 zeros before its digit; the largest double has 309 digits.
constexpr std::size_t kMaxDouble = 400;

char* put_double(char* p, double d, JsonNumbers numbers) {
    if (!std::isfinite(d)) {
        std::memcpy(p, "null", 4);
        return p + 4;
    }
    if (d == 0) {
        *p = '0';  // also for -0
        return p + 1;
    }
    return numbers == JsonNumbers::Plain ? std::to_chars(p, p + kMaxDouble, d, std::chars_format::fixed).ptr
                                         : std::to_chars(p, p + kMaxDouble, d).ptr;
}

void write_value(Out& out, const json::value& v, JsonNumbers numbers) {
    switch (v.kind()) {
        case json::kind::null:
            out.put("null");
            return;
        case json::kind::bool_:
            out.put(v.get_bool() ? std::string_view("true") : std::string_view("false"));
            return;
        case json::kind::int64: {
            char* p = out.room(24);
            out.wrote(std::to_chars(p, p + 24, v.get_int64()).ptr);
            return;
        }
        case json::kind::uint64: {
            char* p = out.room(24);
            out.wrote(std::to_chars(p, p + 24, v.get_uint64()).ptr);
            return;
        }
        case json::kind::double_:
            out.wrote(put_double(out.room(kMaxDouble), v.get_double(), numbers));
            return;
        case json::kind::string:
            write_string(out, v.get_string());
            return;
        case json::kind::array: {
            out.put('[');
            bool first = true;
            for (const auto& e : v.get_array()) {
                if (!first) {
                    out.put(',');
                }
                first = false;
                write_value(out, e, numbers);
            }
            out.put(']');
            return;
        }
        case json::kind::object: {
            out.put('{');
            bool first = true;
            for (const auto& kv : v.get_object()) {
                if (!first) {
                    out.put(',');
                }
                first = false;
                write_string(out, kv.key());
                out.put(':');
                write_value(out, kv.value(), numbers);
            }
            out.put('}');
            return;
        }
    }
}

}  // namespace

void json_write_double(std::string& out, double d, JsonNumbers numbers) {
    Out o(out);
    o.wrote(put_double(o.room(kMaxDouble), d, numbers));
}

void json_write(std::string& out, const json::value& v, JsonNumbers numbers) {
    Out o(out);
    write_value(o, v, numbers);
}

std::string json_write(const json::value& v, JsonNumbers numbers) {
    std::string out;
    json_write(out, v, numbers);
    return out;
}

}  // namespace beacon
