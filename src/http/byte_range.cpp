#include "http/byte_range.hpp"

#include <algorithm>
#include <optional>

#include "core/text.hpp"

namespace beacon::http {
namespace {

// 1*DIGIT, saturating at UINT64_MAX (only "larger than any file" matters
// beyond that). nullopt when `s` is empty or holds anything but digits.
std::optional<std::uint64_t> digits(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    std::uint64_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    return v;
}

}  // namespace

RangeDecision decide_range(std::string_view header, std::uint64_t size) {
    const RangeDecision ignore{};
    const std::size_t eq = header.find('=');
    if (eq == std::string_view::npos || !iequals(trim(header.substr(0, eq)), "bytes")) {
        return ignore;
    }
    const std::string_view set = trim(header.substr(eq + 1));
    if (set.find(',') != std::string_view::npos) {
        return ignore;
    }
    const std::size_t dash = set.find('-');
    if (dash == std::string_view::npos) {
        return ignore;
    }
    const std::string_view left = set.substr(0, dash);
    const std::string_view right = set.substr(dash + 1);
    if (left.empty()) {  // suffix-range: the last N bytes
        const auto n = digits(right);
        if (!n) {
            return ignore;  // "bytes=-", "bytes=--1", "bytes=-x"
        }
        if (*n == 0 || size == 0) {
            return {RangeOutcome::Unsatisfiable, {}};
        }
        return {RangeOutcome::Partial, {size - std::min(*n, size), size - 1}};
    }
    const auto first = digits(left);
    if (!first) {
        return ignore;
    }
    std::optional<std::uint64_t> last;
    if (!right.empty()) {
        last = digits(right);
        if (!last || *last < *first) {
            return ignore;  // not digits, or an invalid range-spec (§14.1.1)
        }
    }
    if (*first >= size) {
        return {RangeOutcome::Unsatisfiable, {}};
    }
    return {RangeOutcome::Partial, {*first, std::min(last.value_or(size - 1), size - 1)}};
}

}  // namespace beacon::http
