#pragma once

#include <span>
#include <string_view>

#include "http/console_assets.hpp"
#include "http/request.hpp"
#include "http/router.hpp"

namespace beacon::http {

// The web console (docs/decisions/0011-console-in-the-binary.md), public like
// the files it serves; every API call it makes is an admin route with its own
// token check:
//   GET /console            308 to /console/
//   GET /console/assets/X   the embedded file X, or 404; cached for a year, immutable
//   GET /console/...        any other path without a file extension: index.html,
//                           never cached, so every page has an address that loads directly
// Gzip when the client accepts it (Vary: Accept-Encoding), an ETag with 304 on
// If-None-Match. The console's headers (CSP and the rest) come from
// add_security_headers, as for every response.
void add_console_routes(Router& router);

// The answer for `rest` (the path below /console/, percent-decoded: "",
// "overview", "assets/app-1.js") out of `assets`, given the request's
// headers. A table lookup only: no file-system path is built from a request.
Response console_response(std::span<const ConsoleAsset> assets, std::string_view rest, const RequestHeader& header);

}  // namespace beacon::http
