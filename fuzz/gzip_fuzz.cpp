// gzip request bodies (http/gzip.hpp) under the events route's limit, and
// under a tiny one so that the limit's edge is reached often.
#include "fuzz_input.hpp"
#include "http/gzip.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = beacon::fuzz::as_text(data, size);
    (void)beacon::http::gunzip(text, 1 << 20);
    (void)beacon::http::gunzip(text, 64);
    return 0;
}
