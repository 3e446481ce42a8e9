#pragma once

#include <string>
#include <string_view>

namespace beacon {

// Appends `text` as the inside of a JSON string: `"` and `\` backslashed,
// control bytes as \u00XX, everything else (UTF-8 included) as is. For log
// lines in the JSON format, which must stay one valid object whatever a
// message holds.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace beacon
