#include "http/release_json.hpp"

#include "core/time_format.hpp"

namespace beacon::http {

namespace json = boost::json;
using releases::ReleaseVersion;

json::value json_or_null(const std::optional<std::string>& s) {
    return s ? json::value(*s) : json::value(nullptr);
}
json::value json_or_null(const std::optional<std::int64_t>& v) {
    return v ? json::value(*v) : json::value(nullptr);
}

json::object artifact_json(const releases::Artifact& a) {
    return json::object{{"key", a.key},
                        {"fileName", a.file_name},
                        {"fileSize", a.file_size},
                        {"sha256", a.sha256},
                        {"contentType", a.content_type},
                        {"packageName", json_or_null(a.package_name)}};
}

json::object version_json(const ReleaseVersion& v) {
    json::object o;
    o["id"] = v.id;
    o["platform"] = std::string(releases::to_string(v.platform));
    o["channel"] = v.channel;
    o["versionCode"] = v.version_code;
    o["versionName"] = v.version_name;
    o["changelog"] = json_or_null(v.changelog);
    o["isForceUpdate"] = v.is_force_update;
    o["isEnabled"] = v.is_enabled;
    o["minSupportedVersionCode"] = json_or_null(v.min_supported_version_code);
    o["rolloutPercent"] = v.rollout_percent;
    o["forceAfterDays"] = v.force_after_days ? json::value(*v.force_after_days) : json::value(nullptr);
    o["rolloutPlan"] = v.rollout_plan ? releases::rollout_plan_json(*v.rollout_plan) : json::value(nullptr);
    o["rolloutState"] =
        v.rollout_plan ? json::value(releases::rollout_state_name(v.rollout_progress.state)) : json::value(nullptr);
    o["artifact"] = v.artifact ? json::value(artifact_json(*v.artifact)) : json::value(nullptr);
    o["externalUrl"] = json_or_null(v.external_url);
    o["releasedAt"] = format_iso8601(v.released_at);
    o["createdAt"] = format_iso8601(v.created_at);
    o["updatedAt"] = format_iso8601(v.updated_at);
    o["revision"] = v.revision;
    return o;
}

}  // namespace beacon::http
