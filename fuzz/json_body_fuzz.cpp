// The flat-object fast path of JSON bodies (core/flat_json.hpp) against
// Boost.JSON: whatever the fast path takes, Boost.JSON must take too and
// read as the same document, kinds included.
#include <boost/json.hpp>

#include "core/flat_json.hpp"
#include "fuzz_input.hpp"

namespace json = boost::json;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = beacon::fuzz::as_text(data, size);
    const auto flat = beacon::FlatObject::parse(text);
    if (!flat) {
        return 0;
    }
    boost::system::error_code ec;
    const json::value full = json::parse(text, ec);
    const json::value fast = flat->to_value();
    if (ec || fast != full) {
        __builtin_trap();
    }
    for (const auto& [k, v] : full.as_object()) {
        if (fast.as_object().at(k).kind() != v.kind() || flat->find(k) == nullptr) {
            __builtin_trap();
        }
    }
    return 0;
}
