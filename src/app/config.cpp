#include "app/config.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <sstream>
#include <string_view>
#include <system_error>
#include <utility>

#include <toml++/toml.h>

#include "auth/jwt.hpp"
#include "backends/s3/s3_url.hpp"
#include "core/fd_io.hpp"
#include "core/redact.hpp"
#include "core/text.hpp"
#include "core/time_format.hpp"
#include "http/cors.hpp"
#include "telemetry/model.hpp"

namespace beacon::app {
namespace {

namespace fs = std::filesystem;

// The one list of settings (config.hpp: Setting), laid out as a table. Secrets
// are not offered on the command line, where other users can read them in the
// process list.
// clang-format off
constexpr std::array kSettings{
    // key, environment variable, flag, offered on the command line, TOML type;
    //     how errors quote a bad value, help
    Setting{"listen",             "BEACON_LISTEN",             "--listen",             true,  TomlType::String,
            Show::Value,  "host:port to listen on, such as 0.0.0.0:8080 or [::1]:8080 (port 0: any free port)"},
    Setting{"data_dir",           "BEACON_DATA_DIR",           "--data-dir",           true,  TomlType::String,
            Show::Value,  "directory of the embedded database, presence snapshot, JWT secret and artifacts"},
    Setting{"database_url",       "BEACON_DATABASE_URL",       "--database-url",       true,  TomlType::String,
            Show::Url,    "postgres://... for PostgreSQL (unset: SQLite in the data directory)"},
    Setting{"redis_url",          "BEACON_REDIS_URL",          "--redis-url",          true,  TomlType::String,
            Show::Url,    "redis://host:port or unix:///path for presence in Redis (unset: in-process)"},
    Setting{"redis_key_prefix",   "BEACON_REDIS_KEY_PREFIX",   "--redis-key-prefix",   true,  TomlType::String,
            Show::Value,  "start of every Redis key, so deployments can share one Redis"},
    Setting{"storage_url",        "BEACON_STORAGE_URL",        "--storage-url",        true,  TomlType::String,
            Show::Url,    "file:/path or s3://bucket[/prefix]?endpoint=...&region=... (unset: data_dir/artifacts)"},
    Setting{"public_url",         "BEACON_PUBLIC_URL",         "--public-url",         true,  TomlType::String,
            Show::Url,    "base URL of download links (unset: from the request's Host)"},
    Setting{"jwt_secret",         "BEACON_JWT_SECRET",         "--jwt-secret",         false, TomlType::String,
            Show::Hidden, "HS256 key of tokens, at least 32 bytes"},
    Setting{"jwt_previous_secret", "BEACON_JWT_PREVIOUS_SECRET", "--jwt-previous-secret", false, TomlType::String,
            Show::Hidden, "the JWT secret before a rotation: still verifies tokens and links, signs nothing"},
    Setting{"webhook_url",        "BEACON_WEBHOOK_URL",        "--webhook-url",        true,  TomlType::String,
            Show::Url,    "http:// or https:// URL that receives the webhook events (unset: no webhooks)"},
    Setting{"webhook_secret",     "BEACON_WEBHOOK_SECRET",     "--webhook-secret",     false, TomlType::String,
            Show::Hidden, "HMAC-SHA256 key of the Beacon-Signature header of webhooks"},
    Setting{"signing_key_file",   "BEACON_SIGNING_KEY_FILE",   "--signing-key-file",   true,  TomlType::String,
            Show::Value,  "PKCS#8 PEM Ed25519 key that signs update offers (unset: generated into the data directory)"},
    Setting{"signing_public_keys", "BEACON_SIGNING_PUBLIC_KEYS", "--signing-public-keys", true, TomlType::String,
            Show::Value,  "comma-separated PEM files of further Ed25519 keys published as verifying offers (rotation)"},
    Setting{"timezone",           "BEACON_TIMEZONE",           "--timezone",           true,  TomlType::String,
            Show::Value,  "IANA time zone of the reporting day, such as UTC or Europe/Berlin"},
    Setting{"crash_event",        "BEACON_CRASH_EVENT",        "--crash-event",        true,  TomlType::String,
            Show::Value,  "event name of a crash, carrying the sessionId of the session it ended (release health)"},
    Setting{"online_window",      "BEACON_ONLINE_WINDOW",      "--online-window",      true,  TomlType::StringOrInteger,
            Show::Value,  "how long a heartbeat keeps a device online (90s, 15m, 24h)"},
    Setting{"heartbeat_interval", "BEACON_HEARTBEAT_INTERVAL", "--heartbeat-interval", true,  TomlType::StringOrInteger,
            Show::Value,  "seconds between heartbeats asked of the apps"},
    Setting{"presign_ttl",        "BEACON_PRESIGN_TTL",        "--presign-ttl",        true,  TomlType::StringOrInteger,
            Show::Value,  "lifetime of download links"},
    Setting{"max_artifact_bytes", "BEACON_MAX_ARTIFACT_BYTES", "--max-artifact-bytes", true,  TomlType::StringOrInteger,
            Show::Value,  "largest upload: bytes, or with K, M or G (2G)"},
    Setting{"snapshot_retention", "BEACON_SNAPSHOT_RETENTION", "--snapshot-retention", true,  TomlType::StringOrInteger,
            Show::Value,  "how long per-minute online snapshots are kept"},
    Setting{"event_retention",    "BEACON_EVENT_RETENTION",    "--event-retention",    true,  TomlType::StringOrInteger,
            Show::Value,  "how long events are kept"},
    Setting{"log_format",         "BEACON_LOG_FORMAT",         "--log-format",         true,  TomlType::String,
            Show::Value,  "text or json"},
    Setting{"threads",            "BEACON_THREADS",            "--threads",            true,  TomlType::StringOrInteger,
            Show::Value,  "I/O threads, 1 to 1024 (default: one per core)"},
    Setting{"max_connections",    "BEACON_MAX_CONNECTIONS",    "--max-connections",    true,  TomlType::StringOrInteger,
            Show::Value,  "open connections at most (0: from the file-descriptor limit)"},
    Setting{"max_connections_per_ip", "BEACON_MAX_CONNECTIONS_PER_IP", "--max-connections-per-ip", true, TomlType::StringOrInteger,
            Show::Value,  "open connections from one address at most (0: a quarter of max_connections)"},
    Setting{"rate_limit",         "BEACON_RATE_LIMIT",         "--rate-limit",         true,  TomlType::StringOrInteger,
            Show::Value,  "requests a second per client address, as rate or rate/burst (200/400); 0: off"},
    Setting{"trusted_proxies",    "BEACON_TRUSTED_PROXIES",    "--trusted-proxies",    true,  TomlType::String,
            Show::Value,  "comma-separated CIDRs of proxies whose X-Forwarded-For names the client"},
    Setting{"cors_origins",       "BEACON_CORS_ORIGINS",       "--cors-origins",       true,  TomlType::String,
            Show::Value,  "comma-separated origins browsers may call from, such as https://console.example.com"},
    Setting{"first_byte_timeout", "BEACON_FIRST_BYTE_TIMEOUT", "--first-byte-timeout", true,  TomlType::StringOrInteger,
            Show::Value,  "how long a new connection may stay silent"},
    Setting{"body_memory",        "BEACON_BODY_MEMORY",        "--body-memory",        true,  TomlType::StringOrInteger,
            Show::Value,  "request-body bytes buffered in memory at once, all connections together"},
    Setting{"port_file",          "BEACON_PORT_FILE",          "--port-file",          true,  TomlType::String,
            Show::Value,  "file to write the bound port to (for tests)"},
};
// clang-format on

// The names of each row follow from its key (resolve_config's contract in
// config.hpp); checked here so a typo in the table fails to compile.
constexpr bool names_follow_key(const Setting& s) {
    constexpr std::string_view kEnvStart = "BEACON_";
    if (s.env.size() != kEnvStart.size() + s.key.size() || s.env.substr(0, kEnvStart.size()) != kEnvStart ||
        s.flag.size() != 2 + s.key.size() || s.flag.substr(0, 2) != "--") {
        return false;
    }
    for (std::size_t i = 0; i < s.key.size(); ++i) {
        const char k = s.key[i];
        const char upper = k >= 'a' && k <= 'z' ? static_cast<char>(k - 'a' + 'A') : k;
        if (s.env[kEnvStart.size() + i] != upper || s.flag[2 + i] != (k == '_' ? '-' : k)) {
            return false;
        }
    }
    return true;
}
static_assert(std::all_of(kSettings.begin(), kSettings.end(), names_follow_key),
              "each setting's env is BEACON_<KEY> and its flag --<key-with-dashes>");

const Setting* find_setting(std::string_view key) {
    for (const auto& s : kSettings) {
        if (s.key == key) {
            return &s;
        }
    }
    return nullptr;
}

// The flag an unknown `flags` key would have been, for the message refusing it.
std::string flag_name(std::string_view key) {
    std::string name = "--";
    for (char c : key) {
        name.push_back(c == '_' ? '-' : c);
    }
    return name;
}

Error invalid(std::string message) {
    return make_error(ErrorCode::InvalidArgument, std::move(message));
}

// One setting's value as the user wrote it, and where: "--data-dir",
// "BEACON_DATA_DIR" or "data_dir (in /etc/beacon.toml)".
struct Raw {
    std::string text;
    std::string label;
    Show show = Show::Value;
};

std::string quoted(const Raw& raw) {
    constexpr std::size_t kMaxShown = 200;
    std::string shown;
    switch (raw.show) {
        case Show::Hidden:
            return "(hidden)";
        case Show::Url:
            shown = redact_url(raw.text);
            break;
        case Show::Value:
            shown = raw.text;
            break;
    }
    if (shown.size() > kMaxShown) {
        shown = shown.substr(0, kMaxShown) + "...";
    }
    return "'" + shown + "'";
}

// A JWT secret under kMinJwtSecretBytes: HS256 with a short key can be
// brute-forced offline from any token, and the download-link key derives
// from it. The message never quotes the secret.
Error short_secret(std::string_view label, std::size_t size) {
    std::string where(label);
    if (label != "BEACON_JWT_SECRET") {
        where += " (BEACON_JWT_SECRET)";
    }
    return invalid(where + ": the JWT secret must be at least " + std::to_string(kMinJwtSecretBytes) + " bytes, got " +
                   std::to_string(size) + "; make one with: openssl rand -hex 32");
}

Error bad_value(const Raw& raw, std::string_view expected) {
    return invalid(raw.label + ": expected " + std::string(expected) + "; got " + quoted(raw));
}

// A Redis key prefix sits inside the keys' hash tags ({<prefix>:presence}), so
// no braces; a short plain name also keeps keys readable in redis-cli.
bool is_plain_key_prefix(std::string_view text) {
    auto plain = [](char ch) {
        return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '-' || ch == '_' || ch == '.' || ch == ':';
    };
    return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), plain);
}

