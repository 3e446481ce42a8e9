#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include <boost/asio/thread_pool.hpp>

#include "http/routes.hpp"
#include "releases/artifact_intake.hpp"
#include "releases/release_service.hpp"

namespace beacon::http {

// What the releases handlers call. References outlive the router.
struct ReleaseApi {
    releases::ReleaseService& service;
    releases::ArtifactIntake& intake;
    boost::asio::thread_pool& blocking;  // for storing uploads (may be long: S3)
    // Writes upload chunks to the spool file, so that no disk write happens on
    // an I/O thread (and none waits behind a long S3 upload in `blocking`).
    boost::asio::thread_pool& spool_io;
    // Where the server listens ("0.0.0.0", "::1", "localhost"; IPv6 without
    // brackets), for download links when BEACON_PUBLIC_URL is unset: they are
    // made absolute from the request's Host only when it names this address
    // (see request_base in release_routes.cpp and docs/API.md).
    // listen_port is set once the socket is bound, before serving.
    std::string listen_host;
    std::uint16_t listen_port = 0;
};

enum class FileLinkCheck { Valid, Invalid, Expired };

// Local file storage, as /files needs it (set only with file storage).
// `verify` checks a link's key, `expires`, `name` (the download file name,
// decoded; empty when absent) and `sig` as received; `path_for` validates the
// key and maps it into the storage root. Neither touches the database: /files
// serves from the link and the file alone.
struct LocalFilesApi {
    std::function<FileLinkCheck(
        std::string_view key, std::string_view expires, std::string_view name, std::string_view sig)>
        verify;
    std::function<Result<std::filesystem::path>(std::string_view key)> path_for;
};

// /admin/versions*, /app/version/check, and /files/{kind}/{name} when `files`
// is given.
void add_release_routes(Router& router, ReleaseApi& api, LocalFilesApi* files);

}  // namespace beacon::http
