#pragma once

// Artifacts as files under a root directory, served by Beacon's own
// GET /files/{key}?expires=<unix seconds>&sig=<hex> (the embedded default).
//
// Layout: <root>/android/<sha256>.apk, <root>/ios/<sha256>.ipa,
// <root>/other/<sha256>.zip, and <root>/.incoming/ for files being written.
// Keys pass releases::is_valid_artifact_key() before any path is built, so a
// key can never name anything outside these three folders.
//
// Writes are atomic and durable: the source is copied into a temp file in
// <root>/.incoming (same file system), fsync'ed, renamed over <root>/<key>,
// and the folder is fsync'ed. After a crash a key holds all of its bytes or
// does not exist; leftover temp files older than an hour are removed by open().
//
// Signed download links
// ---------------------
//   url       = <public base>/files/<key>?expires=<E>&name=<N>&sig=<S>
//               (without "&name=<N>" when the file name is empty)
//   E         = unix seconds (decimal, no sign, no leading zeros) at which the
//               link stops working: floor(now in seconds) + ttl
//   N         = the download file name, UTF-8, percent-encoded (every byte
//               but ALPHA / DIGIT / "-" / "." / "_" / "~")
//   S         = lower-case hex HMAC-SHA256(secret, string_to_sign)
//   string_to_sign = "beacon-files-v2\nGET\n" + key + "\n" + E + "\n" + name
//                    (name decoded), or, for a link without a name (format 1,
//                    which links made before names were carried also are),
//                    "beacon-files-v1\nGET\n" + key + "\n" + E
// The string binds the key, the expiry and the file name, so none can be
// changed without the secret; the "beacon-files-vN" prefix separates these
// MACs from anything else signed with the same secret (it is typically
// shared with other uses) and names the format. Neither the key (validated
// alphabet) nor E (digits) can contain '\n', and the name comes last, so
// the string is unambiguous.
// The name is in the link so that /files can answer with its
// Content-Disposition without asking the database (which may be slow or down
// while downloads go on). HEAD requests use the same link as GET.
// verify_signature() recomputes S and compares in constant time, then checks
// expiry against the injected clock: a link is valid while now < E.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "core/health.hpp"
#include "core/result.hpp"
#include "releases/artifact_store.hpp"

namespace beacon::backends::localfs {

enum class SignatureCheck {
    Valid,
    Invalid,  // bad key, malformed expires/sig, or a MAC that does not match
    Expired,  // a genuine link whose time has passed
};

// Thread-safe. ping() checks that the root is a writable directory.
class LocalArtifactStore final : public releases::ArtifactStore, public HealthProbe {
public:
    // Creates `root` and its sub-folders when missing and sweeps stale temp
    // files. `hmac_secret` signs download links; it must not be empty
    // (InvalidArgument). `previous_hmac_secret` (may be empty) also verifies
    // them, so that links signed before a secret rotation keep working until
    // they expire. File-system failures are Unavailable naming the path.
    static Result<std::unique_ptr<LocalArtifactStore>> open(std::filesystem::path root,
                                                            std::string hmac_secret,
                                                            std::string previous_hmac_secret = {});

    Result<void> put_file(std::string_view key,
                          const std::filesystem::path& file,
                          std::string_view content_type) override;
    Result<bool> exists(std::string_view key) override;
    Result<void> remove(std::string_view key) override;
    // `download_file_name` goes into the link (see above; empty: none); an
    // empty `public_base_url` gives a root-relative link ("/files/...").
    // ttl must be positive.
    Result<releases::SignedUrl> signed_url(std::string_view key,
                                           std::string_view download_file_name,
                                           std::chrono::seconds ttl,
                                           TimePoint now,
                                           std::string_view public_base_url) override;

    Result<void> ping() override;

    // Checks the `expires`, `name` (decoded; empty when absent) and `sig`
    // query values of a /files request as received. Expired is only reported
    // for links this store signed.
    SignatureCheck verify_signature(std::string_view key,
                                    std::string_view expires,
                                    std::string_view file_name,
                                    std::string_view sig_hex,
                                    TimePoint now) const;
    // A link without a name.
    SignatureCheck verify_signature(std::string_view key,
                                    std::string_view expires,
                                    std::string_view sig_hex,
                                    TimePoint now) const {
        return verify_signature(key, expires, {}, sig_hex, now);
    }

    // Where `key`'s bytes are (whether or not they exist yet), for serving.
    // InvalidArgument for an invalid key.
    Result<std::filesystem::path> path_for(std::string_view key) const;

    const std::filesystem::path& root() const { return root_; }

    // The message that is MAC'ed for a link (see the top of this file).
    static std::string string_to_sign(std::string_view key,
                                      std::int64_t expires_unix_seconds,
                                      std::string_view file_name = {});

private:
    LocalArtifactStore(std::filesystem::path root, std::string hmac_secret, std::string previous_hmac_secret);

    std::filesystem::path root_;
    std::filesystem::path incoming_;
    std::string secret_;
    std::string previous_secret_;
};

}  // namespace beacon::backends::localfs
