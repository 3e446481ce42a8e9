#pragma once

#include <cstdint>
#include <string>

namespace beacon::app {

// The one-time sign-in link `beacon token --admin --console` prints:
// `<base>/console/#token=<token>`. The base is BEACON_PUBLIC_URL when set,
// else http:// and the listening address (`localhost` for a wildcard address,
// IPv6 in brackets). The token rides in the fragment, which browsers never
// send to a server, so it reaches no access log; the console moves it to
// sessionStorage and removes it from the address bar.
std::string console_link(const std::string& public_url,
                         const std::string& listen_host,
                         std::uint16_t listen_port,
                         const std::string& token);

// Entry point for the `beacon` binary: subcommands serve, migrate, token, release publish.
// Returns the process exit code.
int run_cli(int argc, char** argv);

}  // namespace beacon::app
