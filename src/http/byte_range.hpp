#pragma once

// The Range header of GET /files (RFC 9110 §14.1.2, §14.2), for one
// representation of `size` bytes.
//
//   ranges-specifier = range-unit "=" range-set    (unit case-insensitive)
//   range-set        = 1#range-spec
//   int-range        = first-pos "-" [ last-pos ]   (1*DIGIT each)
//   suffix-range     = "-" suffix-length
//
// Beacon serves single ranges. What it does with each header:
//   - absent, another unit, a syntax error (`bytes=--1`, `bytes=5`,
//     `bytes=a-b`, last-pos below first-pos, ...): Ignore, the whole file
//     with 200, as §14.2 says for a Range that is not understood;
//   - several range-specs: Ignore (a server may ignore Range; multipart
//     byteranges are not produced);
//   - an int-range with first-pos < size: Partial, last-pos clamped to
//     size - 1 (also a last-pos too large for 64 bits);
//   - a suffix-range with a non-zero length: Partial, the last
//     min(length, size) bytes (a length too large for 64 bits is "all");
//   - anything else that is well-formed (first-pos >= size, even one too
//     large for 64 bits; suffix length 0; any range of an empty file):
//     Unsatisfiable, 416.

#include <cstdint>
#include <string_view>

namespace beacon::http {

struct ByteRange {
    std::uint64_t first = 0;
    std::uint64_t last = 0;  // inclusive
};

enum class RangeOutcome { Ignore, Partial, Unsatisfiable };

struct RangeDecision {
    RangeOutcome outcome = RangeOutcome::Ignore;
    ByteRange range;  // set for Partial
};

RangeDecision decide_range(std::string_view header, std::uint64_t size);

}  // namespace beacon::http