std::string_view toml_type_name(toml::node_type t) {
    switch (t) {
        case toml::node_type::table:
            return "table";
        case toml::node_type::array:
            return "array";
        case toml::node_type::string:
            return "string";
        case toml::node_type::integer:
            return "integer";
        case toml::node_type::floating_point:
            return "float";
        case toml::node_type::boolean:
            return "boolean";
        case toml::node_type::date:
            return "date";
        case toml::node_type::time:
            return "time";
        case toml::node_type::date_time:
            return "date-time";
        case toml::node_type::none:
            break;
    }
    return "value";
}

// The three sources, asked in precedence order.
class Sources {
public:
    Sources(const std::map<std::string, std::string>& flags,
            const std::map<std::string, std::string>& env,
            const toml::table* table,
            std::string file)
        : flags_(flags), env_(env), table_(table), file_(std::move(file)) {}

    // The highest-precedence value of `setting`; nullopt when only the default applies.
    Result<std::optional<Raw>> get(const Setting& setting) const {
        const std::string key(setting.key);
        if (auto it = flags_.find(key); it != flags_.end()) {
            return std::optional<Raw>(Raw{it->second, std::string(setting.flag), setting.show});
        }
        if (auto it = env_.find(std::string(setting.env)); it != env_.end() && !it->second.empty()) {
            return std::optional<Raw>(Raw{it->second, std::string(setting.env), setting.show});
        }
        if (table_ != nullptr) {
            if (const toml::node* node = table_->get(key); node != nullptr) {
                std::string label = key + " (in " + file_ + ")";
                if (node->is_string()) {
                    return std::optional<Raw>(Raw{*node->value<std::string>(), label, setting.show});
                }
                if (node->is_integer() && setting.toml_type == TomlType::StringOrInteger) {
                    return std::optional<Raw>(Raw{std::to_string(*node->value<std::int64_t>()), label, setting.show});
                }
                return invalid(label + ": expected a " +
                               (setting.toml_type == TomlType::String ? "string" : "string or an integer") +
                               "; got a TOML " + std::string(toml_type_name(node->type())));
            }
        }
        return std::optional<Raw>();
    }

private:
    const std::map<std::string, std::string>& flags_;
    const std::map<std::string, std::string>& env_;
    const toml::table* table_;
    std::string file_;
};

