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

// `beacon release status|pause|resume|advance ID --server URL --token T
// [--if-match REVISION]`: GET /admin/versions/{id}/rollout, or POST its
// verb; prints the rollout object (JSON) on stdout. Errors as above.
struct RolloutOptions {
    std::string verb;  // "status", "pause", "resume" or "advance"
    std::int64_t version_id = 0;
    std::string server;
    std::string token;
    std::optional<std::int64_t> if_match;  // the version's revision
};
int rollout_command(const RolloutOptions& options);

}  // namespace beacon::app
