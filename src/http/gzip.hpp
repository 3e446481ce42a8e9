#pragma once

#include <string>
#include <string_view>

#include "core/result.hpp"

namespace beacon::http {

// Decompresses a gzip body with zlib, refusing to produce more than `limit`
// bytes in all (no zip bombs). Every member of a multi-member body is decoded
// and their outputs joined, as gunzip does. InvalidArgument for corrupt or
// truncated input, and for bytes after a member that are not another member;
// Unprocessable when the output would exceed the limit.
Result<std::string> gunzip(std::string_view compressed, std::size_t limit);

}  // namespace beacon::http