Result<toml::table> load_toml(const fs::path& file) {
    const std::string name = file.string();
    std::error_code ec;
    if (fs::is_directory(file, ec)) {
        return invalid("config file " + name + ": is a directory");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        return invalid("config file " + name + ": cannot read: " + std::strerror(errno));
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        return invalid("config file " + name + ": cannot read");
    }
    const std::string doc = std::move(text).str();
    try {
        return toml::parse(doc, name);
    } catch (const toml::parse_error& e) {
        const auto& at = e.source().begin;
        return invalid("config file " + name + ":" + std::to_string(at.line) + ":" + std::to_string(at.column) + ": " +
                       std::string(e.description()));
    }
}

bool all_digits(std::string_view s) {
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

bool has_space_or_control(std::string_view s) {
    for (char c : s) {
        if (static_cast<unsigned char>(c) <= ' ' || c == '\x7f') {
            return true;
        }
    }
    return false;
}

Result<void> parse_listen(const Raw& raw, Config& c) {
    constexpr std::string_view kExpected = "host:port such as 0.0.0.0:8080 or [::1]:8080, port 0 to 65535";
    std::string_view s = raw.text;
    std::string_view host;
    std::string_view port;
    if (!s.empty() && s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') {
            return bad_value(raw, kExpected);
        }
        host = s.substr(1, close - 1);
        port = s.substr(close + 2);
        if (host.find(':') == std::string_view::npos) {  // brackets are for IPv6 only
            return bad_value(raw, kExpected);
        }
    } else {
        auto colon = s.rfind(':');
        if (colon == std::string_view::npos) {
            return bad_value(raw, kExpected);
        }
        host = s.substr(0, colon);
        port = s.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {  // IPv6 needs brackets
            return bad_value(raw, kExpected);
        }
    }
    if (host.empty() || has_space_or_control(host) || host.find_first_of("[]/@") != std::string_view::npos ||
        !all_digits(port) || port.size() > 5) {
        return bad_value(raw, kExpected);
    }
    unsigned value = 0;
    std::from_chars(port.data(), port.data() + port.size(), value);
    if (value > 65535) {
        return bad_value(raw, kExpected);
    }
    c.listen_host = std::string(host);
    c.listen_port = static_cast<std::uint16_t>(value);
    return ok();
}

Result<void> parse_duration(const Raw& raw, std::int64_t& out) {
    auto seconds = parse_duration_seconds(raw.text);
    if (!seconds) {
        return bad_value(raw, "a duration such as 90s, 15m, 24h");
    }
    out = *seconds;
    return ok();
}

