#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace beacon::app {

// `beacon release publish FILE --server URL --token T [--channel C]
// [--changelog TEXT] [--force] [--rollout N]`.
struct PublishOptions {
    std::string file;
    std::string server;  // base URL, e.g. https://beacon.example.com
    std::string token;   // an admin JWT
    std::optional<std::string> channel;
    std::optional<std::string> changelog;
    bool force = false;
    std::optional<int> rollout;
};

// Uploads the file (multipart), reads the detected platform, versionCode and
// versionName, creates the version and prints it (JSON) on stdout. Errors go
// to stderr, one line each. Returns the exit code: 0, or 1 on any failure.
int publish_release(const PublishOptions& options);

}  // namespace beacon::app
