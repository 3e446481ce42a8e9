#include "app/config.hpp"

#include <sys/stat.h>

#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace beacon::app {
namespace {

using Map = std::map<std::string, std::string>;

std::filesystem::path write_file(const std::filesystem::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    return path;
}

Config resolve_ok(const Map& flags, const Map& env, const std::optional<std::filesystem::path>& toml = std::nullopt) {
    auto r = resolve_config(flags, env, toml);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : Config{};
}

std::string resolve_error(const Map& flags, const Map& env, const std::optional<std::filesystem::path>& toml = {}) {
    auto r = resolve_config(flags, env, toml);
    if (r.ok()) {
        return "(accepted)";
    }
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    return r.error().message;
}

TEST(Config, DefaultsServeTheEmbeddedMode) {
    Config c = resolve_ok({}, {});
    EXPECT_EQ(c.listen_host, "0.0.0.0");
    EXPECT_EQ(c.listen_port, 8080);
    EXPECT_EQ(c.data_dir, "./beacon-data");
    EXPECT_EQ(c.database_url, "");
    EXPECT_EQ(c.redis_url, "");
    EXPECT_EQ(c.redis_key_prefix, "beacon");
    EXPECT_EQ(c.storage_kind, StorageKind::File);
    EXPECT_EQ(c.artifacts_dir, std::filesystem::path("./beacon-data/artifacts"));
    EXPECT_EQ(c.public_url, "");
    EXPECT_EQ(c.jwt_secret, "");
    EXPECT_EQ(c.timezone.name(), "UTC");
    EXPECT_EQ(c.online_window_s, 180);
    EXPECT_EQ(c.heartbeat_interval_s, 60);
    EXPECT_EQ(c.presign_ttl_s, 86400);
    EXPECT_EQ(c.max_artifact_bytes, 2147483648u);
    EXPECT_EQ(c.snapshot_retention_s, 90 * 86400);
    EXPECT_EQ(c.event_retention_s, 400 * 86400);
    EXPECT_EQ(c.log_format, LogFormat::Text);
    EXPECT_GE(c.threads, 1u);
    EXPECT_FALSE(c.port_file);
    EXPECT_FALSE(is_production(c));
}

TEST(Config, FlagsBeatEnvironmentBeatTomlBeatDefaults) {
    test::TempDir dir;
    auto toml = write_file(dir.path() / "beacon.toml",
                           "listen = \"127.0.0.1:9000\"\n"
                           "data_dir = \"/from/toml\"\n"
                           "online_window = \"10m\"\n"
                           "timezone = \"Asia/Shanghai\"\n"
                           "threads = 3\n");
    Map env = {{"BEACON_DATA_DIR", "/from/env"}, {"BEACON_ONLINE_WINDOW", "5m"}, {"BEACON_LOG_FORMAT", "json"}};
    Map flags = {{"online_window", "4m"}};
    Config c = resolve_ok(flags, env, toml);
    EXPECT_EQ(c.online_window_s, 240);              // flag
    EXPECT_EQ(c.data_dir, "/from/env");             // env over TOML
    EXPECT_EQ(c.log_format, LogFormat::Json);       // env
    EXPECT_EQ(c.listen_host, "127.0.0.1");          // TOML
    EXPECT_EQ(c.listen_port, 9000);                 // TOML
    EXPECT_EQ(c.timezone.name(), "Asia/Shanghai");  // TOML
    EXPECT_EQ(c.threads, 3u);                       // TOML integer
    EXPECT_EQ(c.heartbeat_interval_s, 60);          // default
    EXPECT_EQ(c.artifacts_dir, std::filesystem::path("/from/env/artifacts"));
}

TEST(Config, EmptyEnvironmentVariableCountsAsUnset) {
    Config c = resolve_ok({}, {{"BEACON_LISTEN", ""}, {"BEACON_ONLINE_WINDOW", ""}});
    EXPECT_EQ(c.listen_port, 8080);
    EXPECT_EQ(c.online_window_s, 180);
}

TEST(Config, DurationsTakeUnits) {
    auto window = [](const std::string& text) {
        return resolve_ok({}, {{"BEACON_ONLINE_WINDOW", text}, {"BEACON_HEARTBEAT_INTERVAL", "1"}}).online_window_s;
    };
    EXPECT_EQ(window("90"), 90);
    EXPECT_EQ(window("90s"), 90);
    EXPECT_EQ(window("15m"), 900);
    EXPECT_EQ(window("24h"), 86400);
    EXPECT_EQ(window("7d"), 7 * 86400);
    Config c = resolve_ok({{"presign_ttl", "2h"}, {"snapshot_retention", "30d"}, {"event_retention", "365d"}}, {});
    EXPECT_EQ(c.presign_ttl_s, 7200);
    EXPECT_EQ(c.snapshot_retention_s, 30 * 86400);
    EXPECT_EQ(c.event_retention_s, 365 * 86400);

    test::TempDir dir;
    auto toml = write_file(dir.path() / "d.toml", "presign_ttl = 300\nheartbeat_interval = \"30s\"\n");
    Config t = resolve_ok({}, {}, toml);
    EXPECT_EQ(t.presign_ttl_s, 300);
    EXPECT_EQ(t.heartbeat_interval_s, 30);
}

TEST(Config, ArtifactSizeTakesBinaryUnits) {
    auto size = [](const std::string& text) {
        return resolve_ok({}, {{"BEACON_MAX_ARTIFACT_BYTES", text}}).max_artifact_bytes;
    };
    EXPECT_EQ(size("1000"), 1000u);
    EXPECT_EQ(size("512K"), 512u * 1024);
    EXPECT_EQ(size("512KiB"), 512u * 1024);
    EXPECT_EQ(size("100M"), 100u * 1024 * 1024);
    EXPECT_EQ(size("3G"), 3ull << 30);
    EXPECT_EQ(size("3GiB"), 3ull << 30);
}

TEST(Config, ListenTakesHostAndPortIncludingIpv6) {
    Config a = resolve_ok({{"listen", "[::1]:0"}}, {});
    EXPECT_EQ(a.listen_host, "::1");
    EXPECT_EQ(a.listen_port, 0);
    Config b = resolve_ok({}, {{"BEACON_LISTEN", "localhost:65535"}});
    EXPECT_EQ(b.listen_host, "localhost");
    EXPECT_EQ(b.listen_port, 65535);
    for (const char* bad : {"8080",
                            "host:65536",
                            "host:",
                            ":8080",
                            "::1:8080",
                            "[::1]",
                            "[::1]8080",
                            "[127.0.0.1]:80",
                            "host:8o",
                            "host:-1",
                            "a b:80",
                            "host:+80"}) {
        EXPECT_TRUE(resolve_error({{"listen", bad}}, {}).starts_with("--listen: expected host:port")) << bad;
    }
}

TEST(Config, CrashEventDefaultsToAppCrashAndIsAnEventName) {
    EXPECT_EQ(resolve_ok({}, {}).crash_event, "app_crash");
    EXPECT_EQ(resolve_ok({}, {{"BEACON_CRASH_EVENT", "fatal.error"}}).crash_event, "fatal.error");
    EXPECT_TRUE(resolve_error({}, {{"BEACON_CRASH_EVENT", "<script>"}}).starts_with("BEACON_CRASH_EVENT: "));
}

TEST(Config, WrongValueMessageNamesTheSettingAsWritten) {
    EXPECT_EQ(resolve_error({}, {{"BEACON_ONLINE_WINDOW", "abc"}}),
              "BEACON_ONLINE_WINDOW: expected a duration such as 90s, 15m, 24h; got 'abc'");
    EXPECT_EQ(resolve_error({{"online_window", "abc"}}, {}),
              "--online-window: expected a duration such as 90s, 15m, 24h; got 'abc'");

    const std::vector<std::pair<std::string, std::string>> bad_values = {
        {"listen", "nope"},
        {"data_dir", ""},
        {"database_url", "mysql://db/beacon"},
        {"redis_url", "memcached://x"},
        {"redis_key_prefix", ""},
        {"redis_key_prefix", "tenant{a}"},
        {"redis_key_prefix", "has space"},
        {"redis_key_prefix", std::string(65, 'p')},
        {"storage_url", "ftp://x"},
        {"storage_url", "s3://UPPER?region=x"},
        {"storage_url", "s3://bucket?endpoint=ftp://x"},
        {"public_url", "beacon.example.com"},
        {"timezone", "Mars/Olympus_Mons"},
        {"crash_event", "app crash"},
        {"crash_event", std::string(65, 'c')},
        {"online_window", "0"},
        {"heartbeat_interval", "-5s"},
        {"presign_ttl", "1w"},
        {"max_artifact_bytes", "2T"},
        {"max_artifact_bytes", "0"},
        {"max_artifact_bytes", "1.5G"},
        {"snapshot_retention", "forever"},
        {"event_retention", "400 d"},
        {"log_format", "xml"},
        {"threads", "0"},
        {"threads", "many"},
        {"threads", "100000"},
        {"port_file", ""},
        {"max_connections_per_ip", "-1"},
        {"max_connections_per_ip", "lots"},
        {"rate_limit", "fast"},
        {"rate_limit", "200/0"},
        {"rate_limit", "-5"},
        {"trusted_proxies", "10.0.0.0/33"},
        {"trusted_proxies", "10.0.0.1/8"},
        {"trusted_proxies", "proxy.internal"},
        {"trusted_proxies", "10.0.0.0/8,,::1"},
        {"cors_origins", "*"},
        {"cors_origins", "https://console.example.com/"},
        {"cors_origins", "console.example.com"},
        {"cors_origins", "ftp://example.com"},
        {"cors_origins", "https://a.example.com,"},
    };
    test::TempDir dir;
    for (const auto& [key, value] : bad_values) {
        std::string env_name = "BEACON_";
        for (char ch : key) {
            env_name.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
        }
        if (!value.empty()) {  // an empty variable counts as unset
            EXPECT_TRUE(resolve_error({}, {{env_name, value}}).starts_with(env_name + ": ")) << key << "=" << value;
        }
        std::string flag = "--" + key;
        std::replace(flag.begin(), flag.end(), '_', '-');
        EXPECT_TRUE(resolve_error({{key, value}}, {}).starts_with(flag + ": ")) << key << "=" << value;
        auto toml = write_file(dir.path() / "bad.toml", key + " = \"" + value + "\"\n");
        EXPECT_TRUE(resolve_error({}, {}, toml).starts_with(key + " (in " + toml.string() + "): "))
            << key << "=" << value << ": " << resolve_error({}, {}, toml);
    }
}

TEST(Config, AbuseLimitsDefaultToTheContract) {
    Config c = resolve_ok({}, {});
    EXPECT_EQ(c.rate_limit.rate, 200);
    EXPECT_EQ(c.rate_limit.burst, 400u);
    EXPECT_TRUE(c.trusted_proxies.empty());
    EXPECT_TRUE(c.cors_origins.empty());
    EXPECT_EQ(c.max_connections_per_ip, 0u);
    EXPECT_NE(describe(c).find("rate_limit=200/400"), std::string::npos) << describe(c);
}

TEST(Config, AbuseLimitSettingsAreRead) {
    Config c = resolve_ok({},
                          {{"BEACON_RATE_LIMIT", "50/75"},
                           {"BEACON_TRUSTED_PROXIES", "10.0.0.0/8, 2001:db8::/32"},
                           {"BEACON_CORS_ORIGINS", "https://Console.Example.com, http://localhost:5173"},
                           {"BEACON_MAX_CONNECTIONS_PER_IP", "64"}});
    EXPECT_EQ(c.rate_limit.rate, 50);
    EXPECT_EQ(c.rate_limit.burst, 75u);
    ASSERT_EQ(c.trusted_proxies.size(), 2u);
    EXPECT_TRUE(c.trusted_proxies[0].contains(*http::parse_ip("10.1.2.3")));
    EXPECT_EQ(c.cors_origins, (std::vector<std::string>{"https://console.example.com", "http://localhost:5173"}));
    EXPECT_EQ(c.max_connections_per_ip, 64u);
    EXPECT_NE(describe(c).find("trusted_proxies=10.0.0.0/8,2001:db8::/32"), std::string::npos) << describe(c);
    EXPECT_FALSE(resolve_ok({}, {{"BEACON_RATE_LIMIT", "0"}}).rate_limit.enabled());
    EXPECT_EQ(resolve_ok({{"rate_limit", "10"}}, {}).rate_limit.burst, 20u);
    // The message names the setting and says what is wrong with the entry.
    std::string bad = resolve_error({}, {{"BEACON_TRUSTED_PROXIES", "10.0.0.0/8, 10.0.0.1/8"}});
    EXPECT_TRUE(bad.starts_with("BEACON_TRUSTED_PROXIES: '10.0.0.1/8' is not a CIDR block")) << bad;
    bad = resolve_error({}, {{"BEACON_RATE_LIMIT", "lots"}});
    EXPECT_TRUE(bad.starts_with("BEACON_RATE_LIMIT: expected requests a second")) << bad;
    bad = resolve_error({}, {{"BEACON_CORS_ORIGINS", "*"}});
    EXPECT_TRUE(bad.starts_with("BEACON_CORS_ORIGINS: '*'")) << bad;
}

TEST(Config, HeartbeatMustBeShorterThanOnlineWindow) {
    std::string message = resolve_error({{"heartbeat_interval", "5m"}}, {{"BEACON_ONLINE_WINDOW", "3m"}});
    EXPECT_NE(message.find("--heartbeat-interval (300s)"), std::string::npos) << message;
    EXPECT_NE(message.find("BEACON_ONLINE_WINDOW (180s)"), std::string::npos) << message;
}

TEST(Config, TomlUnknownKeyIsAnError) {
    test::TempDir dir;
    auto toml = write_file(dir.path() / "beacon.toml", "listen = \"0.0.0.0:1\"\nonline_windw = \"5m\"\n");
    std::string message = resolve_error({}, {}, toml);
    EXPECT_NE(message.find(toml.string()), std::string::npos) << message;
    EXPECT_NE(message.find("unknown key 'online_windw'"), std::string::npos) << message;

    auto nested = write_file(dir.path() / "nested.toml", "[server]\nlisten = \"0.0.0.0:1\"\n");
    EXPECT_NE(resolve_error({}, {}, nested).find("unknown key 'server'"), std::string::npos);
}

TEST(Config, UnknownFlagIsAnError) {
    EXPECT_EQ(resolve_error({{"lissen", "x"}}, {}), "unknown setting --lissen");
}

TEST(Config, TomlWrongTypeNamesTheKey) {
    test::TempDir dir;
    auto toml = write_file(dir.path() / "t.toml", "listen = 8080\n");
    EXPECT_EQ(resolve_error({}, {}, toml), "listen (in " + toml.string() + "): expected a string; got a TOML integer");
    auto toml2 = write_file(dir.path() / "t2.toml", "online_window = true\n");
    EXPECT_EQ(resolve_error({}, {}, toml2),
              "online_window (in " + toml2.string() + "): expected a string or an integer; got a TOML boolean");
}

TEST(Config, MalformedTomlNamesFileAndPosition) {
    test::TempDir dir;
    auto toml = write_file(dir.path() / "broken.toml", "listen = \"0.0.0.0:1\"\ndata_dir = \n");
    std::string message = resolve_error({}, {}, toml);
    EXPECT_TRUE(message.starts_with("config file " + toml.string() + ":2:")) << message;
}

TEST(Config, UnreadableTomlNamesFile) {
    test::TempDir dir;
    auto missing = dir.path() / "missing.toml";
    std::string message = resolve_error({}, {}, missing);
    EXPECT_TRUE(message.starts_with("config file " + missing.string() + ": cannot read")) << message;
    EXPECT_TRUE(resolve_error({}, {}, dir.path()).starts_with("config file " + dir.path().string())) << message;
}

TEST(Config, StorageUrlSelectsBackend) {
    Config file = resolve_ok({{"storage_url", "file:/srv/artifacts"}}, {});
    EXPECT_EQ(file.storage_kind, StorageKind::File);
    EXPECT_EQ(file.artifacts_dir, std::filesystem::path("/srv/artifacts"));
    EXPECT_EQ(resolve_ok({{"storage_url", "file:///srv/a"}}, {}).artifacts_dir, std::filesystem::path("/srv/a"));

    Map env = {
        {"BEACON_STORAGE_URL", "s3://beacon-artifacts/apps/?endpoint=http%3A%2F%2F127.0.0.1:9000&region=eu-west-1"},
        {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
        {"AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI"}};
    Config s3 = resolve_ok({}, env);
    EXPECT_EQ(s3.storage_kind, StorageKind::S3);
    EXPECT_EQ(s3.s3.bucket, "beacon-artifacts");
    EXPECT_EQ(s3.s3.prefix, "apps");
    EXPECT_EQ(s3.s3.endpoint, "http://127.0.0.1:9000");
    EXPECT_EQ(s3.s3.region, "eu-west-1");
    EXPECT_EQ(s3.s3.access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(s3.s3.secret_access_key, "wJalrXUtnFEMI");

    EXPECT_EQ(resolve_error({}, {{"BEACON_STORAGE_URL", "s3://bucket?region=x"}}),
              "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required when BEACON_STORAGE_URL is s3://...");
    EXPECT_EQ(resolve_error({}, {{"BEACON_STORAGE_URL", "s3://bucket?regoin=x"}}),
              "BEACON_STORAGE_URL: unknown parameter 'regoin' (known: endpoint, region)");
}

TEST(Config, ProductionMeansPostgres) {
    EXPECT_TRUE(is_production(resolve_ok({}, {{"BEACON_DATABASE_URL", "postgres://u:p@db/beacon"}})));
    EXPECT_TRUE(is_production(resolve_ok({}, {{"BEACON_DATABASE_URL", "postgresql://db/beacon"}})));
    EXPECT_FALSE(is_production(resolve_ok({}, {})));
}

TEST(Config, RedisKeyPrefixLetsDeploymentsShareOneRedis) {
    EXPECT_EQ(resolve_ok({}, {{"BEACON_REDIS_KEY_PREFIX", "tenant-a:prod"}}).redis_key_prefix, "tenant-a:prod");
    EXPECT_EQ(resolve_ok({{"redis_key_prefix", "b"}}, {{"BEACON_REDIS_KEY_PREFIX", "a"}}).redis_key_prefix, "b");
}

TEST(Config, SigningKeyFileComesFromEveryKindOfSource) {
    EXPECT_TRUE(resolve_ok({}, {}).signing_key_file.empty()) << "unset: generated at start";
    EXPECT_EQ(resolve_ok({}, {{"BEACON_SIGNING_KEY_FILE", "/etc/beacon/key.pem"}}).signing_key_file,
              "/etc/beacon/key.pem");
    EXPECT_EQ(
        resolve_ok({{"signing_key_file", "/flag.pem"}}, {{"BEACON_SIGNING_KEY_FILE", "/env.pem"}}).signing_key_file,
        "/flag.pem");
    const std::string line = describe(resolve_ok({}, {{"BEACON_SIGNING_KEY_FILE", "/etc/beacon/key.pem"}}));
    EXPECT_NE(line.find("signing_key_file=/etc/beacon/key.pem"), std::string::npos) << line;
}

TEST(Config, BadUrlMessageRedactsPassword) {
    std::string message = resolve_error({}, {{"BEACON_DATABASE_URL", "mysql://beacon:hunter2@db/beacon"}});
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_NE(message.find("mysql://beacon:***@db/beacon"), std::string::npos) << message;
}

TEST(Config, ExampleConfigsLoad) {
    const auto config_dir = std::filesystem::path(BEACON_SOURCE_DIR) / "config";
    Config embedded = resolve_ok({}, {}, config_dir / "embedded.toml");
    EXPECT_FALSE(is_production(embedded));
    EXPECT_EQ(embedded.max_artifact_bytes, 2ull << 30);
    Config production =
        resolve_ok({}, {{"AWS_ACCESS_KEY_ID", "a"}, {"AWS_SECRET_ACCESS_KEY", "b"}}, config_dir / "production.toml");
    EXPECT_TRUE(is_production(production));
    EXPECT_FALSE(production.signing_key_file.empty()) << "production needs one";
    EXPECT_EQ(production.storage_kind, StorageKind::S3);
    EXPECT_EQ(production.log_format, LogFormat::Json);
}

TEST(JwtSecret, GeneratedOnceAndPersistedWithPrivateMode) {
    test::TempDir dir;
    Config first;
    first.data_dir = dir.path() / "nested" / "data";
    ASSERT_TRUE(ensure_jwt_secret(first).ok());
    EXPECT_EQ(first.jwt_secret.size(), 64u);

    auto file = first.data_dir / "jwt-secret";
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    Config second;
    second.data_dir = first.data_dir;
    ASSERT_TRUE(ensure_jwt_secret(second).ok());
    EXPECT_EQ(second.jwt_secret, first.jwt_secret);

    // No temporary files left behind.
    int entries = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(first.data_dir)) {
        ++entries;
    }
    EXPECT_EQ(entries, 1);
}

TEST(JwtSecret, ExplicitSecretWinsAndWritesNothing) {
    test::TempDir dir;
    Config c;
    c.data_dir = dir.path() / "data";
    c.jwt_secret = "from-the-environment-0123456789abcdef";
    ASSERT_TRUE(ensure_jwt_secret(c).ok());
    EXPECT_EQ(c.jwt_secret, "from-the-environment-0123456789abcdef");
    EXPECT_FALSE(std::filesystem::exists(c.data_dir));
}

TEST(JwtSecret, ExistingFileIsUsedTrimmed) {
    test::TempDir dir;
    write_file(dir.path() / "jwt-secret", "kept-secret-0123456789abcdef0123456789\n");
    Config c;
    c.data_dir = dir.path();
    ASSERT_TRUE(ensure_jwt_secret(c).ok());
    EXPECT_EQ(c.jwt_secret, "kept-secret-0123456789abcdef0123456789");

    write_file(dir.path() / "jwt-secret", "\n");
    Config empty;
    empty.data_dir = dir.path();
    EXPECT_FALSE(ensure_jwt_secret(empty).ok());
}

// Issue 9 #11: a short HS256 key can be brute-forced from any token, and the
// download-link key derives from it.
TEST(JwtSecret, SecretsUnderThirtyTwoBytesAreRefusedWithHowToMakeOne) {
    for (std::size_t n : {std::size_t{1}, std::size_t{16}, std::size_t{31}}) {
        const std::string secret(n, 'k');
        auto r = resolve_config({}, {{"BEACON_JWT_SECRET", secret}}, std::nullopt);
        ASSERT_FALSE(r.ok()) << n;
        EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
        EXPECT_NE(r.error().message.find("BEACON_JWT_SECRET"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("at least 32 bytes"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("openssl rand -hex 32"), std::string::npos) << r.error().message;
        EXPECT_EQ(r.error().message.find(secret + ";"), std::string::npos) << "never quoted: " << r.error().message;
    }
    auto exact = resolve_config({}, {{"BEACON_JWT_SECRET", std::string(32, 'k')}}, std::nullopt);
    ASSERT_TRUE(exact.ok()) << exact.error().message;
    EXPECT_EQ(exact->jwt_secret, std::string(32, 'k'));

    auto flag = resolve_config({{"jwt_secret", "short"}}, {}, std::nullopt);
    ASSERT_FALSE(flag.ok());
    EXPECT_NE(flag.error().message.find("--jwt-secret (BEACON_JWT_SECRET)"), std::string::npos) << flag.error().message;
}

TEST(JwtSecret, ShortSecretSetInCodeOrInTheSecretFileIsRefused) {
    test::TempDir dir;
    Config c;
    c.data_dir = dir.path();
    c.jwt_secret = "x";
    auto r = ensure_jwt_secret(c);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("BEACON_JWT_SECRET"), std::string::npos) << r.error().message;

    write_file(dir.path() / "jwt-secret", "too-short\n");
    Config from_file;
    from_file.data_dir = dir.path();
    auto f = ensure_jwt_secret(from_file);
    ASSERT_FALSE(f.ok());
    EXPECT_NE(f.error().message.find((dir.path() / "jwt-secret").string()), std::string::npos) << f.error().message;
    EXPECT_NE(f.error().message.find("openssl rand -hex 32"), std::string::npos) << f.error().message;
    EXPECT_EQ(f.error().message.find("too-short"), std::string::npos) << f.error().message;
}

TEST(JwtSecret, ProductionWithoutSecretIsRefused) {
    test::TempDir dir;
    Config c = resolve_ok({{"data_dir", dir.path().string()}}, {{"BEACON_DATABASE_URL", "postgres://db/beacon"}});
    auto r = ensure_jwt_secret(c);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, "BEACON_JWT_SECRET is required when BEACON_DATABASE_URL is PostgreSQL");
    EXPECT_FALSE(std::filesystem::exists(dir.path() / "jwt-secret"));
}

TEST(Describe, RedactsSecretsAndCredentials) {
    Map env = {{"BEACON_DATABASE_URL", "postgres://beacon:pg-pass-1@db:5432/beacon?sslmode=require&password=pg-pass-2"},
               {"BEACON_REDIS_URL", "redis://:redis-pass@cache:6379/0"},
               {"BEACON_STORAGE_URL", "s3://beacon-artifacts?endpoint=https://minio:9000"},
               {"BEACON_JWT_SECRET", "jwt-secret-value-0123456789abcdef"},
               {"AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"},
               {"AWS_SECRET_ACCESS_KEY", "aws-secret-value"},
               {"BEACON_LISTEN", "[::]:8443"}};
    std::string line = describe(resolve_ok({}, env));
    for (const char* secret : {"pg-pass-1", "pg-pass-2", "redis-pass", "jwt-secret-value", "aws-secret-value"}) {
        EXPECT_EQ(line.find(secret), std::string::npos) << secret << " in " << line;
    }
    EXPECT_NE(line.find("postgres://beacon:***@db:5432/beacon?sslmode=require&password=***"), std::string::npos)
        << line;
    EXPECT_NE(line.find("redis://:***@cache:6379/0"), std::string::npos) << line;
    EXPECT_NE(line.find("listen=[::]:8443"), std::string::npos) << line;
    EXPECT_NE(line.find("jwt_secret=set"), std::string::npos) << line;
    EXPECT_NE(line.find("s3://beacon-artifacts"), std::string::npos) << line;
}

// Issue 9 #12: whatever shape a mistyped URL has, its password is not echoed.
TEST(Describe, BadConnectionSettingsAreQuotedWithoutTheirPasswords) {
    const std::string pw = "Pw-9f3Kq-secret";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"BEACON_DATABASE_URL", "host=db user=beacon password=" + pw + " dbname=beacon"},
        {"BEACON_DATABASE_URL", "host=db password = '" + pw + "'"},
        {"BEACON_DATABASE_URL", "postgres:/beacon:" + pw + "@db/beacon"},
        {"BEACON_DATABASE_URL", "postgresql//beacon:" + pw + "@db/beacon"},
        {"BEACON_DATABASE_URL", "beacon:" + pw + "@db:5432/beacon"},
        {"BEACON_DATABASE_URL", "pg://beacon:" + pw + "@db/beacon"},
        {"BEACON_DATABASE_URL", "mysql://db/beacon?password=" + pw},
        {"BEACON_REDIS_URL", "redis:/:" + pw + "@cache:6379"},
        {"BEACON_REDIS_URL", "host=cache password=" + pw},
        {"BEACON_STORAGE_URL", "minio://AKID:" + pw + "@minio:9000/bucket"},
        {"BEACON_STORAGE_URL", "s3:/bucket?secret_access_key=" + pw},
    };
    for (const auto& [name, value] : cases) {
        const std::string error = resolve_error({}, {{name, value}});
        EXPECT_NE(error.find(name), std::string::npos) << error;
        EXPECT_EQ(error.find(pw), std::string::npos) << name << "=" << value << " gave: " << error;
        EXPECT_NE(error.find("***"), std::string::npos) << error;
    }
}

