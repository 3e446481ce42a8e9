#pragma once

#include <string>
#include <string_view>

namespace beacon::releases {

// Artifact keys name stored bytes by content: "<kind>/<sha256 hex>.<ext>", one of
//   android/<64 lower-case hex>.apk
//   ios/<64 lower-case hex>.ipa
//   other/<64 lower-case hex>.zip
// (the extension belongs to the kind; "android/<hex>.zip" is refused).
//
// This is the only gate between a request path and the file system or the
// bucket: every ArtifactStore adapter and the /files route check it before
// using a key. Because the alphabet is [a-z0-9./] with exactly one '/', no
// leading '/', no "..", no NUL and no percent sign, a valid key can be joined
// to a root directory or put into a URL as it is.
bool is_valid_artifact_key(std::string_view key);

// The SHA-256 (64 lower-case hex) inside a valid key; empty for an invalid key.
// It is the artifact's strong ETag.
std::string_view artifact_key_sha256(std::string_view key);

// The media type a valid key's bytes are stored and served with, a function
// of its kind: android/ application/vnd.android.package-archive, ios/
// application/octet-stream, other/ application/zip. Empty for an invalid key.
// (So /files needs no record to answer with it.)
std::string_view artifact_content_type(std::string_view key);

// A Content-Disposition value that makes a browser save the download as
// `file_name`: `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<pct-encoded>`
// (RFC 6266 / RFC 8187). In the fallback, path separators, quotes, ';', '%',
// control characters and each non-ASCII character become '_'; `filename*`
// keeps the UTF-8 name. An empty name gives plain "attachment".
std::string attachment_content_disposition(std::string_view file_name);

}  // namespace beacon::releases
