#include "telemetry/adoption_tally.hpp"

namespace beacon::telemetry {

AdoptionTally::AdoptionTally(std::span<const TimeRange> buckets, VersionCode code) : buckets_(buckets), code_(code) {}

void AdoptionTally::close_bucket() {
    if (!installs_.empty()) {
        out_.push_back(AdoptionCounts{buckets_[current_].from, at_code_, static_cast<std::int64_t>(installs_.size())});
    }
    installs_.clear();
    at_code_ = 0;
}

void AdoptionTally::add(TimePoint at, std::string_view install_id, std::optional<VersionCode> code) {
    while (current_ < buckets_.size() && at >= buckets_[current_].to) {
        close_bucket();
        ++current_;
    }
    if (current_ == buckets_.size() || at < buckets_[current_].from) {
        return;  // past the last bucket, or in a gap between two
    }
    const bool at_code = code == code_;
    auto it = installs_.find(install_id);
    if (it == installs_.end()) {
        installs_.emplace(std::string(install_id), at_code);
        at_code_ += at_code ? 1 : 0;
    } else if (at_code && !it->second) {
        it->second = true;
        ++at_code_;
    }
}

std::vector<AdoptionCounts> AdoptionTally::finish() {
    if (current_ < buckets_.size()) {
        close_bucket();
        current_ = buckets_.size();
    }
    return std::move(out_);
}

}  // namespace beacon::telemetry
