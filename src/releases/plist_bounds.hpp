#pragma once

// A bounded look at a property list before libplist parses it.
//
// Why: libplist (2.2) builds a tree of nodes. A binary plist names its
// objects by reference, and libplist copies an object for every reference to
// it, so a few hundred bytes of arrays that each hold the same child twice, n
// levels deep, become 2^n nodes (22 levels took 842 MiB; 40 would take
// terabytes). It has no limit on the nodes, bytes or depth it builds. This
// check walks the same structure libplist will read, without building
// anything: for a binary plist it reads the trailer and offset table and
// computes, over the reference graph, what the expanded tree would hold
// (memoised per object, so the work is linear in the file; a cycle is
// refused); for an XML plist (no references: the tree is as large as the
// text) it counts elements and their nesting. Only then is the input handed
// to libplist.
//
// The input is what libplist's plist_from_memory() sees: "bplist00" at the
// start means binary, anything else XML (libplist 2.2 knows no other format).
// Thread-safe (no shared state).

#include <cstdint>
#include <span>

#include "core/result.hpp"

namespace beacon::releases {

struct PlistLimits {
    // Nodes of the expanded tree (every dictionary key counts as one). A large
    // app's Info.plist has a few thousand. A binary plist whose object table
    // claims more objects than this is refused as well.
    std::uint64_t max_nodes = 100'000;
    // Nesting: the root is level 1. Real Info.plists nest 5 or 6 deep.
    std::uint32_t max_depth = 32;
    // Bytes the tree would hold: string, data and key payloads plus a fixed
    // cost per node (kPlistNodeBytes).
    std::uint64_t max_bytes = 16u << 20;
};

// What one node costs libplist beyond its payload (its plist_data_t and
// node_t, about 100 bytes with malloc's overhead).
inline constexpr std::uint64_t kPlistNodeBytes = 128;

// Ok when libplist may parse `data` within `limits`. Unprocessable, with a
// message saying which limit or which structural fault, otherwise: a binary
// plist with a malformed trailer, offset table, object or reference (what
// libplist would refuse too), a reference cycle, or a dictionary key that is
// not a string; an XML plist with an unterminated comment, CDATA section,
// declaration or tag.
Result<void> check_plist_bounds(std::span<const std::uint8_t> data, const PlistLimits& limits = {});

}  // namespace beacon::releases
