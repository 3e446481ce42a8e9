#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "releases/rollout_plan.hpp"

namespace beacon::releases {

// The platforms a release targets. Stored and sent lower-case.
enum class Platform : std::uint8_t { Android, Ios };

// Case-insensitive "android" / "ios"; nullopt for anything else.
std::optional<Platform> parse_platform(std::string_view text);
std::string_view to_string(Platform p);

// A stored file (APK, IPA or other ZIP), content-addressed by SHA-256.
struct Artifact {
    std::string key;  // "android/<sha256>.apk", "ios/<sha256>.ipa", "other/<sha256>.zip"
    std::string file_name;
    std::int64_t file_size = 0;
    std::string sha256;  // 64 lower-case hex
    std::string content_type;
    std::optional<std::string> package_name;
};

// One app version: a row of app_versions and the contract's version object.
struct ReleaseVersion {
    std::int64_t id = 0;
    Platform platform = Platform::Android;
    std::string channel = "stable";
    std::int64_t version_code = 0;
    std::string version_name;
    std::optional<std::string> changelog;
    bool is_force_update = false;
    bool is_enabled = true;
    std::optional<std::int64_t> min_supported_version_code;
    int rollout_percent = 100;  // 0..100
    // Days after released_at from which this version forces the update on
    // the clients it is offered to (API.md 1.1, "Staleness"): 1..3650, or none.
    std::optional<int> force_after_days;
    // A health-gated rollout (API.md 1.1 "Health-gated rollouts"): the plan,
    // and where it stands (meaningful only with a plan). rollout_percent is
    // the plan's current step.
    std::optional<RolloutPlan> rollout_plan;
    RolloutProgress rollout_progress;
    std::optional<Artifact> artifact;
    std::optional<std::string> external_url;
    TimePoint released_at;
    TimePoint created_at;
    TimePoint updated_at;
    std::int64_t revision = 1;

    // Neither a stored artifact nor an external URL: never offered to clients.
    bool is_draft() const { return !artifact && !external_url; }
    // A plan halted by its health: offered to no one, forced or not.
    bool is_halted() const { return rollout_plan && rollout_progress.state == RolloutState::Halted; }
};

}  // namespace beacon::releases
