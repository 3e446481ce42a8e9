#pragma once

#include <string>
#include <utility>
#include <vector>

namespace beacon {

// Domain error codes. Each maps to exactly one HTTP status in http/problem.cpp;
// domain code never speaks HTTP.
enum class ErrorCode {
    InvalidArgument,     // 400 validation: bad value in a request
    InvalidJson,         // 400 invalid-json: a body that is not JSON (or not UTF-8)
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
    // Unavailable only: the backend that failed ("database", "presence",
    // "storage", "spool"), set where the failure is found; the server counts
    // it in beacon_backend_errors_total{backend}. A static string.
    const char* backend = nullptr;

    // Returns a copy with `context` prepended to the message ("loading release 42: ...").
    [[nodiscard]] Error with_context(std::string_view context) const {
        Error e = *this;
        e.message = std::string(context) + ": " + message;
        return e;
    }
};

inline Error make_error(ErrorCode code, std::string message) {
    return Error{code, std::move(message), {}};
}

// A 503: `backend` failed or is out of capacity (a static string).
inline Error unavailable(const char* backend, std::string message) {
    Error e{ErrorCode::Unavailable, std::move(message), {}};
    e.backend = backend;
    return e;
}

inline Error invalid_field(std::string field, std::string message) {
    std::string summary = field + ": " + message;
    return Error{ErrorCode::InvalidArgument, std::move(summary), {FieldError{std::move(field), std::move(message)}}};
}

}  // namespace beacon
