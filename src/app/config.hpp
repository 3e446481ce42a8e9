#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "backends/s3/s3_url.hpp"
#include "core/result.hpp"
#include "core/time_zone.hpp"
#include "http/client_address.hpp"
#include "http/rate_limit.hpp"

namespace beacon::app {

enum class LogFormat { Text, Json };

enum class StorageKind {
    File,  // files under Config::artifacts_dir, served by /files/...
    S3,    // an S3-compatible bucket, Config::s3
};

inline unsigned default_threads() {
    return std::max(1u, std::thread::hardware_concurrency());
}

// Every setting of `beacon serve`, with the embedded-mode defaults. Built once
// at startup by resolve_config(), which validates all of it; the rest of the
// program trusts these values. Durations are whole seconds.
struct Config {
    std::string listen_host = "0.0.0.0";  // IPv6 without brackets ("::1")
    std::uint16_t listen_port = 8080;     // 0: any free port (see port_file)
    std::filesystem::path data_dir = "./beacon-data";
    std::string database_url;  // empty: SQLite in data_dir; else postgres:// or postgresql://
    std::string redis_url;     // empty: in-process presence and HyperLogLog; else redis://, rediss://, unix://
    // Start of every Redis key, so several deployments (or test servers) can
    // share one Redis, including a Redis Cluster, which has no SELECT.
    std::string redis_key_prefix = "beacon";
    std::string storage_url;  // as given; parsed into storage_kind, artifacts_dir and s3
    StorageKind storage_kind = StorageKind::File;
    std::filesystem::path artifacts_dir = "./beacon-data/artifacts";  // StorageKind::File only
    backends::s3::S3Settings s3;                                      // StorageKind::S3 only
    std::string public_url;  // empty: derived from the request's Host; else http(s)://..., no trailing '/'
    std::string jwt_secret;  // may be empty until ensure_jwt_secret()
    // Empty, or the secret before a rotation: verifies tokens and file links
    // signed with it, signs nothing (docs/SECURITY.md).
    std::string jwt_previous_secret;
    // Empty: no webhooks (nothing is enqueued or sent); else http(s)://...
    std::string webhook_url;
    std::string webhook_secret;  // HMAC key of Beacon-Signature; may be empty (then signed with an empty key)
    // PKCS#8 PEM Ed25519 key that signs update offers; empty: generated into
    // data_dir (embedded mode only; see app/signing_key.hpp).
    std::filesystem::path signing_key_file;
    // PEM files of further Ed25519 keys (public, or private ones whose public
    // half is used) that GET /app/version/signing-keys publishes beside the
    // signing key's, for a rotation; they sign nothing.
    std::vector<std::filesystem::path> signing_public_keys;
    TimeZone timezone = TimeZone::utc();
    std::string crash_event = "app_crash";  // release health: the event that ends a session in a crash
    std::int64_t online_window_s = 180;
    std::int64_t heartbeat_interval_s = 60;
    std::int64_t presign_ttl_s = 86400;
    std::uint64_t max_artifact_bytes = std::uint64_t{2} << 30;  // 2 GiB
    std::int64_t snapshot_retention_s = 90 * 86400;
    std::int64_t event_retention_s = 400 * 86400;
    LogFormat log_format = LogFormat::Text;
    unsigned threads = default_threads();
    // Open connections at most; 0: derived from the file-descriptor limit
    // (http::connections_for_fd_limit).
    std::size_t max_connections = 0;
    // Open connections from one address at most; 0: a quarter of max_connections.
    std::size_t max_connections_per_ip = 0;
    // Requests per client address (API.md "Rate limits"): 200/s, bursts of 400; rate 0: off.
    http::RateLimit rate_limit{};
    // Peers whose X-Forwarded-For names the client.
    std::vector<http::Cidr> trusted_proxies;
    // Origins allowed to call from browsers (exact match); empty: CORS off.
    std::vector<std::string> cors_origins;
    // How long a new connection may stay silent before its first byte.
    std::int64_t first_byte_timeout_s = 10;
    // Bytes of request bodies buffered in memory at once, all connections together.
    std::uint64_t body_memory_bytes = std::uint64_t{64} << 20;
    // Test helper: when set, the server writes the port it bound here.
    std::optional<std::filesystem::path> port_file;
};

// How a TOML file may spell a setting's value: settings that are numbers also take integers.
enum class TomlType { String, StringOrInteger };
// How an error message may quote a setting's bad value.
enum class Show { Value, Url, Hidden };

// One setting of Config, as every source names it. The table of them
// (settings(), in config.cpp) is the one list both resolve_config() and the
// command line (cli.cpp) read: adding a setting means a row there, a field in
// Config, its parse in resolve_config() and its part of describe().
struct Setting {
    std::string_view key;   // TOML key, and the key of resolve_config's `flags` ("data_dir")
    std::string_view env;   // environment variable: BEACON_<key in upper case> ("BEACON_DATA_DIR")
    std::string_view flag;  // --<key with dashes> ("--data-dir"): the name messages give a `flags` value
    bool command_line;      // offered as `flag` by serve, migrate and token; false for secrets
    TomlType toml_type;
    Show show;
    std::string_view help;  // for --help
};

// Every setting, in the order --help lists them.
std::span<const Setting> settings();

// Builds the configuration from, highest precedence first:
//   flags:  keys are the TOML names ("data_dir"); messages call them --data-dir;
//   env:    BEACON_<TOML name in upper case> (BEACON_DATA_DIR), plus
//           AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY for S3 storage; an empty
//           variable counts as unset;
//   TOML:   `toml_file`, the keys of settings() at the top level;
//   the defaults in Config.
// Durations are seconds or a number with s/m/h/d ("90", "15m"); in TOML also an
// integer. max_artifact_bytes is bytes or a number with K/M/G (KiB/MiB/GiB).
//
// Errors are InvalidArgument naming the setting as it was written
// ("BEACON_ONLINE_WINDOW: expected a duration such as 90s, 15m, 24h; got 'abc'"):
// wrong values, unknown TOML keys or flags, an unreadable or malformed TOML
// file (with toml++'s line and column). Secrets are never quoted; URLs are
// quoted with credentials redacted.
Result<Config> resolve_config(const std::map<std::string, std::string>& flags,
                              const std::map<std::string, std::string>& env,
                              const std::optional<std::filesystem::path>& toml_file);

// Production means PostgreSQL: database_url starts with postgres:// or postgresql://.
bool is_production(const Config& config);

// The shortest BEACON_JWT_SECRET accepted: 32 bytes, the size of an HS256
// key (RFC 7518 3.2: a key of at least the hash output size). Shorter ones are
// refused at start with a message saying how to make one.
inline constexpr std::size_t kMinJwtSecretBytes = 32;

// Makes sure config.jwt_secret is set and at least kMinJwtSecretBytes long
// (else InvalidArgument). When it is empty: in production an
// InvalidArgument error (replicas must share the secret); in embedded mode the
// secret is read from data_dir/jwt-secret, or generated there (32 random bytes
// as hex, file mode 0600, data_dir created if needed) so tokens survive restarts.
// Safe against another process generating it at the same moment.
// File-system failures are ErrorCode::Unavailable naming the path.
Result<void> ensure_jwt_secret(Config& config);

// One line for the startup log: every setting, with the JWT secret and S3 keys
// shown only as set/unset and passwords in URLs replaced by "***".
std::string describe(const Config& config);

// `url` with the password of its userinfo and the values of query parameters
// that look secret (password, secret, token, key) replaced by "***"; also
// for what is not a well-formed URL (a libpq keyword string such as
// "host=db password=...", a mistyped "postgres:/user:pass@db"), through
// core/redact.hpp.
std::string redact_url(std::string_view url);

// `text` (an error message, a log line) with every secret of `config` hidden:
// the credentials of its database and Redis URLs, the S3 keys and the JWT
// secret, wherever they appear and in whatever shape (core/redact.hpp).
std::string redact_config_secrets(const Config& config, std::string_view text);

}  // namespace beacon::app