// "2147483648", "512K", "100M", "2G", "2GiB".
std::optional<std::uint64_t> parse_byte_size(std::string_view s) {
    std::size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') {
        ++digits;
    }
    std::uint64_t value = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + digits, value);
    if (digits == 0 || ec != std::errc{}) {
        return std::nullopt;
    }
    std::string_view suffix = s.substr(digits);
    std::uint64_t unit = 0;
    if (suffix.empty() || suffix == "B") {
        unit = 1;
    } else if (suffix == "K" || suffix == "KiB") {
        unit = std::uint64_t{1} << 10;
    } else if (suffix == "M" || suffix == "MiB") {
        unit = std::uint64_t{1} << 20;
    } else if (suffix == "G" || suffix == "GiB") {
        unit = std::uint64_t{1} << 30;
    } else {
        return std::nullopt;
    }
    if (value == 0 || value > std::numeric_limits<std::uint64_t>::max() / unit) {
        return std::nullopt;
    }
    return value * unit;
}

bool starts_with_any(std::string_view s, std::initializer_list<std::string_view> prefixes) {
    for (auto p : prefixes) {
        if (s.starts_with(p) && s.size() > p.size()) {
            return true;
        }
    }
    return false;
}

// s3://bucket[/prefix]?endpoint=...&region=..., parsed beside its adapter.
Result<void> parse_s3_url(const Raw& raw, Config& c) {
    auto s3 = backends::s3::parse_s3_url(raw.text);
    if (!s3) {
        // A URL of the wrong shape is quoted back (redacted, shortened); an
        // unknown parameter is named by the parser already.
        if (s3.error().message == "expected " + std::string(backends::s3::kS3UrlShape)) {
            return bad_value(raw, backends::s3::kS3UrlShape);
        }
        return invalid(raw.label + ": " + s3.error().message);
    }
    c.storage_kind = StorageKind::S3;
    c.s3 = std::move(s3).value();
    return ok();
}

Result<void> parse_storage_url(const Raw& raw, Config& c) {
    std::string_view s = raw.text;
    if (s.empty()) {
        return ok();  // the default: data_dir/artifacts
    }
    if (s.starts_with("s3://")) {
        return parse_s3_url(raw, c);
    }
    if (s.starts_with("file:")) {
        std::string_view path = s.substr(5);
        if (path.starts_with("//")) {  // file:///abs/path; a host part is not supported
            path.remove_prefix(2);
            if (!path.starts_with('/')) {
                return bad_value(raw, "file:/path (file:///path; no host part)");
            }
        }
        if (path.empty()) {
            return bad_value(raw, "file:/path");
        }
        c.storage_kind = StorageKind::File;
        c.artifacts_dir = fs::path(std::string(path));
        return ok();
    }
    return bad_value(raw, "file:/path or s3://bucket?endpoint=...&region=... (unset means data_dir/artifacts)");
}

Result<void> parse_public_url(const Raw& raw, Config& c) {
    std::string url = raw.text;
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    if (!url.empty() && (!starts_with_any(url, {"http://", "https://"}) || has_space_or_control(url) ||
                         url.find_first_of("?#") != std::string::npos)) {
        return bad_value(raw, "an http:// or https:// URL without query, such as https://beacon.example.com");
    }
    c.public_url = std::move(url);
    return ok();
}

// BEACON_WEBHOOK_URL: empty (no webhooks), or http(s)://host[:port][/path][?query].
Result<void> parse_webhook_url(const Raw& raw, Config& c) {
    constexpr std::string_view kExpected = "an http:// or https:// URL such as https://hooks.example.com/beacon";
    const std::string& url = raw.text;
    if (url.empty()) {
        c.webhook_url.clear();
        return ok();
    }
    if (!starts_with_any(url, {"http://", "https://"}) || has_space_or_control(url) ||
        url.find('#') != std::string::npos) {
        return bad_value(raw, kExpected);
    }
    const std::size_t host_start = url.find("://") + 3;
    const std::string_view authority =
        std::string_view(url).substr(host_start, url.find_first_of("/?", host_start) - host_start);
    const std::string_view host =
        authority.substr(authority.rfind('@') == std::string_view::npos ? 0 : authority.rfind('@') + 1);
    if (host.empty() || host.front() == ':') {
        return bad_value(raw, kExpected);
    }
    c.webhook_url = url;
    return ok();
}

}  // namespace

std::span<const Setting> settings() {
    return kSettings;
}

namespace {

// The URL-shaped part of redact_url: userinfo and query of a well-formed URL.
std::string redact_well_formed_url(std::string_view url) {
    std::string out;
    std::size_t pos = 0;
    if (auto scheme_end = url.find("://"); scheme_end != std::string_view::npos) {
        const std::size_t auth_start = scheme_end + 3;
        // Userinfo ends at the last '@' before any query or fragment (a raw '/'
        // in a password must not hide the '@' from us).
        const std::size_t query_at = std::min(url.find_first_of("?#", auth_start), url.size());
        const auto at = url.substr(0, query_at).rfind('@');
        out.append(url.substr(0, auth_start));
        pos = auth_start;
        if (at != std::string_view::npos && at >= auth_start) {
            std::string_view userinfo = url.substr(auth_start, at - auth_start);
            if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
                out.append(userinfo.substr(0, colon)).append(":***");
            } else {
                out.append(userinfo);
            }
            pos = at;
        }
    }
    const auto q = url.find('?', pos);
    if (q == std::string_view::npos) {
        out.append(url.substr(pos));
        return out;
    }
    out.append(url.substr(pos, q + 1 - pos));
    const auto frag = std::min(url.find('#', q), url.size());
    std::string_view query = url.substr(q + 1, frag - q - 1);
    bool first = true;
    while (true) {
        auto amp = query.find('&');
        std::string_view param = query.substr(0, amp);
        if (!first) {
            out.push_back('&');
        }
        first = false;
        auto eq = param.find('=');
        const std::string name = to_lower(param.substr(0, eq));
        const bool secret = name.find("pass") != std::string::npos || name.find("secret") != std::string::npos ||
                            name.find("token") != std::string::npos || name.find("key") != std::string::npos;
        if (secret && eq != std::string_view::npos) {
            out.append(param.substr(0, eq + 1)).append("***");
        } else {
            out.append(param);
        }
        if (amp == std::string_view::npos) {
            break;
        }
        query = query.substr(amp + 1);
    }
    out.append(url.substr(frag));
    return out;
}

}  // namespace

