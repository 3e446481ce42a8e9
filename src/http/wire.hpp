#pragma once

// A text response as the bytes that go on the wire, so that it leaves in one
// write(2). Beast's serializer gets there too, but through layers of
// buffer-sequence views that cost more than the rest of a small request put
// together (callgrind: about half of all instructions behind
// GET /telemetry/online); file bodies (downloads) still use it.

#include <string>

#include "http/request.hpp"

namespace beacon::http {

// Status line, header fields and the blank line, then the body unless
// `head_only`. Adds Content-Length when the response has neither it nor
// Transfer-Encoding. The response must not carry a file body.
std::string serialize_text_response(Response& res, bool head_only);

}  // namespace beacon::http
