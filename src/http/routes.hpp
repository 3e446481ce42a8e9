#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/clock.hpp"
#include "core/health.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"
#include "jobs/scheduler.hpp"
#include "telemetry/dau_service.hpp"
#include "telemetry/event_ingestor.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/heartbeat_batcher.hpp"
#include "telemetry/presence_service.hpp"
#include "telemetry/settings.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::http {

// Body limits from API.md "Conventions".
inline constexpr std::size_t kHeartbeatLimit = 4 * 1024;
inline constexpr std::size_t kEventsLimit = 1024 * 1024;
inline constexpr std::size_t kJsonLimit = 64 * 1024;

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
    // Set when presence is across the network: heartbeats are batched off
    // the I/O threads. Null: recorded inline (in-process presence).
    telemetry::HeartbeatBatcher* heartbeats = nullptr;
};

// Client telemetry (heartbeat, online, events) and admin telemetry
// (realtime, dau, events, online history).
void add_telemetry_routes(Router& router, TelemetryApi& api);

// GET /admin/jobs, POST /admin/jobs/{name}/run.
void add_job_routes(Router& router, jobs::Scheduler& scheduler);

// A named readiness check for /readyz ("database", "presence", "storage").
struct ReadinessCheck {
    std::string name;
    HealthProbe* probe;
};

// /healthz, /readyz, /metrics.
void add_ops_routes(Router& router, Metrics& metrics, std::vector<ReadinessCheck> checks);

// Counts a backend failure in beacon_backend_errors_total when `e` says the
// backend is unavailable.
void count_backend_error(Metrics& metrics, const Error& e, const char* backend);

}  // namespace beacon::http
