#pragma once

#include <optional>

#include "core/clock.hpp"

namespace beacon::webhooks {

// When a failed delivery is tried again (API.md 1.1 "Webhooks": retried with
// backoff for up to 24 h on anything but a 2xx).
//
// After the n-th failed attempt (n >= 1) the next one is due
// min(5 s * 2^(n-1), 1 h) after the failed one: 5 s, 10 s, 20 s, ... 40 min,
// then hourly. No jitter: there is one receiver and a replica sends one
// delivery at a time, so failures do not come back in a herd. Deliveries are
// tried while next attempt < created_at + 24 h; a failed attempt whose next
// one would be at or past that is the last: the delivery is given up. So a
// delivery is always attempted at least once, even one that waited out the
// 24 h while every replica was down.
struct RetrySchedule {
    Millis first_delay{5000};
    Millis max_delay{3600 * 1000};
    Millis give_up_after{24 * 3600 * 1000};

    // The delay after the `failed_attempts`-th failure (>= 1).
    Millis delay_after(int failed_attempts) const;
    // The next attempt's time after a failure at `failed_at`, or nullopt when
    // the delivery created at `created_at` is to be given up.
    std::optional<TimePoint> next_attempt(TimePoint created_at, TimePoint failed_at, int failed_attempts) const;
};

}  // namespace beacon::webhooks
