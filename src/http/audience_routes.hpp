#pragma once

#include "core/clock.hpp"
#include "http/router.hpp"
#include "releases/release_service.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/presence_service.hpp"
#include "telemetry/settings.hpp"

namespace beacon::http {

// What the audience handlers call: telemetry for the counts, the release
// catalog for version names and for the version an adoption is asked of.
// References outlive the router.
struct AudienceApi {
    telemetry::PresenceService& presence;
    telemetry::EventStore& events;
    releases::ReleaseService& releases;
    const Clock& clock;
    telemetry::TelemetrySettings settings;
};

// Who runs which build (API.md 1.1 "Versions in telemetry"):
// GET /admin/telemetry/versions, GET /admin/telemetry/versions/below and
// GET /admin/versions/{id}/adoption; and release health (API.md 1.1
// "Release health"): GET /admin/versions/{id}/health.
void add_audience_routes(Router& router, AudienceApi& api);

}  // namespace beacon::http
