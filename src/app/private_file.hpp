#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace beacon::app {

// Creates `path` holding `content` with mode 0600, only if no file of that
// name exists: written in full to a private temporary file in the same
// directory (mkstemp), fsynced, then hard-linked into place. link() fails
// when the name exists, so a process doing the same at the same moment can
// neither see a half-written file nor replace one already in use.
// Returns true when this call created the file, false when it existed (read
// that one instead). The directory must exist. File-system failures are
// ErrorCode::Unavailable naming the path (never the content).
Result<bool> create_private_file(const std::filesystem::path& path, std::string_view content);

// The whole of `path`. Unavailable naming the path and the system's reason
// (ENOENT, EACCES, EISDIR...) when it cannot be read; InvalidArgument when it
// is longer than `max_bytes`.
Result<std::string> read_whole_file(const std::filesystem::path& path, std::size_t max_bytes);

}  // namespace beacon::app
