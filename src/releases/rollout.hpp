#pragma once

// Staged-rollout buckets.
//
// A version released to p% of installs covers an install when
// rollout_bucket(installId, versionId) < p. The bucket is:
//
//     h = SHA-256(installId + ":" + decimal(versionId))
//     bucket = (big-endian uint64 of h[0..8)) mod 100
//
// Properties this gives, and which must never change (a change would move
// installs in and out of every running rollout):
//   - stable across processes, machines, releases and backends (no std::hash,
//     no seed);
//   - independent per version: the same install lands in unrelated buckets
//     for two versions, so the first 5% of one rollout is not always the first
//     5% of the next;
//   - monotone in p: raising a rollout from 10% to 20% keeps the first 10%.
// The modulo bias is 16/2^64, i.e. none worth mentioning.

#include <cstdint>
#include <string_view>

namespace beacon::releases {

// In [0, 100). Pure and thread-safe.
int rollout_bucket(std::string_view install_id, std::int64_t version_id);

// True when a version at `percent` (clamped to 0..100) covers the install.
inline bool rollout_covers(int percent, std::string_view install_id, std::int64_t version_id) {
    if (percent >= 100) {
        return true;
    }
    if (percent <= 0) {
        return false;
    }
    return rollout_bucket(install_id, version_id) < percent;
}

}  // namespace beacon::releases
