#include "http/rollout_routes.hpp"

#include <string>

#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "http/release_json.hpp"
#include "http/release_routes.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

json::value time_or_null(const std::optional<TimePoint>& t) {
    return t ? json::value(format_iso8601(*t)) : json::value(nullptr);
}

json::object decision_json(const releases::RolloutDecision& d) {
    return json::object{{"at", format_iso8601(d.at)},
                        {"action", releases::rollout_action_name(d.action)},
                        {"from", d.from},
                        {"to", d.to},
                        {"by", d.by},
                        {"reason", d.reason},
                        {"health", releases::decision_health(d)}};
}

// {"plan", "state", "rolloutPercent", "lastStepAt", "nextStepAt", "decisions"},
// with the version's revision as its ETag (the If-Match of the verbs).
Response rollout_response(const releases::RolloutView& view) {
    const releases::ReleaseVersion& v = view.version;
    const bool planned = v.rollout_plan.has_value();
    json::array decisions;
    for (const releases::RolloutDecision& d : view.decisions) {
        decisions.push_back(decision_json(d));
    }
    Response res = json_response(
        bh::status::ok,
        json::object{
            {"plan", planned ? releases::rollout_plan_json(*v.rollout_plan) : json::value(nullptr)},
            {"state",
             planned ? json::value(releases::rollout_state_name(v.rollout_progress.state)) : json::value(nullptr)},
            {"rolloutPercent", v.rollout_percent},
            {"lastStepAt",
             time_or_null(planned ? std::optional<TimePoint>(v.rollout_progress.last_step_at) : std::nullopt)},
            {"nextStepAt", time_or_null(view.next_step_at)},
            {"decisions", std::move(decisions)}});
    res.set(bh::field::etag, "\"" + std::to_string(v.revision) + "\"");
    return res;
}

asio::awaitable<Response> get_rollout(RolloutApi& api, Request& req) {
    auto target = version_target(req, false);
    if (!target) {
        co_return problem_response(target.error());
    }
    auto view = api.control.view(target->id);
    if (!view) {
        co_return problem_response(view.error());
    }
    co_return rollout_response(*view);
}

asio::awaitable<Response> apply_verb(RolloutApi& api, Request& req, releases::RolloutVerb verb) {
    auto target = version_target(req, true);
    if (!target) {
        co_return problem_response(target.error());
    }
    auto view = api.control.apply(target->id, verb, target->if_match, admin_subject(req));
    if (!view) {
        co_return problem_response(view.error());
    }
    co_return rollout_response(*view);
}

}  // namespace

void add_rollout_routes(Router& router, RolloutApi& api) {
    const RouteOptions admin{.access = Access::Admin, .executor = Executor::Blocking};
    router.add("GET", "/admin/versions/{id}/rollout", admin, [&api](Request& r) { return get_rollout(api, r); });
    auto verb = [&api](releases::RolloutVerb v) { return [&api, v](Request& r) { return apply_verb(api, r, v); }; };
    router.add("POST", "/admin/versions/{id}/rollout/pause", admin, verb(releases::RolloutVerb::Pause));
    router.add("POST", "/admin/versions/{id}/rollout/resume", admin, verb(releases::RolloutVerb::Resume));
    router.add("POST", "/admin/versions/{id}/rollout/advance", admin, verb(releases::RolloutVerb::Advance));
}

}  // namespace beacon::http
