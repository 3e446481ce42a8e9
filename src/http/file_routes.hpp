#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include "core/result.hpp"
#include "http/router.hpp"

namespace beacon::http {

enum class FileLinkCheck { Valid, Invalid, Expired };

// Local file storage, as /files needs it (only with file storage). `verify`
// checks a link's key, `expires`, `name` (the download file name, decoded;
// empty when absent) and `sig` as received; `path_for` validates the key and
// maps it into the storage root. Neither touches the database: /files serves
// from the link and the file alone.
struct LocalFilesApi {
    std::function<FileLinkCheck(
        std::string_view key, std::string_view expires, std::string_view name, std::string_view sig)>
        verify;
    std::function<Result<std::filesystem::path>(std::string_view key)> path_for;
};

// GET (and HEAD) /files/{kind}/{name}. `files` outlives the router.
void add_file_routes(Router& router, LocalFilesApi& files);

}  // namespace beacon::http
