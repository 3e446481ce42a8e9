#include "http/rate_limit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

namespace beacon::http {
namespace {

constexpr double kMaxRate = 1'000'000;
constexpr std::uint64_t kMaxBurst = 1'000'000;

bool plain_decimal(std::string_view s) {
    // Digits with at most one '.', not first or last: from_chars would also
    // take exponents, "inf" and "nan".
    if (s.empty() || s.front() == '.' || s.back() == '.') {
        return false;
    }
    int dots = 0;
    for (char c : s) {
        if (c == '.') {
            ++dots;
        } else if (c < '0' || c > '9') {
            return false;
        }
    }
    return dots <= 1;
}

}  // namespace

std::optional<RateLimit> parse_rate_limit(std::string_view text) {
    std::string_view rate_text = text;
    std::optional<std::string_view> burst_text;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        rate_text = text.substr(0, slash);
        burst_text = text.substr(slash + 1);
    }
    if (!plain_decimal(rate_text) || rate_text.size() > 16) {
        return std::nullopt;
    }
    double rate = 0;
    if (std::from_chars(rate_text.data(), rate_text.data() + rate_text.size(), rate).ec != std::errc{} ||
        rate > kMaxRate) {
        return std::nullopt;
    }
    if (rate == 0) {
        // Off; "0/5" says two contradicting things.
        return burst_text ? std::nullopt : std::optional<RateLimit>(RateLimit{0, 0});
    }
    std::uint64_t burst = 0;
    if (burst_text) {
        auto [end, ec] = std::from_chars(burst_text->data(), burst_text->data() + burst_text->size(), burst);
        if (burst_text->empty() || ec != std::errc{} || end != burst_text->data() + burst_text->size() || burst < 1 ||
            burst > kMaxBurst) {
            return std::nullopt;
        }
    } else {
        burst = static_cast<std::uint64_t>(std::clamp(std::ceil(2 * rate), 1.0, static_cast<double>(kMaxBurst)));
    }
    return RateLimit{rate, burst};
}

std::string format_rate_limit(const RateLimit& limit) {
    if (!limit.enabled()) {
        return "0";
    }
    std::ostringstream out;
    out << limit.rate << "/" << limit.burst;
    return out.str();
}

std::int64_t TokenBucket::take(const RateLimit& limit, std::int64_t now_ms) {
    const auto burst = static_cast<double>(limit.burst);
    if (now_ms > updated_ms) {
        tokens = std::min(burst, tokens + static_cast<double>(now_ms - updated_ms) * limit.rate / 1000.0);
        updated_ms = now_ms;
    }
    if (tokens >= 1.0) {
        tokens -= 1.0;
        return 0;
    }
    auto wait = static_cast<std::int64_t>(std::ceil((1.0 - tokens) / limit.rate));
    return std::max<std::int64_t>(1, wait);
}

bool TokenBucket::full_at(const RateLimit& limit, std::int64_t now_ms) const {
    const double elapsed = now_ms > updated_ms ? static_cast<double>(now_ms - updated_ms) : 0.0;
    return tokens + elapsed * limit.rate / 1000.0 >= static_cast<double>(limit.burst);
}

RateLimiter::RateLimiter(RateLimit limit, const Clock& clock, std::size_t max_buckets)
    : limit_(limit), clock_(clock), max_buckets_(std::max<std::size_t>(1, max_buckets)) {}

std::int64_t RateLimiter::take(const IpAddress& key) {
    if (!limit_.enabled()) {
        return 0;
    }
    const std::int64_t now = to_epoch_ms(clock_.now());
    std::lock_guard lock(mu_);
    // Idle buckets at the cold end are full again: dropping them changes
    // nothing. (About one per request, in steady state.)
    while (!lru_.empty() && lru_.back().key != key && lru_.back().bucket.full_at(limit_, now)) {
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
    auto it = index_.find(key);
    if (it != index_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second);
        return it->second->bucket.take(limit_, now);
    }
    if (index_.size() >= max_buckets_) {
        // Full of clients that are all still spending: the least recent one
        // starts over with a full burst, the price of bounded memory.
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
    lru_.push_front(Entry{key, TokenBucket{static_cast<double>(limit_.burst), now}});
    index_.emplace(key, lru_.begin());
    return lru_.front().bucket.take(limit_, now);
}

std::size_t RateLimiter::bucket_count() const {
    std::lock_guard lock(mu_);
    return index_.size();
}

}  // namespace beacon::http
