#pragma once

#include <string>
#include <utility>
#include <vector>

namespace beacon {

// Domain error codes. Each maps to exactly one HTTP status in http/problem.cpp;
// domain code never speaks HTTP.
enum class ErrorCode {
    InvalidArgument,     // 400 validation: bad value in a request
    NotFound,            // 404
    Conflict,            // 409: duplicate, or a claim held elsewhere
    PreconditionFailed,  // 412: stale revision
    Unprocessable,       // 422: well-formed but contradicts stored state
    PayloadTooLarge,     // 413: a streamed body went past its limit
    Unavailable,         // 503: a backend is down; safe to retry
    Internal,            // 500: a bug
};

// One field-level validation failure, `field` in the contract's path syntax
// (`events[3].timestamp`).
struct FieldError {
    std::string field;
    std::string message;
};

struct Error {
    ErrorCode code = ErrorCode::Internal;
    std::string message;
    std::vector<FieldError> fields;

    // Returns a copy with `context` prepended to the message ("loading release 42: ...").
    [[nodiscard]] Error with_context(std::string_view context) const {
        Error e = *this;
        e.message = std::string(context) + ": " + message;
        return e;
    }
};

inline Error make_error(ErrorCode code, std::string message) { return Error{code, std::move(message), {}}; }

inline Error invalid_field(std::string field, std::string message) {
    std::string summary = field + ": " + message;
    return Error{ErrorCode::InvalidArgument, std::move(summary), {FieldError{std::move(field), std::move(message)}}};
}

}  // namespace beacon
