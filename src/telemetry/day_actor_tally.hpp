#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/text.hpp"
#include "telemetry/model.hpp"

namespace beacon::telemetry {

// The exact counts of the nightly DAU job (DailyCounts: distinct actors
// overall, by platform, by region) from a day's session starts streamed one
// row at a time, duplicates included. An adapter feeds it the rows of one
// index range scan instead of asking the database for a DISTINCT and three
// COUNT(DISTINCT)s, which on SQLite build temporary b-trees of every actor
// four times: a day of 1 M session starts took 9 s that way (bench/history,
// growth.py --jobs-only). Exact: actors are kept as their keys, not hashes;
// memory is one entry per distinct actor and two 8-byte pairs per row.
class DayActorTally {
public:
    // One session start. `actor` is the actor's key ("u:" userId or "i:"
    // installId, as DAU dedups); `platform` and `region` as stored, "" for
    // none (counted as "unknown").
    void add(std::string_view actor, std::string_view platform, std::string_view region);

    DailyCounts finish();

private:
    static std::uint32_t group_of(std::vector<std::string>& names, std::string_view name);
    static std::map<std::string, std::int64_t> distinct_per_group(std::vector<std::uint64_t>& pairs,
                                                                  const std::vector<std::string>& names);

    StringMap<std::uint32_t> actors_;  // key -> index
    std::vector<std::string> platforms_;
    std::vector<std::string> regions_;
    // (group index << 32) | actor index, one per row; sorted and made unique at the end.
    std::vector<std::uint64_t> platform_pairs_;
    std::vector<std::uint64_t> region_pairs_;
};

}  // namespace beacon::telemetry
