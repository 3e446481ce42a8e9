#include "core/json_write.hpp"

#include <charconv>
#include <cmath>

#include <boost/json.hpp>

namespace beacon {
namespace {

namespace json = boost::json;

// Bytes that need no escape inside a JSON string.
constexpr bool plain_byte(unsigned char c) { return c >= 0x20 && c != '"' && c != '\\'; }

void write_string(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out.push_back('"');
    std::size_t run = 0;  // start of the pending run of plain bytes
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (plain_byte(c)) {
            continue;
        }
        out.append(s.data() + run, i - run);
        run = i + 1;
        switch (c) {
            case '"':
                out.append("\\\"");
                break;
            case '\\':
                out.append("\\\\");
                break;
            case '\b':
                out.append("\\b");
                break;
            case '\f':
                out.append("\\f");
                break;
            case '\n':
                out.append("\\n");
                break;
            case '\r':
                out.append("\\r");
                break;
            case '\t':
                out.append("\\t");
                break;
            default: {
                const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
                out.append(esc, sizeof esc);
                break;
            }
        }
    }
    out.append(s.data() + run, s.size() - run);
    out.push_back('"');
}

void write_value(std::string& out, const json::value& v, JsonNumbers numbers) {
    switch (v.kind()) {
        case json::kind::null:
            out.append("null");
            return;
        case json::kind::bool_:
            out.append(v.get_bool() ? "true" : "false");
            return;
        case json::kind::int64: {
            char buf[24];
            auto r = std::to_chars(buf, buf + sizeof buf, v.get_int64());
            out.append(buf, r.ptr);
            return;
        }
        case json::kind::uint64: {
            char buf[24];
            auto r = std::to_chars(buf, buf + sizeof buf, v.get_uint64());
            out.append(buf, r.ptr);
            return;
        }
        case json::kind::double_:
            json_write_double(out, v.get_double(), numbers);
            return;
        case json::kind::string:
            write_string(out, v.get_string());
            return;
        case json::kind::array: {
            out.push_back('[');
            bool first = true;
            for (const auto& e : v.get_array()) {
                if (!first) {
                    out.push_back(',');
                }
                first = false;
                write_value(out, e, numbers);
            }
            out.push_back(']');
            return;
        }
        case json::kind::object: {
            out.push_back('{');
            bool first = true;
            for (const auto& kv : v.get_object()) {
                if (!first) {
                    out.push_back(',');
                }
                first = false;
                write_string(out, kv.key());
                out.push_back(':');
                write_value(out, kv.value(), numbers);
            }
            out.push_back('}');
            return;
        }
    }
}

}  // namespace

void json_write_double(std::string& out, double d, JsonNumbers numbers) {
    if (!std::isfinite(d)) {
        out.append("null");
        return;
    }
    if (d == 0) {
        out.push_back('0');  // also for -0
        return;
    }
    // The longest plain spelling is the smallest subnormal: "0." and 323
    // zeros before its digit; the largest double has 309 digits.
    char buf[400];
    auto r = numbers == JsonNumbers::Plain ? std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed)
                                           : std::to_chars(buf, buf + sizeof buf, d);
    out.append(buf, r.ptr);
}

void json_write(std::string& out, const json::value& v, JsonNumbers numbers) { write_value(out, v, numbers); }

std::string json_write(const json::value& v, JsonNumbers numbers) {
    std::string out;
    write_value(out, v, numbers);
    return out;
}

}  // namespace beacon
