#pragma once

#include "http/router.hpp"
#include "jobs/scheduler.hpp"

namespace beacon::http {

// GET /admin/jobs, POST /admin/jobs/{name}/run.
void add_job_routes(Router& router, jobs::Scheduler& scheduler);

}  // namespace beacon::http
