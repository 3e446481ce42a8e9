// The ZIP inspection of an uploaded package (releases/package_inspector.hpp,
// inspect_package): an APK's AndroidManifest.xml or an IPA's
// Payload/<Name>.app/Info.plist found through libzip, from a file as uploads
// are (written once per input into a private temp dir).
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz_input.hpp"
#include "releases/package_inspector.hpp"

namespace {

const std::filesystem::path& scratch() {
    static const std::filesystem::path path = [] {
        std::string dir = (std::filesystem::temp_directory_path() / "beacon-fuzz-XXXXXX").string();
        if (::mkdtemp(dir.data()) == nullptr) {
            std::abort();
        }
        return std::filesystem::path(dir) / "package.zip";
    }();
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    {
        std::ofstream out(scratch(), std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    (void)beacon::releases::inspect_package(scratch());
    return 0;
}
