#pragma once

#include "app/config.hpp"

namespace beacon::app {

// The composition root: builds the backends the configuration selects, the
// domain services, the jobs and the HTTP server; serves until SIGTERM/SIGINT;
// then stops in reverse order (stop accepting and drain requests, stop jobs,
// commit pending events, flush in-memory state). Returns the exit code.
int serve(Config config);

// `beacon migrate`: applies the database migrations without serving.
int migrate(const Config& config);

}  // namespace beacon::app
