#include "app/private_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "core/fd_io.hpp"

namespace beacon::app {
namespace {

Error file_error(std::string_view what, const std::filesystem::path& path, int err) {
    return make_error(ErrorCode::Unavailable,
                      std::string(what) + " " + path.string() + ": " + std::generic_category().message(err));
}

}  // namespace

Result<bool> create_private_file(const std::filesystem::path& path, std::string_view content) {
    std::string temp = (path.parent_path() / ("." + path.filename().string() + ".XXXXXX")).string();
    const int fd = ::mkstemp(temp.data());  // mode 0600
    if (fd < 0) {
        return file_error("creating", temp, errno);
    }
    const bool written = write_all(fd, content) && ::fsync(fd) == 0;
    const int write_errno = errno;
    ::close(fd);
    if (!written) {
        ::unlink(temp.c_str());
        return file_error("writing", temp, write_errno);
    }
    const int linked = ::link(temp.c_str(), path.c_str());
    const int link_errno = errno;
    ::unlink(temp.c_str());
    if (linked != 0 && link_errno != EEXIST) {
        return file_error("creating", path, link_errno);
    }
    return linked == 0;
}

Result<std::string> read_whole_file(const std::filesystem::path& path, std::size_t max_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return file_error("cannot read", path, errno);
    }
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return file_error("cannot read", path, err);
        }
        if (n == 0) {
            break;
        }
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max_bytes) {
            ::close(fd);
            return make_error(ErrorCode::InvalidArgument,
                              path.string() + " is longer than " + std::to_string(max_bytes) + " bytes");
        }
    }
    ::close(fd);
    return out;
}

}  // namespace beacon::app
