#pragma once

namespace beacon::app {

// Entry point for the `beacon` binary: subcommands serve, migrate, token, release publish.
// Returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace beacon::app
