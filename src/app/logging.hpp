#pragma once

#include "app/config.hpp"

namespace beacon::app {

// Installs the process-wide spdlog logger: stderr, text or one JSON object
// per line, written by a background thread so request threads never wait on
// the terminal. Call once at startup.
void setup_logging(LogFormat format);

}  // namespace beacon::app
