#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace beacon::telemetry {

// Where each event's `properties` value sits in the text of an events body,
// so its size can be measured as received (API.md 1.1: "on the bytes of its
// value as they appear in the (decompressed) body, whitespace and escapes
// included").
//
// `text` must be the JSON text the body's value was parsed from, already
// known to be valid JSON (this is a scanner for that text, not a validator).
// Returns one view per item of the root object's `events` array: the text of
// that item's `properties` value, or an empty view when the item is not an
// object or has no such member. Keys are compared after unescaping
// ("\u0065vents" is `events`), and for a key given twice the last one counts,
// as in boost::json::parse. nullopt when the text has no `events` array or is
// not what a valid document looks like (the caller then measures otherwise).
//
// Linear in the text; allocates only the result.
std::optional<std::vector<std::string_view>> find_properties_spans(std::string_view text);

}  // namespace beacon::telemetry
