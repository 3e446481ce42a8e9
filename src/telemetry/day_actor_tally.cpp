#include "telemetry/day_actor_tally.hpp"

#include <algorithm>

namespace beacon::telemetry {

std::uint32_t DayActorTally::group_of(std::vector<std::string>& names, std::string_view name) {
    if (name.empty()) {
        name = "unknown";
    }
    // A handful of platforms and regions: a linear search beats hashing.
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
        names.emplace_back(name);
        return static_cast<std::uint32_t>(names.size() - 1);
    }
    return static_cast<std::uint32_t>(it - names.begin());
}

void DayActorTally::add(std::string_view actor, std::string_view platform, std::string_view region) {
    auto it = actors_.find(actor);
    if (it == actors_.end()) {
        it = actors_.emplace(std::string(actor), static_cast<std::uint32_t>(actors_.size())).first;
    }
    const std::uint64_t index = it->second;
    platform_pairs_.push_back(std::uint64_t{group_of(platforms_, platform)} << 32 | index);
    region_pairs_.push_back(std::uint64_t{group_of(regions_, region)} << 32 | index);
}

std::map<std::string, std::int64_t> DayActorTally::distinct_per_group(std::vector<std::uint64_t>& pairs,
                                                                      const std::vector<std::string>& names) {
    std::sort(pairs.begin(), pairs.end());
    pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());
    std::vector<std::int64_t> per(names.size(), 0);
    for (std::uint64_t p : pairs) {
        ++per[p >> 32];
    }
    std::map<std::string, std::int64_t> out;
    for (std::size_t i = 0; i < names.size(); ++i) {
        out.emplace(names[i], per[i]);
    }
    return out;
}

DailyCounts DayActorTally::finish() {
    DailyCounts counts;
    counts.total = static_cast<std::int64_t>(actors_.size());
    counts.by_platform = distinct_per_group(platform_pairs_, platforms_);
    counts.by_region = distinct_per_group(region_pairs_, regions_);
    return counts;
}

}  // namespace beacon::telemetry
