// Range headers of GET /files (http/byte_range.hpp) against any file size.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/byte_range.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < sizeof(std::uint64_t)) {
        return 0;
    }
    std::uint64_t file_size = 0;
    std::memcpy(&file_size, data, sizeof file_size);
    const std::string_view header(reinterpret_cast<const char*>(data) + sizeof file_size, size - sizeof file_size);
    (void)beacon::http::decide_range(header, file_size % (std::uint64_t{1} << 40));
    return 0;
}
