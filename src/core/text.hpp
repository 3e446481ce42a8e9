#pragma once

// Small text helpers every layer needs (HTTP header values, settings, keys):
// ASCII only, since what they compare is ASCII by protocol.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace beacon {

// `c` lowered when it is an ASCII upper-case letter.
constexpr char lower_ascii(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}
// `s` with ASCII upper-case letters lowered.
std::string to_lower(std::string_view s);
// `s` without leading and trailing spaces and tabs.
std::string_view trim(std::string_view s);
// ASCII case-insensitive equality.
bool iequals(std::string_view a, std::string_view b);
// `s` as XML character data or an attribute value: & < > " escaped.
std::string xml_escape(std::string_view s);

// A hash map keyed by strings that is looked up with a string_view without
// building a std::string for the lookup.
struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};
template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace beacon
