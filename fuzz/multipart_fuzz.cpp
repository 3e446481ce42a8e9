// multipart/form-data uploads (http/multipart.hpp): the first line of the
// input is the Content-Type, the rest the body, fed in pieces.
#include "fuzz_input.hpp"
#include "http/multipart.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) {
        return 0;
    }
    const std::string_view text = beacon::fuzz::as_text(data + 1, size - 1);
    const std::size_t eol = text.find('\n');
    if (eol == std::string_view::npos) {
        (void)beacon::http::multipart_boundary(text);
        return 0;
    }
    auto boundary = beacon::http::multipart_boundary(text.substr(0, eol));
    if (!boundary) {
        return 0;
    }
    std::size_t received = 0;
    beacon::http::MultipartFileReader reader(*boundary, [&](std::string_view bytes) -> beacon::Result<void> {
        received += bytes.size();
        return {};
    });
    for (std::string_view piece : beacon::fuzz::pieces(text.substr(eol + 1), data[0])) {
        if (!reader.feed(piece)) {
            return 0;
        }
    }
    (void)reader.finish();
    return 0;
}
