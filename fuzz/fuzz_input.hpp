#pragma once

// Shared by the harnesses: the input as text, and a cut of it into pieces
// (the first byte chooses where), for parsers fed a body chunk by chunk.

#include <cstddef>
#include <cstdint>
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

}  // namespace beacon::fuzz
