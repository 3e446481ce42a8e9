#pragma once

#include <cstdint>

#include "core/time_zone.hpp"

namespace beacon::telemetry {

// The telemetry module's settings (from app/config).
struct TelemetrySettings {
    std::int64_t online_window_s = 180;
    std::int64_t heartbeat_interval_s = 60;
    std::int64_t snapshot_retention_s = 90 * 86400;
    std::int64_t event_retention_s = 400 * 86400;
    TimeZone tz = TimeZone::utc();
};

}  // namespace beacon::telemetry
