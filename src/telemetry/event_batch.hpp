#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "telemetry/model.hpp"

namespace beacon::telemetry {

// Limits of POST /telemetry/events (API.md "POST /telemetry/events").
struct EventLimits {
    std::size_t max_events = 500;
    std::size_t max_properties_bytes = 8 * 1024;
    int max_properties_depth = 8;
    Millis max_future = std::chrono::minutes(10);
    Millis max_past = std::chrono::days(30);
};

// One event rejected on its own; the rest of the batch still counts.
struct Rejection {
    std::size_t index = 0;
    std::string field;  // "events[3].timestamp"
    std::string message;
};

struct ParsedBatch {
    std::vector<Event> events;        // valid events, in request order
    std::vector<Rejection> rejected;  // sorted by index
};

// Validates a decoded events body and merges `context` into each event.
// Rules: a malformed envelope (not an object, bad `context`, `events` missing,
// not an array, empty or over max_events) is an InvalidArgument for the whole
// batch with the field named; a bad value inside one event rejects only that
// event. `token_user` (the `sub` of a valid bearer token) overrides any userId;
// one that is no valid userId is an InvalidArgument on `userId`.
// Timestamps are checked against `now` (also used for absent timestamps).
// `text` is the (decompressed) body `body` was parsed from: each event's
// `properties` is measured on its bytes there (API.md 1.1), and stored as its
// compact serialization (json_write, doubles in their shortest spelling).
// Lengths given in characters count Unicode code points, not bytes.
Result<ParsedBatch> parse_event_batch(const boost::json::value& body,
                                      std::string_view text,
                                      TimePoint now,
                                      const std::optional<std::string>& token_user,
                                      const EventLimits& limits = {});

// What the properties rules look at, found in one walk of the value.
struct PropertiesShape {
    int depth = 0;                // the outermost object or array is level 1; 0 for a scalar
    bool has_nul = false;         // U+0000 in a key or a string
    bool has_non_finite = false;  // a number boost read as infinity (1e400)
    std::size_t min_size = 0;     // min_json_text_size of the value
};
PropertiesShape inspect_properties(const boost::json::value& v);

// The fewest bytes any JSON text of `v` can take (compact, no escapes, each
// number in its shortest literal): a lower bound of the size of the text it
// was parsed from. Duplicate keys that the parser dropped are not counted,
// which keeps it a lower bound. Recursive: for documents the JSON parser's
// depth limit has bounded.
std::size_t min_json_text_size(const boost::json::value& v);

// Depth of a JSON value where the outermost object or array is level 1.
int json_depth(const boost::json::value& v);

}  // namespace beacon::telemetry
