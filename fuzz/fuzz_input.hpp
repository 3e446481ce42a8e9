#pragma once

// Shared by the harnesses: the input as text, and a cut of it into pieces
// (the first byte chooses where), for parsers fed a body chunk by chunk.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Pieces of `text` of 1 to `seed`+1 bytes, cycling through sizes so that
// every boundary position gets exercised across inputs.
inline std::vector<std::string_view> pieces(std::string_view text, std::uint8_t seed) {
    std::vector<std::string_view> out;
    std::size_t width = seed % 64 + 1;
    while (!text.empty()) {
        const std::size_t n = width < text.size() ? width : text.size();
        out.push_back(text.substr(0, n));
        text.remove_prefix(n);
        width = width * 7 % 97 + 1;
    }
    return out;
}

// Writes `bytes` to `name` in a private temp dir made once per process, for
// parsers that read files (uploads, the TOML settings); returns its path.
inline std::filesystem::path scratch_file(std::string_view name, std::string_view bytes) {
    static const std::filesystem::path dir = [] {
        std::string d = (std::filesystem::temp_directory_path() / "beacon-fuzz-XXXXXX").string();
        if (::mkdtemp(d.data()) == nullptr) {
            std::abort();
        }
        return std::filesystem::path(d);
    }();
    std::filesystem::path path = dir / name;
    std::ofstream(path, std::ios::binary | std::ios::trunc)
        .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
}

}  // namespace beacon::fuzz