std::string redact_url(std::string_view url) {
    // Then whatever shape is left: a libpq keyword string, a mistyped URL
    // (postgres:/u:p@h), credentials outside the userinfo.
    return redact_secrets(redact_well_formed_url(url));
}

std::string redact_config_secrets(const Config& config, std::string_view text) {
    std::vector<std::string> known = secrets_in(config.database_url);
    for (auto& s : secrets_in(config.redis_url)) {
        known.push_back(std::move(s));
    }
    for (auto& s : secrets_in(config.storage_url)) {
        known.push_back(std::move(s));
    }
    for (auto& s : secrets_in(config.webhook_url)) {
        known.push_back(std::move(s));
    }
    for (const std::string* s :
         {&config.s3.secret_access_key, &config.jwt_secret, &config.jwt_previous_secret, &config.webhook_secret}) {
        if (!s->empty()) {
            known.push_back(*s);
        }
    }
    return redact_secrets(text, known);
}

Result<Config> resolve_config(const std::map<std::string, std::string>& flags,
                              const std::map<std::string, std::string>& env,
                              const std::optional<std::filesystem::path>& toml_file) {
    for (const auto& [key, value] : flags) {
        if (find_setting(key) == nullptr) {
            return invalid("unknown setting " + flag_name(key));
        }
    }
    std::optional<toml::table> table;
    std::string file_name;
    if (toml_file) {
        auto loaded = load_toml(*toml_file);
        if (!loaded.ok()) {
            return std::move(loaded).error();
        }
        table = std::move(loaded).value();
        file_name = toml_file->string();
        for (const auto& [key, node] : *table) {
            if (find_setting(key.str()) == nullptr) {
                return invalid("config file " + file_name + ": unknown key '" + std::string(key.str()) + "'");
            }
        }
    }
    const Sources sources(flags, env, table ? &*table : nullptr, file_name);

    Config c;
    std::map<std::string_view, std::string> labels;  // where each user-set value came from
    Result<void> status = ok();
    [[maybe_unused]] std::size_t applied =
        0;  // settings looked at, to catch a row of kSettings without its parse below
    // Applies `parse` to the setting's value when a source has one; keeps the first error.
    auto apply = [&](std::string_view key, auto&& parse) {
        if (!status.ok()) {
            return;
        }
        const Setting* setting = find_setting(key);
        assert(setting != nullptr);
        ++applied;
        auto raw = sources.get(*setting);
        if (!raw.ok()) {
            status = std::move(raw).error();
            return;
        }
        if (raw->has_value()) {
            labels[setting->key] = (*raw)->label;
            status = parse(**raw);
        }
    };
    auto duration_into = [](std::int64_t& field) {
        return [&field](const Raw& raw) { return parse_duration(raw, field); };
    };

    apply("listen", [&](const Raw& raw) { return parse_listen(raw, c); });
    apply("data_dir", [&](const Raw& raw) -> Result<void> {
        if (raw.text.empty()) {
            return bad_value(raw, "a directory path");
        }
        c.data_dir = raw.text;
        return ok();
    });
    c.artifacts_dir = c.data_dir / "artifacts";
    apply("database_url", [&](const Raw& raw) -> Result<void> {
        if (!raw.text.empty() && !raw.text.starts_with("postgres://") && !raw.text.starts_with("postgresql://")) {
            return bad_value(raw, "postgres://... or postgresql://... (unset means the embedded SQLite database)");
        }
        c.database_url = raw.text;
        return ok();
    });
    apply("redis_url", [&](const Raw& raw) -> Result<void> {
        if (!raw.text.empty() && !starts_with_any(raw.text, {"redis://", "rediss://", "unix://"})) {
            return bad_value(raw, "redis://host:port, rediss://... or unix:///path (unset means in-process)");
        }
        c.redis_url = raw.text;
        return ok();
    });
    apply("redis_key_prefix", [&](const Raw& raw) -> Result<void> {
        if (!is_plain_key_prefix(raw.text)) {
            return bad_value(raw, "1 to 64 characters of [A-Za-z0-9._:-]");
        }
        c.redis_key_prefix = raw.text;
        return ok();
    });
    apply("storage_url", [&](const Raw& raw) -> Result<void> {
        c.storage_url = raw.text;
        return parse_storage_url(raw, c);
    });
    apply("public_url", [&](const Raw& raw) { return parse_public_url(raw, c); });
    apply("jwt_secret", [&](const Raw& raw) -> Result<void> {
        if (raw.text.size() < kMinJwtSecretBytes) {
            return short_secret(raw.label, raw.text.size());
        }
        c.jwt_secret = raw.text;
        return ok();
    });
    apply("jwt_previous_secret", [&](const Raw& raw) -> Result<void> {
        if (raw.text.size() < kMinJwtSecretBytes) {
            return short_secret(raw.label, raw.text.size());
        }
        c.jwt_previous_secret = raw.text;
        return ok();
    });
    apply("webhook_url", [&](const Raw& raw) { return parse_webhook_url(raw, c); });
    apply("webhook_secret", [&](const Raw& raw) -> Result<void> {
        c.webhook_secret = raw.text;
        return ok();
    });
    apply("signing_key_file", [&](const Raw& raw) -> Result<void> {
        c.signing_key_file = raw.text;  // read (and checked) at start, by load_signing_key
        return ok();
    });
    apply("signing_public_keys", [&](const Raw& raw) -> Result<void> {
        c.signing_public_keys.clear();
        for (std::string_view rest = raw.text; !rest.empty();) {
            const std::size_t comma = rest.find(',');
            std::string_view item = trim(rest.substr(0, comma));
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
            if (item.empty()) {
                return bad_value(raw, "comma-separated paths of PEM files");
            }
            c.signing_public_keys.emplace_back(item);  // read (and checked) at start, by load_signing_key
        }
        return ok();
    });
    apply("timezone", [&](const Raw& raw) -> Result<void> {
        auto tz = TimeZone::load(raw.text);
        if (!tz.ok()) {
            return bad_value(raw, "an IANA time zone such as UTC or Europe/Berlin");
        }
        c.timezone = *tz;
        return ok();
    });
    apply("crash_event", [&](const Raw& raw) -> Result<void> {
        if (!telemetry::is_valid_event_name(raw.text)) {
            return bad_value(raw, "an event name: 1 to 64 characters of [A-Za-z0-9_.:-]");
        }
        c.crash_event = raw.text;
        return ok();
    });
    apply("online_window", duration_into(c.online_window_s));
    apply("heartbeat_interval", duration_into(c.heartbeat_interval_s));
    apply("presign_ttl", duration_into(c.presign_ttl_s));
    apply("snapshot_retention", duration_into(c.snapshot_retention_s));
    apply("event_retention", duration_into(c.event_retention_s));
    apply("max_artifact_bytes", [&](const Raw& raw) -> Result<void> {
        auto bytes = parse_byte_size(raw.text);
        if (!bytes) {
            return bad_value(raw, "a size in bytes, or with K, M or G (KiB, MiB, GiB) such as 2G");
        }
        c.max_artifact_bytes = *bytes;
        return ok();
    });
    apply("log_format", [&](const Raw& raw) -> Result<void> {
        if (raw.text == "text") {
            c.log_format = LogFormat::Text;
        } else if (raw.text == "json") {
            c.log_format = LogFormat::Json;
        } else {
            return bad_value(raw, "text or json");
        }
        return ok();
    });
    apply("threads", [&](const Raw& raw) -> Result<void> {
        constexpr unsigned kMaxThreads = 1024;
        unsigned n = 0;
        if (!all_digits(raw.text) || raw.text.size() > 4 ||
            std::from_chars(raw.text.data(), raw.text.data() + raw.text.size(), n).ec != std::errc{} || n < 1 ||
            n > kMaxThreads) {
            return bad_value(raw, "a number of threads from 1 to 1024");
        }
        c.threads = n;
        return ok();
    });
    apply("max_connections", [&](const Raw& raw) -> Result<void> {
        constexpr std::uint64_t kMax = 1'000'000;
        std::uint64_t n = 0;
        if (!all_digits(raw.text) || raw.text.size() > 7 ||
            std::from_chars(raw.text.data(), raw.text.data() + raw.text.size(), n).ec != std::errc{} || n > kMax) {
            return bad_value(raw,
                             "a number of connections from 1 to 1000000, or 0 to derive it from the "
                             "file-descriptor limit");
        }
        c.max_connections = static_cast<std::size_t>(n);
        return ok();
    });
    apply("max_connections_per_ip", [&](const Raw& raw) -> Result<void> {
        constexpr std::uint64_t kMax = 1'000'000;
        std::uint64_t n = 0;
        if (!all_digits(raw.text) || raw.text.size() > 7 ||
            std::from_chars(raw.text.data(), raw.text.data() + raw.text.size(), n).ec != std::errc{} || n > kMax) {
            return bad_value(raw,
                             "a number of connections from 1 to 1000000, or 0 for a quarter of "
                             "BEACON_MAX_CONNECTIONS");
        }
        c.max_connections_per_ip = static_cast<std::size_t>(n);
        return ok();
    });
    apply("rate_limit", [&](const Raw& raw) -> Result<void> {
        auto limit = http::parse_rate_limit(raw.text);
        if (!limit) {
            return bad_value(raw,
                             "requests a second per client, as <rate> or <rate>/<burst> such as 200 or 200/400 "
                             "(rate up to 1000000, decimals allowed; burst 1 to 1000000), or 0 for no limit");
        }
        c.rate_limit = *limit;
        return ok();
    });
    apply("trusted_proxies", [&](const Raw& raw) -> Result<void> {
        auto blocks = http::parse_cidr_list(raw.text);
        if (!blocks) {
            return invalid(raw.label + ": " + blocks.error().message);
        }
        c.trusted_proxies = std::move(*blocks);
        return ok();
    });
    apply("cors_origins", [&](const Raw& raw) -> Result<void> {
        auto origins = http::parse_cors_origins(raw.text);
        if (!origins) {
            return invalid(raw.label + ": " + origins.error().message);
        }
        c.cors_origins = std::move(*origins);
        return ok();
    });
    apply("first_byte_timeout", [&](const Raw& raw) -> Result<void> {
        if (auto r = parse_duration(raw, c.first_byte_timeout_s); !r) {
            return r;
        }
        return c.first_byte_timeout_s > 0 ? ok() : bad_value(raw, "a duration of at least 1s");
    });
    apply("body_memory", [&](const Raw& raw) -> Result<void> {
        auto bytes = parse_byte_size(raw.text);
        if (!bytes || *bytes < (std::uint64_t{1} << 20)) {
            return bad_value(raw, "a size of at least 1M (bytes, or with K, M or G)");
        }
        c.body_memory_bytes = *bytes;
        return ok();
    });
    apply("port_file", [&](const Raw& raw) -> Result<void> {
        if (raw.text.empty()) {
            return bad_value(raw, "a file path");
        }
        c.port_file = fs::path(raw.text);
        return ok();
    });
    if (!status.ok()) {
        return std::move(status).error();
    }
    assert(applied == kSettings.size());

    auto label_of = [&](std::string_view key) {
        auto it = labels.find(key);
        // A default is named as the variable that would set it.
        return it != labels.end() ? it->second : std::string(find_setting(key)->env);
    };
    if (c.heartbeat_interval_s >= c.online_window_s) {
        return invalid(label_of("heartbeat_interval") + " (" + std::to_string(c.heartbeat_interval_s) +
                       "s) must be shorter than " + label_of("online_window") + " (" +
                       std::to_string(c.online_window_s) + "s), or devices drop offline between heartbeats");
    }
    if (c.storage_kind == StorageKind::S3) {
        // Secrets come from the environment only (STYLE.md 5), never from files or flags.
        auto from_env = [&](const std::string& name) {
            auto it = env.find(name);
            return it != env.end() ? it->second : std::string();
        };
        c.s3.access_key_id = from_env("AWS_ACCESS_KEY_ID");
        c.s3.secret_access_key = from_env("AWS_SECRET_ACCESS_KEY");
        if (c.s3.access_key_id.empty() || c.s3.secret_access_key.empty()) {
            return invalid("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required when " + label_of("storage_url") +
                           " is s3://...");
        }
    }
    return c;
}

