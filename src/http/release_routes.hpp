#pragma once

#include <filesystem>
#include <functional>
#include <string_view>

#include <boost/asio/thread_pool.hpp>

#include "http/routes.hpp"
#include "releases/artifact_intake.hpp"
#include "releases/release_service.hpp"
#include "releases/version_repository.hpp"

namespace beacon::http {

// What the releases handlers call. References outlive the router.
struct ReleaseApi {
    releases::ReleaseService& service;
    releases::ArtifactIntake& intake;
    releases::VersionRepository& repository;
    boost::asio::thread_pool& blocking;  // for storing uploads (may be long: S3)
};

enum class FileLinkCheck { Valid, Invalid, Expired };

// Local file storage, as /files needs it (set only with file storage).
// `verify` checks a link's key, `expires` and `sig` exactly as received;
// `path_for` validates the key and maps it into the storage root.
struct LocalFilesApi {
    std::function<FileLinkCheck(std::string_view key, std::string_view expires, std::string_view sig)> verify;
    std::function<Result<std::filesystem::path>(std::string_view key)> path_for;
};

// /admin/versions*, /app/version/check, and /files/{kind}/{name} when `files`
// is given.
void add_release_routes(Router& router, ReleaseApi& api, LocalFilesApi* files);

}  // namespace beacon::http
