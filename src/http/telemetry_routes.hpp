#pragma once

#include <cstddef>

#include "core/clock.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "telemetry/dau_service.hpp"
#include "telemetry/event_ingestor.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/presence_service.hpp"
#include "telemetry/settings.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::http {

// Body limits from API.md "Conventions".
inline constexpr std::size_t kHeartbeatLimit = 4 * 1024;
inline constexpr std::size_t kEventsLimit = 1024 * 1024;

// What the telemetry handlers call. References outlive the router.
struct TelemetryApi {
    telemetry::PresenceService& presence;
    telemetry::EventIngestor& ingestor;
    telemetry::DauService& dau;
    telemetry::EventStore& events;
    telemetry::SnapshotStore& snapshots;
    Metrics& metrics;
    const Clock& clock;
    telemetry::TelemetrySettings settings;
};

// Client telemetry (POST /telemetry/heartbeat, GET /telemetry/online,
// POST /telemetry/events) and admin telemetry (/admin/telemetry/realtime,
// /dau, /events, /online/history).
void add_telemetry_routes(Router& router, TelemetryApi& api);

}  // namespace beacon::http