bool is_production(const Config& config) {
    return config.database_url.starts_with("postgres://") || config.database_url.starts_with("postgresql://");
}

namespace {

Error file_error(std::string_view what, const fs::path& path, int err) {
    return make_error(ErrorCode::Unavailable,
                      std::string(what) + " " + path.string() + ": " + std::generic_category().message(err));
}

Result<std::string> read_secret_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return file_error("reading", path, errno);
    }
    std::string secret((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto first = secret.find_first_not_of(" \t\r\n");
    const auto last = secret.find_last_not_of(" \t\r\n");
    if (first == std::string::npos) {
        return invalid(path.string() +
                       " is empty; delete it to generate a new secret, or set BEACON_JWT_SECRET "
                       "(tokens signed with the old secret stop working)");
    }
    return secret.substr(first, last - first + 1);
}

}  // namespace

Result<void> ensure_jwt_secret(Config& config) {
    if (!config.jwt_secret.empty()) {
        if (config.jwt_secret.size() < kMinJwtSecretBytes) {
            return short_secret("BEACON_JWT_SECRET", config.jwt_secret.size());
        }
        return ok();
    }
    if (is_production(config)) {
        return invalid("BEACON_JWT_SECRET is required when BEACON_DATABASE_URL is PostgreSQL");
    }
    const fs::path path = config.data_dir / "jwt-secret";
    std::error_code ec;
    if (fs::exists(path, ec)) {
        auto secret = read_secret_file(path);
        if (!secret.ok()) {
            return std::move(secret).error();
        }
        if (secret->size() < kMinJwtSecretBytes) {
            return invalid(path.string() + " holds a JWT secret of " + std::to_string(secret->size()) +
                           " bytes; at least " + std::to_string(kMinJwtSecretBytes) +
                           " are needed: delete the file to generate a new one, or set BEACON_JWT_SECRET "
                           "(make one with: openssl rand -hex 32)");
        }
        config.jwt_secret = std::move(secret).value();
        return ok();
    }
    fs::create_directories(config.data_dir, ec);
    if (ec) {
        return file_error("creating", config.data_dir, ec.value());
    }
    auto secret = auth::generate_secret();
    if (!secret.ok()) {
        return std::move(secret).error();
    }
    // Written in full to a private temporary file (mkstemp: mode 0600), then
    // hard-linked into place: link() fails if the name exists, so a process
    // starting at the same moment can neither see a half-written secret nor
    // replace one already in use; the loser reads the winner's.
    std::string temp = (config.data_dir / ".jwt-secret.XXXXXX").string();
    int fd = ::mkstemp(temp.data());
    if (fd < 0) {
        return file_error("creating", temp, errno);
    }
    const bool written = write_all(fd, *secret + "\n") && ::fsync(fd) == 0;
    const int write_errno = errno;
    ::close(fd);
    if (!written) {
        ::unlink(temp.c_str());
        return file_error("writing", temp, write_errno);
    }
    const int linked = ::link(temp.c_str(), path.c_str());
    const int link_errno = errno;
    ::unlink(temp.c_str());
    if (linked != 0 && link_errno != EEXIST) {
        return file_error("creating", path, link_errno);
    }
    if (linked != 0) {
        auto theirs = read_secret_file(path);
        if (!theirs.ok()) {
            return std::move(theirs).error();
        }
        config.jwt_secret = std::move(theirs).value();
        return ok();
    }
    config.jwt_secret = std::move(secret).value();
    return ok();
}

