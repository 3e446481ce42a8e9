#pragma once

#include <string_view>

namespace beacon::http {

// The OpenAPI 3.1 document of the HTTP API, docs/api/openapi.json byte for
// byte, embedded at build time (cmake/embed_file.cmake checks that it is
// valid JSON). Served at GET /openapi.json. The view has static storage.
std::string_view openapi_document();

}  // namespace beacon::http
