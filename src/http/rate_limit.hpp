#pragma once

// Per-client token buckets (API.md "Rate limits").
//
// A bucket holds up to `burst` tokens and gains `rate` tokens a second; a
// request takes one, and a request that finds less than one is refused with
// the whole seconds until one will be there (Retry-After, at least 1). A
// bucket that has refilled to `burst` is the same as no bucket at all, so it
// can be dropped: buckets live in an LRU list, idle (full) ones are dropped
// from its cold end as requests pass, and past max_buckets the least
// recently used one goes even if it is not full (that client starts again
// with a full burst: memory stays bounded whatever the number of addresses
// sending). The buckets are in this process's memory: with N replicas behind
// a load balancer, each replica limits on its own.

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.hpp"
#include "http/client_address.hpp"

namespace beacon::http {

struct RateLimit {
    double rate = 200;          // tokens a second; 0: no limit
    std::uint64_t burst = 400;  // at most this many tokens

    bool enabled() const { return rate > 0; }
};

// BEACON_RATE_LIMIT: "0" (off), "<rate>" (burst twice the rate, as the
// default 200 has 400) or "<rate>/<burst>". The rate is a positive number of
// requests a second, decimals allowed ("0.5" is one request every two
// seconds), at most 1000000; the burst a whole number from 1 to 1000000.
// nullopt for anything else.
std::optional<RateLimit> parse_rate_limit(std::string_view text);
// The setting's spelling of `limit`: "200/400", "0.5/1", or "0" when off.
std::string format_rate_limit(const RateLimit& limit);

// One bucket, and the arithmetic on it (no locking, no clock of its own).
struct TokenBucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;

    // Refills for the time since updated_ms (time going backwards refills
    // nothing) and takes one token if there is one. Returns 0 when taken,
    // else the whole seconds (at least 1) until a token will be there.
    std::int64_t take(const RateLimit& limit, std::int64_t now_ms);
    // Whether it would be back to a full burst at now_ms.
    bool full_at(const RateLimit& limit, std::int64_t now_ms) const;
};

// The buckets of every client key (http::limit_key). Thread-safe: one lock,
// held for a hash lookup and a few list moves per request.
class RateLimiter {
public:
    static constexpr std::size_t kDefaultMaxBuckets = 100'000;

    RateLimiter(RateLimit limit, const Clock& clock, std::size_t max_buckets = kDefaultMaxBuckets);

    // 0 when the request may go on; else the Retry-After seconds (>= 1).
    std::int64_t take(const IpAddress& key);

    std::size_t bucket_count() const;
    const RateLimit& limit() const { return limit_; }

private:
    struct Entry {
        IpAddress key;
        TokenBucket bucket;
    };

    RateLimit limit_;
    const Clock& clock_;
    std::size_t max_buckets_;
    mutable std::mutex mu_;
    std::list<Entry> lru_;  // most recently used first
    std::unordered_map<IpAddress, std::list<Entry>::iterator, IpAddressHash> index_;
};

}  // namespace beacon::http