std::string describe(const Config& c) {
    std::string out;
    auto field = [&out](std::string_view name, std::string_view value) {
        if (!out.empty()) {
            out.push_back(' ');
        }
        out.append(name).append("=").append(value);
    };
    auto seconds = [](std::int64_t s) { return std::to_string(s) + "s"; };
    const bool v6 = c.listen_host.find(':') != std::string::npos;
    field("listen", (v6 ? "[" + c.listen_host + "]" : c.listen_host) + ":" + std::to_string(c.listen_port));
    field("data_dir", c.data_dir.string());
    field("database", c.database_url.empty() ? "embedded-sqlite" : redact_url(c.database_url));
    field("presence", c.redis_url.empty() ? "in-process" : redact_url(c.redis_url) + " prefix=" + c.redis_key_prefix);
    if (c.storage_kind == StorageKind::S3) {
        std::string s3 = "s3://" + c.s3.bucket + (c.s3.prefix.empty() ? "" : "/" + c.s3.prefix);
        s3 += " endpoint=" + (c.s3.endpoint.empty() ? std::string("aws") : redact_url(c.s3.endpoint));
        s3 += " region=" + c.s3.region;
        s3 += std::string(" aws_keys=") + (c.s3.access_key_id.empty() ? "unset" : "set");
        field("storage", s3);
    } else {
        field("storage", "file:" + c.artifacts_dir.string());
    }
    field("public_url", c.public_url.empty() ? "(from Host)" : redact_url(c.public_url));
    field("jwt_secret", c.jwt_secret.empty() ? "unset" : "set");
    field("jwt_previous_secret", c.jwt_previous_secret.empty() ? "unset" : "set");
    // Only the scheme and host of the webhook URL: receivers (Slack, for one)
    // often carry their token in the path.
    if (c.webhook_url.empty()) {
        field("webhook_url", "unset");
    } else {
        const std::size_t host_start = c.webhook_url.find("://") + 3;
        std::string_view authority =
            std::string_view(c.webhook_url)
                .substr(host_start, c.webhook_url.find_first_of("/?", host_start) - host_start);
        if (auto at = authority.rfind('@'); at != std::string_view::npos) {
            authority.remove_prefix(at + 1);
        }
        field("webhook_url", c.webhook_url.substr(0, host_start) + std::string(authority) + "/...");
    }
    field("webhook_secret", c.webhook_secret.empty() ? "unset" : "set");
    field("signing_key_file", c.signing_key_file.empty() ? "(generated in data_dir)" : c.signing_key_file.string());
    if (!c.signing_public_keys.empty()) {
        std::string files;
        for (const auto& f : c.signing_public_keys) {
            files += (files.empty() ? "" : ",") + f.string();
        }
        field("signing_public_keys", files);
    }
    field("timezone", c.timezone.name());
    field("crash_event", c.crash_event);
    field("online_window", seconds(c.online_window_s));
    field("heartbeat_interval", seconds(c.heartbeat_interval_s));
    field("presign_ttl", seconds(c.presign_ttl_s));
    field("max_artifact_bytes", std::to_string(c.max_artifact_bytes));
    field("snapshot_retention", seconds(c.snapshot_retention_s));
    field("event_retention", seconds(c.event_retention_s));
    field("log_format", c.log_format == LogFormat::Json ? "json" : "text");
    field("threads", std::to_string(c.threads));
    field("max_connections",
          c.max_connections == 0 ? std::string("(from the descriptor limit)") : std::to_string(c.max_connections));
    field("max_connections_per_ip",
          c.max_connections_per_ip == 0 ? std::string("(a quarter of max_connections)")
                                        : std::to_string(c.max_connections_per_ip));
    field("rate_limit", c.rate_limit.enabled() ? http::format_rate_limit(c.rate_limit) : std::string("off"));
    {
        std::string blocks;
        for (const auto& b : c.trusted_proxies) {
            const int bits = b.network.is_v4() ? b.prefix - 96 : b.prefix;
            blocks += (blocks.empty() ? "" : ",") + b.network.to_string() + "/" + std::to_string(bits);
        }
        field("trusted_proxies", blocks.empty() ? std::string("none") : blocks);
    }
    {
        std::string origins;
        for (const auto& o : c.cors_origins) {
            origins += (origins.empty() ? "" : ",") + o;
        }
        field("cors_origins", origins.empty() ? std::string("off") : origins);
    }
    field("first_byte_timeout", seconds(c.first_byte_timeout_s));
    field("body_memory", std::to_string(c.body_memory_bytes));
    if (c.port_file) {
        field("port_file", c.port_file->string());
    }
    return out;
}

}  // namespace beacon::app