TEST(Describe, RedactConfigSecretsHidesEveryConfiguredSecretInAnyText) {
    Config c = resolve_ok({},
                          {{"BEACON_DATABASE_URL", "postgres://beacon:db-pass%2Fword@db/beacon"},
                           {"BEACON_REDIS_URL", "redis://:redis-pass@cache:6379"},
                           {"BEACON_JWT_SECRET", "jwt-secret-value-0123456789abcdef"}});
    const std::string text =
        "libpq: invalid URI: \"db-pass%2Fword\" or db-pass/word; redis-pass; token jwt-secret-value-0123456789abcdef";
    const std::string out = redact_config_secrets(c, text);
    for (const char* secret : {"db-pass", "redis-pass", "jwt-secret-value"}) {
        EXPECT_EQ(out.find(secret), std::string::npos) << secret << " in " << out;
    }
    EXPECT_NE(out.find("libpq: invalid URI"), std::string::npos) << out;
}

TEST(Describe, RedactUrlEdgeCases) {
    EXPECT_EQ(redact_url("postgres://alice@db/x"), "postgres://alice@db/x");
    EXPECT_EQ(redact_url("postgres://db/x?user=a&PassWord=b#frag"), "postgres://db/x?user=a&PassWord=***#frag");
    EXPECT_EQ(redact_url("postgres://u:pa/ss@db/x"), "postgres://u:***@db/x");
    EXPECT_EQ(redact_url("https://example.com/path"), "https://example.com/path");
    EXPECT_EQ(redact_url("s3://b?endpoint=http://h&token=t"), "s3://b?endpoint=http://h&token=***");
}

}  // namespace
}  // namespace beacon::app
