#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/thread_pool.hpp>

#include "http/link_base.hpp"
#include "http/router.hpp"
#include "releases/artifact_intake.hpp"
#include "releases/release_service.hpp"

namespace beacon::http {

// Limit of the admin JSON bodies (API.md "Conventions": other JSON bodies).
inline constexpr std::size_t kJsonLimit = 64 * 1024;

// What the releases handlers call. References outlive the router.
struct ReleaseApi {
    releases::ReleaseService& service;
    releases::ArtifactIntake& intake;
    boost::asio::thread_pool& blocking;  // for storing uploads (may be long: S3)
    // Writes upload chunks to the spool file, so that no disk write happens on
    // an I/O thread (and none waits behind a long S3 upload in `blocking`).
    boost::asio::thread_pool& spool_io;
    // For download links when BEACON_PUBLIC_URL is unset (see absolute_link).
    ListenAddress listen;
};

// /admin/versions* (the upload included) and GET /app/version/check.
void add_release_routes(Router& router, ReleaseApi& api);

// The {id} of /admin/versions/{id}...: a positive integer, else nullopt (a 404).
std::optional<std::int64_t> parse_version_id(std::string_view s);

// The subject of the admin token of `req` (empty when it has none): who a
// rollout decision is by.
std::string admin_subject(const Request& req);

// The version a /admin/versions/{id}... request names, and its If-Match
// revision (`"<revision>"`, quotes optional, W/ tolerated; `*` or absent: no
// check) when `with_if_match`. NotFound for an id that is not a positive
// integer; InvalidArgument naming If-Match when that is malformed.
struct VersionTarget {
    std::int64_t id = 0;
    std::optional<std::int64_t> if_match;
};
Result<VersionTarget> version_target(const Request& req, bool with_if_match);

// POST /admin/versions/upload's handler (http/artifact_upload.cpp).
boost::asio::awaitable<Response> upload_artifact(ReleaseApi& api, Request& req);

}  // namespace beacon::http
