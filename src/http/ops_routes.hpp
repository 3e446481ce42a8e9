#pragma once

#include <string>
#include <vector>

#include "core/health.hpp"
#include "http/metrics.hpp"
#include "http/router.hpp"

namespace beacon::http {

// A named readiness check for /readyz ("database", "presence", "storage").
struct ReadinessCheck {
    std::string name;
    HealthProbe* probe;
};

// /healthz, /readyz, /metrics and /openapi.json.
void add_ops_routes(Router& router, Metrics& metrics, std::vector<ReadinessCheck> checks);

}  // namespace beacon::http
