// Handlers of the versions-in-telemetry reports: parse and validate the
// query, ask telemetry (and the catalog, for names and versions), answer.
#include "http/audience_routes.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "http/query_params.hpp"
#include "http/release_routes.hpp"
#include "jobs/rollout_job.hpp"
#include "telemetry/release_health.hpp"
#include "telemetry/version_code.hpp"
#include "telemetry/version_reports.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;
using telemetry::VersionCount;

constexpr std::string_view kPlatformRule = "must be one of android, ios, web, desktop, other";

// `platform`, required (any case).
Result<telemetry::Platform> platform_param(const Request& req) {
    auto text = text_param(req, "platform");
    if (!text) {
        return invalid_field("platform", "is required");
    }
    auto p = telemetry::parse_platform(*text);
    if (!p) {
        return invalid_field("platform", std::string(kPlatformRule));
    }
    return *p;
}

// `versionCode`, required, 0..2147483647.
Result<telemetry::VersionCode> version_code_param(const Request& req) {
    const std::string rule(telemetry::kVersionCodeRule);
    auto code = integer_param(req, "versionCode", rule);
    if (!code) {
        return std::move(code).error();
    }
    if (!*code) {
        return invalid_field("versionCode", "is required");
    }
    if (**code < 0 || **code > telemetry::kMaxVersionCode) {
        return invalid_field("versionCode", rule);
    }
    return static_cast<telemetry::VersionCode>(**code);
}

json::value code_json(const std::optional<telemetry::VersionCode>& code) {
    return code ? json::value(*code) : json::value(nullptr);
}

// The catalog's names of the codes (android and ios only: the catalog has
// no other platform).
Result<std::map<std::int64_t, std::string>> names_of(AudienceApi& api,
                                                     telemetry::Platform platform,
                                                     const std::vector<std::int64_t>& codes) {
    auto catalog_platform = releases::parse_platform(telemetry::to_string(platform));
    if (!catalog_platform || codes.empty()) {
        return std::map<std::int64_t, std::string>{};
    }
    return api.releases.version_names(*catalog_platform, codes);
}

asio::awaitable<Response> versions(AudienceApi& api, Request& req) {
    auto platform = platform_param(req);
    if (!platform) {
        co_return problem_response(platform.error());
    }
    auto audience = api.presence.versions(*platform);
    if (!audience) {
        co_return problem_response(audience.error());
    }
    // One row per code seen online or today, highest first, none last.
    std::map<std::optional<telemetry::VersionCode>, std::pair<std::int64_t, std::int64_t>> rows;
    for (const VersionCount& v : audience->online_by_version) {
        rows[v.version_code].first = v.count;
    }
    for (const VersionCount& v : audience->dau_by_version) {
        rows[v.version_code].second = v.count;
    }
    std::vector<std::int64_t> codes;
    for (const auto& [code, counts] : rows) {
        if (code) {
            codes.push_back(*code);
        }
    }
    auto names = names_of(api, *platform, codes);
    if (!names) {
        co_return problem_response(names.error());
    }
    json::array out;
    auto add = [&](const std::optional<telemetry::VersionCode>& code, std::pair<std::int64_t, std::int64_t> counts) {
        json::value name = nullptr;
        if (code) {
            if (auto it = names->find(*code); it != names->end()) {
                name = it->second;
            }
        }
        out.push_back(json::object{{"versionCode", code_json(code)},
                                   {"versionName", std::move(name)},
                                   {"online", counts.first},
                                   {"dauApprox", counts.second}});
    };
    for (auto it = rows.rbegin(); it != rows.rend(); ++it) {
        if (it->first) {
            add(it->first, it->second);
        }
    }
    if (auto none = rows.find(std::nullopt); none != rows.end()) {
        add(std::nullopt, none->second);
    }
    co_return json_response(bh::status::ok,
                            json::object{{"platform", telemetry::to_string(*platform)},
                                         {"at", format_iso8601(audience->at)},
                                         {"day", format_day(audience->day)},
                                         {"timezone", api.settings.tz.name()},
                                         {"online", audience->online},
                                         {"dauApprox", audience->dau_approx},
                                         {"versions", std::move(out)}});
}

