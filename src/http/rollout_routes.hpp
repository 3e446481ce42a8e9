#pragma once

#include "http/router.hpp"
#include "releases/rollout_control.hpp"

namespace beacon::http {

// What the rollout handlers call. References outlive the router.
struct RolloutApi {
    releases::RolloutControl& control;
};

// Health-gated rollouts (API.md 1.1): GET /admin/versions/{id}/rollout and
// POST /admin/versions/{id}/rollout/pause, /resume and /advance (the If-Match
// rule of PATCH; 409 when the state does not allow the verb).
void add_rollout_routes(Router& router, RolloutApi& api);

}  // namespace beacon::http
