// The settings (app/config.hpp, resolve_config): the input split at its first
// newline into a value given to every setting through the environment (the
// URL, duration, size, CIDR and time-zone parsers) and a TOML file.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "app/config.hpp"
#include "fuzz_input.hpp"

namespace {

const std::filesystem::path& scratch() {
    static const std::filesystem::path path = [] {
        std::string dir = (std::filesystem::temp_directory_path() / "beacon-fuzz-XXXXXX").string();
        if (::mkdtemp(dir.data()) == nullptr) {
            std::abort();
        }
        return std::filesystem::path(dir) / "beacon.toml";
    }();
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = beacon::fuzz::as_text(data, size);
    const std::size_t eol = text.find('\n');
    const std::string value(text.substr(0, eol));
    for (const beacon::app::Setting& s : beacon::app::settings()) {
        (void)beacon::app::resolve_config({}, {{std::string(s.env), value}}, std::nullopt);
    }
    if (eol != std::string_view::npos) {
        {
            std::ofstream out(scratch(), std::ios::binary | std::ios::trunc);
            out << text.substr(eol + 1);
        }
        (void)beacon::app::resolve_config({}, {}, scratch());
    }
    return 0;
}
