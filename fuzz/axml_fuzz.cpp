// Android binary XML (releases/android_binary_xml.hpp): the manifest of an APK.
#include <span>

#include "fuzz_input.hpp"
#include "releases/android_binary_xml.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::span<const std::uint8_t> bytes(data, size);
    (void)beacon::releases::parse_binary_xml(bytes);
    (void)beacon::releases::parse_android_manifest(bytes);
    return 0;
}
