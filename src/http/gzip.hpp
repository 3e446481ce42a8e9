#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace beacon::http {

// Decompresses a gzip body with zlib, refusing to produce more than `limit`
// bytes (no zip bombs). InvalidArgument for corrupt input; Unprocessable
// when the output would exceed the limit.
Result<std::string> gunzip(std::string_view compressed, std::size_t limit);

}  // namespace beacon::http
