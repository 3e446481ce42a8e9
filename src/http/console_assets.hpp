#pragma once

#include <span>
#include <string_view>

namespace beacon::http {

// One file of the built web console (console/, docs/decisions/0011), embedded
// in the binary so nothing is read from disk at run time.
struct ConsoleAsset {
    std::string_view path;        // "index.html", "assets/app-<hash>.js"
    std::string_view media_type;  // Content-Type
    std::string_view etag;        // "\"<sha256 hex of bytes>\"", quoted as the header carries it
    std::string_view bytes;       // the file
    std::string_view gzip;        // the same file gzipped (level 9)
};

// Every built file, generated at build time by console/build.cjs from the
// console's bundle. Immutable, valid for the life of the program.
std::span<const ConsoleAsset> console_assets();

}  // namespace beacon::http