asio::awaitable<Response> below(AudienceApi& api, Request& req) {
    auto platform = platform_param(req);
    if (!platform) {
        co_return problem_response(platform.error());
    }
    auto code = version_code_param(req);
    if (!code) {
        co_return problem_response(code.error());
    }
    const std::string days_rule = "must be an integer from 1 to " + std::to_string(telemetry::kMaxBelowDays);
    auto days = integer_param(req, "days", days_rule);
    if (!days) {
        co_return problem_response(days.error());
    }
    std::optional<int> day_count;
    if (*days) {
        if (**days < 1 || **days > telemetry::kMaxBelowDays) {
            co_return field_problem("days", days_rule);
        }
        day_count = static_cast<int>(**days);
    }
    auto report = telemetry::left_behind(api.events, *platform, *code, day_count, api.clock.now(), api.settings.tz);
    if (!report) {
        co_return problem_response(report.error());
    }
    co_return json_response(bh::status::ok,
                            json::object{{"platform", telemetry::to_string(report->platform)},
                                         {"versionCode", report->version_code},
                                         {"days", report->days},
                                         {"timezone", api.settings.tz.name()},
                                         {"actors", report->counts.actors},
                                         {"below", report->counts.below},
                                         {"share", report->share},
                                         {"unknown", report->counts.unknown}});
}

asio::awaitable<Response> adoption(AudienceApi& api, Request& req) {
    auto id = parse_version_id(req.params[0]);
    if (!id) {
        co_return problem_response(make_error(ErrorCode::NotFound, "no version with that id"));
    }
    telemetry::AdoptionQuery q;
    if (auto v = req.query_param("interval")) {
        q.interval = telemetry::parse_adoption_interval(*v);
        if (!q.interval) {
            co_return field_problem("interval", "must be 1h or 1d");
        }
    }
    auto bounds = time_bounds(req);
    if (!bounds) {
        co_return problem_response(bounds.error());
    }
    q.from = bounds->from;
    q.to = bounds->to;
    auto version = api.releases.get(*id);
    if (!version) {
        co_return problem_response(version.error());
    }
    const auto platform = telemetry::parse_platform(releases::to_string(version->platform));
    auto report = telemetry::adoption(api.events,
                                      platform.value_or(telemetry::Platform::Unknown),
                                      static_cast<telemetry::VersionCode>(version->version_code),
                                      q,
                                      api.clock.now(),
                                      api.settings.tz);
    if (!report) {
        co_return problem_response(report.error());
    }
    json::array points;
    for (const telemetry::AdoptionPoint& p : report->points) {
        points.push_back(json::object{{"at", format_iso8601(p.at)}, {"installs", p.installs}, {"share", p.share}});
    }
    co_return json_response(bh::status::ok,
                            json::object{{"versionId", version->id},
                                         {"platform", releases::to_string(version->platform)},
                                         {"versionCode", version->version_code},
                                         {"interval", telemetry::adoption_interval_name(report->interval)},
                                         {"timezone", api.settings.tz.name()},
                                         {"points", std::move(points)}});
}

asio::awaitable<Response> health(AudienceApi& api, Request& req) {
    auto id = parse_version_id(req.params[0]);
    if (!id) {
        co_return problem_response(make_error(ErrorCode::NotFound, "no version with that id"));
    }
    std::int64_t window_s = telemetry::kDefaultHealthWindowS;
    if (auto w = req.query_param("window")) {
        auto seconds = parse_duration_seconds(*w);
        if (!seconds) {
            co_return field_problem("window", "must be a duration from 1h to 30d, such as 24h");
        }
        window_s = *seconds;
    }
    auto version = api.releases.get(*id);
    if (!version) {
        co_return problem_response(version.error());
    }
    // The verdict by the version's rollout plan, else the defaults.
    auto report = jobs::version_health(api.events, *version, window_s, api.clock.now());
    if (!report) {
        co_return problem_response(report.error());
    }
    co_return json_response(bh::status::ok, telemetry::release_health_json(*report));
}

}  // namespace

void add_audience_routes(Router& router, AudienceApi& api) {
    auto bind = [&api](auto fn) { return [&api, fn](Request& r) { return fn(api, r); }; };
    const RouteOptions admin_read{.access = Access::Admin, .executor = Executor::Blocking};
    router.add("GET", "/admin/telemetry/versions", admin_read, bind(versions));
    router.add("GET", "/admin/telemetry/versions/below", admin_read, bind(below));
    router.add("GET", "/admin/versions/{id}/adoption", admin_read, bind(adoption));
    router.add("GET", "/admin/versions/{id}/health", admin_read, bind(health));
}

}  // namespace beacon::http
