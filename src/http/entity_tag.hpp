#pragma once

// Entity tags of generated bodies and the If-None-Match precondition
// (RFC 9110 sections 8.8.3 and 13.1.2), for responses that clients poll.

#include <string>
#include <string_view>

#include "http/request.hpp"

namespace beacon::http {

// A strong entity tag of `body`: `"` + the first 32 hex characters (128 bits)
// of its SHA-256 + `"`. Equal bodies have equal tags on every replica.
std::string body_etag(std::string_view body);

// Whether the request's If-None-Match fields (all of them, each a list) match
// `etag` (a quoted tag, W/ allowed): `*`, or any listed tag whose opaque part
// equals etag's, by the weak comparison RFC 9110 prescribes for
// If-None-Match (W/ ignored on both sides). A field that is not a valid list
// matches nothing, so the full response is sent.
bool if_none_match(const RequestHeader& header, std::string_view etag);

// The same for one field value.
bool if_none_match_value(std::string_view field_value, std::string_view etag);

}  // namespace beacon::http
