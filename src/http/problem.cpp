#include "http/problem.hpp"

#include <boost/json.hpp>

#include "core/json_write.hpp"

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

struct StatusInfo {
    bh::status status;
    const char* slug;
    const char* title;
};

// Status and slug go together (API.md "Details that settle edge cases").
constexpr StatusInfo kStatuses[] = {
    {bh::status::bad_request, "validation", "The request is not valid"},
    {bh::status::unauthorized, "unauthorized", "Authentication is required"},
    {bh::status::forbidden, "forbidden", "Not allowed"},
    {bh::status::not_found, "not-found", "Not found"},
    {bh::status::method_not_allowed, "method-not-allowed", "Method not allowed"},
    {bh::status::conflict, "conflict", "Conflict"},
    {bh::status::precondition_failed, "precondition-failed", "Precondition failed"},
    {bh::status::payload_too_large, "payload-too-large", "Payload too large"},
    {bh::status::unsupported_media_type, "unsupported-media-type", "Unsupported media type"},
    {bh::status::request_header_fields_too_large, "request-header-fields-too-large", "Request header fields too large"},
    {bh::status::range_not_satisfiable, "range-not-satisfiable", "Range not satisfiable"},
    {bh::status::unprocessable_entity, "unprocessable", "Unprocessable content"},
    {bh::status::too_many_requests, "rate-limited", "Too many requests"},
    {bh::status::service_unavailable, "unavailable", "Service unavailable"},
    {bh::status::not_implemented, "not-implemented", "Not implemented"},
    {bh::status::internal_server_error, "internal", "Internal server error"},
};

const StatusInfo& info_for(bh::status s) {
    for (const auto& i : kStatuses) {
        if (i.status == s) {
            return i;
        }
    }
    return kStatuses[std::size(kStatuses) - 1];
}

bh::status status_for(ErrorCode c) {
    switch (c) {
        case ErrorCode::InvalidArgument:
        case ErrorCode::InvalidJson:
            return bh::status::bad_request;
        case ErrorCode::NotFound:
            return bh::status::not_found;
        case ErrorCode::Conflict:
            return bh::status::conflict;
        case ErrorCode::PreconditionFailed:
            return bh::status::precondition_failed;
        case ErrorCode::Unprocessable:
            return bh::status::unprocessable_entity;
        case ErrorCode::PayloadTooLarge:
            return bh::status::payload_too_large;
        case ErrorCode::Unavailable:
            return bh::status::service_unavailable;
        case ErrorCode::Internal:
            return bh::status::internal_server_error;
    }
    return bh::status::internal_server_error;
}

}  // namespace

Problem make_problem(bh::status status, std::string detail) {
    const auto& i = info_for(status);
    return Problem{i.status, i.slug, i.title, std::move(detail), {}};
}

Problem problem_from_error(const Error& e) {
    // Internal errors may carry details of a bug (SQL, paths): never sent.
    std::string detail = e.code == ErrorCode::Internal ? "an unexpected error occurred; it has been logged" : e.message;
    Problem p = make_problem(status_for(e.code), std::move(detail));
    p.errors = e.fields;
    if (e.code == ErrorCode::InvalidJson) {
        p.slug = "invalid-json";
        p.title = "Malformed JSON";
    }
    return p;
}

std::string problem_body(const Problem& p) {
    boost::json::object o;
    o["type"] = "https://beacon.dev/problems/" + p.slug;
    o["title"] = p.title;
    o["status"] = static_cast<int>(p.status);
    o["detail"] = p.detail;
    if (!p.errors.empty()) {
        boost::json::array errs;
        for (const auto& f : p.errors) {
            errs.push_back(boost::json::object{{"field", f.field}, {"message", f.message}});
        }
        o["errors"] = std::move(errs);
    }
    return json_write(o);
}

}  // namespace beacon::http
