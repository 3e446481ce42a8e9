#include "releases/release_version.hpp"

#include <cstddef>

namespace beacon::releases {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != b[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::optional<Platform> parse_platform(std::string_view text) {
    if (iequals(text, "android")) {
        return Platform::Android;
    }
    if (iequals(text, "ios")) {
        return Platform::Ios;
    }
    return std::nullopt;
}

std::string_view to_string(Platform p) {
    switch (p) {
        case Platform::Android:
            return "android";
        case Platform::Ios:
            return "ios";
    }
    return "android";  // unreachable: every enumerator is handled above
}

}  // namespace beacon::releases
