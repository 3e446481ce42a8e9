// /healthz, /readyz, /metrics and /openapi.json.
#include <boost/json.hpp>

#include "http/openapi_document.hpp"
#include "http/ops_routes.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

}  // namespace

void add_ops_routes(Router& router, Metrics& metrics, std::vector<ReadinessCheck> checks) {
    // Probes and scrapers are never rate limited (API.md "Rate limits").
    router.add("GET", "/healthz", {.rate_limited = false}, [](Request&) -> asio::awaitable<Response> {
        co_return json_response(bh::status::ok, std::string("{\"status\":\"ok\"}"));
    });
    router.add("GET",
               "/readyz",
               {.access = Access::Public, .executor = Executor::Ops, .rate_limited = false},
               [checks = std::move(checks)](Request&) -> asio::awaitable<Response> {
                   json::object results;
                   bool all_ok = true;
                   for (const auto& c : checks) {
                       auto r = c.probe->ping();
                       all_ok = all_ok && r.ok();
                       results[c.name] = r ? std::string("ok") : "down: " + r.error().message;
                   }
                   co_return json_response(
                       all_ok ? bh::status::ok : bh::status::service_unavailable,
                       json::object{{"status", all_ok ? "ready" : "unavailable"}, {"checks", std::move(results)}});
               });
    router.add("GET",
               "/metrics",
               {.access = Access::Public, .executor = Executor::Ops, .rate_limited = false},
               [&metrics](Request&) -> asio::awaitable<Response> {
                   Response res{bh::status::ok, 11};
                   res.set(bh::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
                   res.body() = metrics.render();
                   res.prepare_payload();
                   co_return res;
               });
    // The contract as a document, for client teams' SDK generators: public,
    // like the API it describes, and the same bytes as docs/api/openapi.json.
    router.add("GET", "/openapi.json", {.access = Access::Public}, [](Request&) -> asio::awaitable<Response> {
        co_return json_response(bh::status::ok, std::string(openapi_document()));
    });
}

}  // namespace beacon::http
