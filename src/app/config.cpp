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
#include "core/time_format.hpp"

namespace beacon::app {
namespace {

namespace fs = std::filesystem;

// How a TOML file may spell a value: settings that are numbers also take integers.
enum class TomlType { String, StringOrInteger };
// How an error message may quote a bad value.
enum class Show { Value, Url, Hidden };

struct Setting {
    std::string_view key;  // TOML and flag name
    TomlType toml_type;
    Show show;
};

constexpr std::array kSettings{
    Setting{"listen", TomlType::String, Show::Value},
    Setting{"data_dir", TomlType::String, Show::Value},
    Setting{"database_url", TomlType::String, Show::Url},
    Setting{"redis_url", TomlType::String, Show::Url},
    Setting{"redis_key_prefix", TomlType::String, Show::Value},
    Setting{"storage_url", TomlType::String, Show::Url},
    Setting{"public_url", TomlType::String, Show::Url},
    Setting{"jwt_secret", TomlType::String, Show::Hidden},
    Setting{"timezone", TomlType::String, Show::Value},
    Setting{"online_window", TomlType::StringOrInteger, Show::Value},
    Setting{"heartbeat_interval", TomlType::StringOrInteger, Show::Value},
    Setting{"presign_ttl", TomlType::StringOrInteger, Show::Value},
    Setting{"max_artifact_bytes", TomlType::StringOrInteger, Show::Value},
    Setting{"snapshot_retention", TomlType::StringOrInteger, Show::Value},
    Setting{"event_retention", TomlType::StringOrInteger, Show::Value},
    Setting{"log_format", TomlType::String, Show::Value},
    Setting{"threads", TomlType::StringOrInteger, Show::Value},
    Setting{"max_connections", TomlType::StringOrInteger, Show::Value},
    Setting{"first_byte_timeout", TomlType::StringOrInteger, Show::Value},
    Setting{"body_memory", TomlType::StringOrInteger, Show::Value},
    Setting{"port_file", TomlType::String, Show::Value},
};

const Setting* find_setting(std::string_view key) {
    for (const auto& s : kSettings) {
        if (s.key == key) {
            return &s;
        }
    }
    return nullptr;
}

std::string env_name(std::string_view key) {
    std::string name = "BEACON_";
    for (char c : key) {
        name.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    return name;
}

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
            return std::optional<Raw>(Raw{it->second, flag_name(key), setting.show});
        }
        std::string env = env_name(key);
        if (auto it = env_.find(env); it != env_.end() && !it->second.empty()) {
            return std::optional<Raw>(Raw{it->second, env, setting.show});
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

    // Where `setting` would come from if it came from the environment (for
    // messages about defaults).
    static std::string default_label(std::string_view key) { return env_name(key); }

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

int hex_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] != '%') {
            out.push_back(s[i]);
            continue;
        }
        if (i + 2 >= s.size() || hex_value(s[i + 1]) < 0 || hex_value(s[i + 2]) < 0) {
            return std::nullopt;
        }
        out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
        i += 2;
    }
    return out;
}

bool valid_bucket(std::string_view b) {
    if (b.size() < 3 || b.size() > 63) {
        return false;
    }
    for (char c : b) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) {
            return false;
        }
    }
    return true;
}

// s3://bucket[/prefix]?endpoint=...&region=...
Result<void> parse_s3_url(const Raw& raw, Config& c) {
    constexpr std::string_view kExpected =
        "s3://bucket[/prefix]?endpoint=http(s)://host:port&region=name, bucket of 3 to 63 characters a-z 0-9 . -";
    std::string_view rest = std::string_view(raw.text).substr(5);
    auto q = rest.find('?');
    std::string_view location = rest.substr(0, q);
    std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
    auto slash = location.find('/');
    std::string_view bucket = location.substr(0, slash);
    std::string_view prefix = slash == std::string_view::npos ? std::string_view() : location.substr(slash + 1);
    while (!prefix.empty() && prefix.back() == '/') {
        prefix.remove_suffix(1);
    }
    if (!valid_bucket(bucket) || has_space_or_control(prefix)) {
        return bad_value(raw, kExpected);
    }
    S3Settings s3;
    s3.bucket = std::string(bucket);
    s3.prefix = std::string(prefix);
    while (!query.empty()) {
        auto amp = query.find('&');
        std::string_view param = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (param.empty()) {
            continue;
        }
        auto eq = param.find('=');
        std::string_view name = param.substr(0, eq);
        auto value = percent_decode(eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1));
        if (!value || value->empty() || has_space_or_control(*value)) {
            return bad_value(raw, kExpected);
        }
        if (name == "endpoint") {
            if (!starts_with_any(*value, {"http://", "https://"})) {
                return bad_value(raw, kExpected);
            }
            while (value->back() == '/') {
                value->pop_back();
            }
            s3.endpoint = std::move(*value);
        } else if (name == "region") {
            s3.region = std::move(*value);
        } else {
            return invalid(raw.label + ": unknown parameter '" + std::string(name) + "' (known: endpoint, region)");
        }
    }
    c.storage_kind = StorageKind::S3;
    c.s3 = std::move(s3);
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

}  // namespace

std::string redact_url(std::string_view url) {
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
        std::string name(param.substr(0, eq));
        for (char& ch : name) {
            ch = (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
        }
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
    // Applies `parse` to the setting's value when a source has one; keeps the first error.
    auto apply = [&](std::string_view key, auto&& parse) {
        if (!status.ok()) {
            return;
        }
        const Setting* setting = find_setting(key);
        assert(setting != nullptr);
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
        c.jwt_secret = raw.text;
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
            return bad_value(raw, "a number of connections from 1 to 1000000, or 0 to derive it from the "
                                  "file-descriptor limit");
        }
        c.max_connections = static_cast<std::size_t>(n);
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

    auto label_of = [&](std::string_view key) {
        auto it = labels.find(key);
        return it != labels.end() ? it->second : Sources::default_label(key);
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

bool write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

Result<void> ensure_jwt_secret(Config& config) {
    if (!config.jwt_secret.empty()) {
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
    field("timezone", c.timezone.name());
    field("online_window", seconds(c.online_window_s));
    field("heartbeat_interval", seconds(c.heartbeat_interval_s));
    field("presign_ttl", seconds(c.presign_ttl_s));
    field("max_artifact_bytes", std::to_string(c.max_artifact_bytes));
    field("snapshot_retention", seconds(c.snapshot_retention_s));
    field("event_retention", seconds(c.event_retention_s));
    field("log_format", c.log_format == LogFormat::Json ? "json" : "text");
    field("threads", std::to_string(c.threads));
    field("max_connections", c.max_connections == 0 ? std::string("(from the descriptor limit)")
                                                    : std::to_string(c.max_connections));
    field("first_byte_timeout", seconds(c.first_byte_timeout_s));
    field("body_memory", std::to_string(c.body_memory_bytes));
    if (c.port_file) {
        field("port_file", c.port_file->string());
    }
    return out;
}

}  // namespace beacon::app
