#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

namespace beacon {

// One member of a FlatObject: its key and a scalar value, as views into the
// text it was read from.
struct FlatMember {
    enum class Kind { String, Int, True, False, Null };
    std::string_view key;
    Kind kind = Kind::Null;
    std::string_view text;    // String: the characters (there are no escapes to undo)
    std::int64_t number = 0;  // Int
};

// A fast path for the small flat bodies of the hot routes (a heartbeat is
// one object of a few short strings), read without building a document:
// when `text` is one JSON object whose members are strings of printable
// ASCII without escapes, integers of at most 18 digits, true, false or
// null, under at most 16 distinct keys, parse() returns its members.
// Anything else (nesting, escapes, other bytes, fractions, exponents, -0,
// duplicate keys, malformed text) is nullopt: the caller then parses with
// Boost.JSON, which also words the errors. So the fast path never accepts
// what Boost.JSON would refuse, nor reads anything differently: to_value()
// is what boost::json::parse returns (the unit tests and the json_body fuzz
// harness compare the two).
//
// Hand-written because a heartbeat's Boost.JSON parse into a document and
// the lookups in it were 4.7k instructions of the request's 27.5k
// (callgrind); building the same document from this scan saved nothing,
// reading the members straight from it is what pays (docs/PERFORMANCE.md).
class FlatObject {
public:
    static constexpr std::size_t kMaxMembers = 16;

    static std::optional<FlatObject> parse(std::string_view text);

    // The member under `key`, or null.
    const FlatMember* find(std::string_view key) const;
    std::span<const FlatMember> members() const { return {members_.data(), size_}; }

    // The document boost::json::parse would return for the same text.
    boost::json::value to_value(boost::json::storage_ptr sp = {}) const;

private:
    std::array<FlatMember, kMaxMembers> members_;
    std::size_t size_ = 0;
};

}  // namespace beacon
