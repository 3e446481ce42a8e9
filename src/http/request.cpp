#include "http/request.hpp"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "core/json_write.hpp"
#include "http/problem.hpp"

namespace beacon::http {

namespace bh = boost::beast::http;

std::optional<std::string_view> Request::query_param(std::string_view name) const {
    for (const auto& [k, v] : query) {
        if (k == name) {
            return std::string_view(v);
        }
    }
    return std::nullopt;
}

std::optional<std::string> Request::token_user() const {
    if (principal && !principal->subject.empty()) {
        return principal->subject;
    }
    return std::nullopt;
}

Response json_response(bh::status status, std::string body) {
    Response res{status, 11};
    res.set(bh::field::content_type, "application/json");
    res.body() = std::move(body);
    res.prepare_payload();
    return res;
}

Response json_response(bh::status status, const boost::json::value& body) {
    // Not boost::json::serialize: it writes doubles in exponent form (12.4 as
    // 1.24E1), and every number in a response is a plain decimal.
    return json_response(status, json_write(body, JsonNumbers::Plain));
}

namespace {
Response from_problem(const Problem& p) {
    Response res{p.status, 11};
    res.set(bh::field::content_type, "application/problem+json");
    if (p.status == bh::status::service_unavailable) {
        res.set(bh::field::retry_after, "5");
    }
    res.body() = problem_body(p);
    res.prepare_payload();
    return res;
}
}  // namespace

Response problem_response(const Error& e) {
    if (e.code == ErrorCode::Internal) {
        // The answer says only that it was logged: this is that log line.
        spdlog::error("internal error: {}", e.message);
    }
    Response res = from_problem(problem_from_error(e));
    if (e.code == ErrorCode::Unavailable) {
        res.body().failed_backend = e.backend;
    }
    return res;
}

Response problem_response(bh::status status, std::string detail) {
    return from_problem(make_problem(status, std::move(detail)));
}

Response field_problem(std::string field, std::string message) {
    return problem_response(invalid_field(std::move(field), std::move(message)));
}

Response empty_response(bh::status status) {
    Response res{status, 11};
    res.prepare_payload();
    return res;
}

namespace {

// A body's arena with its first kilobyte inside it: one allocation for a
// small document (a heartbeat) instead of the resource's and its first
// block's. (monotonic_resource is final, so this holds one and forwards.)
class BodyArena final : public boost::json::memory_resource {
public:
    BodyArena() : arena_(first_, sizeof first_) {}

private:
    void* do_allocate(std::size_t n, std::size_t align) override { return arena_.allocate(n, align); }
    void do_deallocate(void*, std::size_t, std::size_t) override {}
    bool do_is_equal(const memory_resource& other) const noexcept override { return this == &other; }

    unsigned char first_[1024];
    boost::json::monotonic_resource arena_;
};

}  // namespace
}  // namespace beacon::http

// Like monotonic_resource: values on this arena skip their deallocations.
template <>
struct boost::json::is_deallocate_trivial<beacon::http::BodyArena> : std::true_type {};

namespace beacon::http {
namespace {

// One parser per thread, reset for each body: json::parse constructs one
// per call and sets up its internal stack every time. With the arena above,
// a heartbeat's parse_json_body went from 3.3k to 3.1k instructions
// (callgrind); the rest is the parse itself.
boost::json::parser& thread_parser() {
    static thread_local boost::json::parser parser = [] {
        boost::json::parse_options opts;
        opts.max_depth = 64;
        return boost::json::parser({}, opts);
    }();
    return parser;
}

}  // namespace

Result<boost::json::value> parse_json_body(std::string_view body) {
    boost::json::parser& parser = thread_parser();
    // One arena per body: a batch of events is hundreds of small nodes, and
    // freeing them one by one cost about as much as parsing them (callgrind).
    // Whatever is kept from the document is copied out by the handlers.
    parser.reset(boost::json::make_shared_resource<BodyArena>());
    boost::system::error_code ec;
    parser.write(body.data(), body.size(), ec);
    if (ec) {
        parser.reset();  // lets go of the arena
        return make_error(ErrorCode::InvalidJson, "the body is not valid JSON: " + ec.message());
    }
    boost::json::value v = parser.release();
    parser.reset();
    return v;
}

Result<boost::json::object> parse_json_object(std::string_view body) {
    auto v = parse_json_body(body);
    if (!v) {
        return std::move(v).error();
    }
    if (!v->is_object()) {
        return invalid_field("", "the body must be a JSON object");
    }
    return std::move(v->get_object());
}

}  // namespace beacon::http
