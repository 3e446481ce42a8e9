#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/beast/http/status.hpp>

#include "core/error.hpp"

namespace beacon::http {

// An RFC 9457 problem document. The one place where domain error codes
// become HTTP statuses (STYLE.md section 4).
struct Problem {
    boost::beast::http::status status;
    std::string slug;  // https://beacon.dev/problems/<slug>
    std::string title;
    std::string detail;
    std::vector<FieldError> errors;  // present for validation failures
};

Problem problem_from_error(const Error& e);
Problem make_problem(boost::beast::http::status status, std::string detail);
// The JSON body (application/problem+json).
std::string problem_body(const Problem& p);

}  // namespace beacon::http
