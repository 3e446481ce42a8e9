#pragma once

#include <string>

#include <boost/json/value.hpp>

namespace beacon {

// How json_write spells a double.
enum class JsonNumbers {
    // Plain decimal, never exponent notation: the shortest digits that read
    // back as the same double, in fixed notation (12.4, 0.5, 0.0000001,
    // 1000000000000000000000, 0). What every response carries (API.md 1.1,
    // "Numbers in responses are plain JSON decimals").
    Plain,
    // The shortest round-trip spelling, fixed or exponent, whichever is
    // shorter (12.4, 1e+21, 1e-07). For what we store: a 5-byte 1e300 stays
    // 6 bytes instead of 301.
    Shortest,
};

// Serializes `v` as compact JSON (no whitespace), like boost::json::serialize
// except for doubles, which boost writes in exponent form (1.24E1) and which
// are written here as `numbers` says. -0 is written as 0. A double that is
// not finite (boost parses 1e400 as infinity) has no JSON spelling and is
// written as null. Strings: `"` and `\` backslashed, \b \f \n \r \t, other
// bytes below 0x20 as \u00XX, everything else (UTF-8) as is.
std::string json_write(const boost::json::value& v, JsonNumbers numbers = JsonNumbers::Plain);
void json_write(std::string& out, const boost::json::value& v, JsonNumbers numbers = JsonNumbers::Plain);

// One double as json_write spells it.
void json_write_double(std::string& out, double d, JsonNumbers numbers = JsonNumbers::Plain);

}  // namespace beacon
