#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace beacon {

// All times in Beacon are UTC instants with millisecond precision.
using Millis = std::chrono::milliseconds;
using TimePoint = std::chrono::sys_time<Millis>;
// A calendar day in the reporting time zone (see core/time_zone.hpp).
using Day = std::chrono::sys_days;

inline std::int64_t to_epoch_ms(TimePoint t) {
    return t.time_since_epoch().count();
}
inline TimePoint from_epoch_ms(std::int64_t ms) {
    return TimePoint{Millis{ms}};
}

// Source of "now". Injected everywhere time matters (heartbeat windows, day
// boundaries, URL expiry, job schedules) so tests set time instead of sleeping.
// Implementations are thread-safe.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
public:
    TimePoint now() const override { return std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()); }
};

// A clock that only moves when told to; for tests and simulations.
class ManualClock final : public Clock {
public:
    explicit ManualClock(TimePoint start) : ms_(to_epoch_ms(start)) {}
    TimePoint now() const override { return from_epoch_ms(ms_.load()); }
    void set(TimePoint t) { ms_.store(to_epoch_ms(t)); }
    void advance(Millis d) { ms_.fetch_add(d.count()); }

private:
    std::atomic<std::int64_t> ms_;
};

}  // namespace beacon
