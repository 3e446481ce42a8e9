#pragma once

#include <string_view>

namespace beacon {

// Writes all of `data` to the file descriptor `fd`, retrying short writes
// and EINTR. False on any other failure (errno tells which).
bool write_all(int fd, std::string_view data);

}  // namespace beacon
