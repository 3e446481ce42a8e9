#pragma once

#include <string_view>

#include "http/request.hpp"

namespace beacon::http {

// The headers every response carries, whatever answered it (a handler, a
// problem, a 404, a framing error): `X-Content-Type-Options: nosniff`, so a
// browser never reads a JSON body or a downloaded artifact as HTML or script.
// Responses under /admin/ also get `Cache-Control: no-store` (admin answers
// hold data no shared or browser cache should keep) and
// `Content-Security-Policy: frame-ancestors 'none'` (no page may frame
// them). Responses under /console/ (the web console) get its strict
// Content-Security-Policy (docs/decisions/0011: scripts, styles and calls
// from this origin only, no inline code, no eval, frame-ancestors 'none')
// and `Referrer-Policy: no-referrer`. `target` is the request target as sent (query and all), or empty
// when the request could not be parsed.
void add_security_headers(Response& res, std::string_view target);

// Whether `target` (a request target, query and all) is an admin path:
// /admin or below it.
bool is_admin_target(std::string_view target);

// Whether `target` is a console path: /console or below it.
bool is_console_target(std::string_view target);

}  // namespace beacon::http
