// Info.plist of an IPA, XML or binary (releases/package_inspector.hpp,
// parse_info_plist, which checks releases/plist_bounds.hpp first), and the
// CFBundleVersion rule.
#include <span>

#include "fuzz_input.hpp"
#include "releases/package_inspector.hpp"
#include "releases/plist_bounds.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    (void)beacon::releases::check_plist_bounds(bytes);
    (void)beacon::releases::parse_info_plist(bytes);
    (void)beacon::releases::bundle_version_code(beacon::fuzz::as_text(data, size));
    return 0;
}
