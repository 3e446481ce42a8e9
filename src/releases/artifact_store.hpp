#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace beacon::releases {

// A time-limited link that downloads one artifact without other credentials.
struct SignedUrl {
    std::string url;
    TimePoint expires_at;  // whole seconds; the link is refused from this instant on
};

// Port: where artifact bytes live (files under the data dir, or an S3 bucket).
//
// Keys are content addresses (see releases/artifact_key.hpp): a key names
// exactly one sequence of bytes, so storing a key that is already present is a
// no-op, never an overwrite. Every method refuses a key that fails
// is_valid_artifact_key() with InvalidArgument before touching storage.
//
// Errors: InvalidArgument for a bad key or argument; NotFound when put_file's
// source file cannot be opened; Unavailable when the storage does not answer
// (disk I/O failure, network error, timeout, 5xx); Internal for answers that
// mean a misconfiguration or a bug (S3 403, malformed responses).
//
// Thread-safe: the HTTP layer calls it from several threads at once.
class ArtifactStore {
public:
    virtual ~ArtifactStore() = default;

    // Stores the complete local `file` under `key`, atomically: a reader sees
    // either no object or all of it. `content_type` is recorded where the
    // backend keeps metadata (S3) and ignored elsewhere. The caller keeps
    // `file` (it is copied, never moved) and may delete it afterwards.
    // Idempotent: when `key` exists already, returns ok without reading `file`.
    virtual Result<void> put_file(std::string_view key,
                                  const std::filesystem::path& file,
                                  std::string_view content_type) = 0;

    virtual Result<bool> exists(std::string_view key) = 0;

    // Removes the object; an absent key is ok.
    virtual Result<void> remove(std::string_view key) = 0;

    // A download link for `key` valid from `now` for `ttl` (the adapter may
    // shorten it: S3 allows at most 7 days; SignedUrl::expires_at says what
    // was granted). `download_file_name` (may be empty) is the name a browser
    // should save the file under, where the backend can carry it in the URL
    // (S3's response-content-disposition). `public_base_url` is Beacon's own
    // external base ("https://beacon.example.com", no trailing '/'); adapters
    // that serve through Beacon (/files/...) build on it, others ignore it.
    // Does not check that the key exists. Pure computation: no I/O.
    virtual Result<SignedUrl> signed_url(std::string_view key,
                                         std::string_view download_file_name,
                                         std::chrono::seconds ttl,
                                         TimePoint now,
                                         std::string_view public_base_url) = 0;
};

}  // namespace beacon::releases
