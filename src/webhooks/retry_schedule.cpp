#include "webhooks/retry_schedule.hpp"

#include <algorithm>

namespace beacon::webhooks {

Millis RetrySchedule::delay_after(int failed_attempts) const {
    Millis delay = first_delay;
    for (int i = 1; i < failed_attempts && delay < max_delay; ++i) {
        delay *= 2;
    }
    return std::min(delay, max_delay);
}

std::optional<TimePoint> RetrySchedule::next_attempt(TimePoint created_at,
                                                     TimePoint failed_at,
                                                     int failed_attempts) const {
    const TimePoint next = failed_at + delay_after(failed_attempts);
    if (next >= created_at + give_up_after) {
        return std::nullopt;
    }
    return next;
}

}  // namespace beacon::webhooks
