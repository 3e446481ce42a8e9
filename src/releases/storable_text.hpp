#pragma once

#include <string_view>

namespace beacon::releases {

// Whether `s` is text every database adapter can store as it is: valid UTF-8
// (no overlong forms, no UTF-16 surrogates, nothing above U+10FFFF) without
// U+0000. PostgreSQL refuses both an invalid UTF-8 sequence and a NUL in a
// text (or jsonb) parameter, so text that is not storable is refused before
// it reaches a repository, naming where it came from.
bool is_storable_text(std::string_view s);

}  // namespace beacon::releases
