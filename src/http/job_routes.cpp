// Handlers of /admin/jobs.
#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "http/job_routes.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

asio::awaitable<Response> list_jobs(jobs::Scheduler& s, Request&) {
    auto st = s.statuses();
    if (!st) {
        co_return problem_response(st.error());
    }
    json::array out;
    for (const auto& j : *st) {
        json::object o{{"name", j.name}, {"schedule", j.schedule}};
        o["lastRunAt"] = j.last_run ? json::value(format_iso8601(j.last_run->last_run_at)) : json::value(nullptr);
        o["lastDurationMs"] = j.last_run ? json::value(j.last_run->last_duration_ms) : json::value(nullptr);
        o["lastError"] =
            j.last_run && j.last_run->last_error ? json::value(*j.last_run->last_error) : json::value(nullptr);
        o["nextRunAt"] = format_iso8601(j.next_run_at);
        out.push_back(std::move(o));
    }
    co_return json_response(bh::status::ok, json::object{{"jobs", std::move(out)}});
}

asio::awaitable<Response> run_job(jobs::Scheduler& s, Request& req) {
    std::optional<Day> day;
    if (auto v = req.query_param("day")) {
        if (req.params[0] != "nightly-dau") {
            co_return field_problem("day", "is only accepted by nightly-dau");
        }
        day = parse_day(*v);
        if (!day) {
            co_return field_problem("day", "must be a day such as 2026-11-24");
        }
    }
    auto report = s.run_now(req.params[0], day);
    if (!report) {
        co_return problem_response(report.error());
    }
    co_return json_response(bh::status::ok,
                            json::object{{"name", report->name},
                                         {"ranAt", format_iso8601(report->ran_at)},
                                         {"durationMs", report->duration_ms},
                                         {"result", report->result}});
}

}  // namespace

void add_job_routes(Router& router, jobs::Scheduler& scheduler) {
    router.add(
        "GET", "/admin/jobs", {.access = Access::Admin, .executor = Executor::Blocking}, [&scheduler](Request& r) {
            return list_jobs(scheduler, r);
        });
    router.add("POST",
               "/admin/jobs/{name}/run",
               {.access = Access::Admin, .executor = Executor::Blocking},
               [&scheduler](Request& r) { return run_job(scheduler, r); });
}

}  // namespace beacon::http
