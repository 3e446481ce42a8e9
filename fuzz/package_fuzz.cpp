// The ZIP inspection of an uploaded package (releases/package_inspector.hpp,
// inspect_package): an APK's AndroidManifest.xml or an IPA's
// Payload/<Name>.app/Info.plist found through libzip, from a file as uploads
// are (rewritten for each input in a private temp dir).
#include "fuzz_input.hpp"
#include "releases/package_inspector.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    (void)beacon::releases::inspect_package(
        beacon::fuzz::scratch_file("package.zip", beacon::fuzz::as_text(data, size)));
    return 0;
}
