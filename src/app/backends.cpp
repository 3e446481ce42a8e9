#include "app/backends.hpp"

#include <spdlog/spdlog.h>

#include "backends/localfs/local_artifact_store.hpp"
#include "backends/memory/memory_presence.hpp"
#include "backends/postgres/pg_database.hpp"
#include "backends/postgres/pg_version_repository.hpp"
#include "backends/postgres/pg_webhook_outbox.hpp"
#include "backends/redis/redis_connection.hpp"
#include "backends/redis/redis_presence.hpp"
#include "backends/s3/s3_artifact_store.hpp"
#include "backends/sqlite/sqlite_database.hpp"
#include "backends/sqlite/sqlite_version_repository.hpp"
#include "backends/sqlite/sqlite_webhook_outbox.hpp"
#include "http/release_routes.hpp"
#include "releases/sha256_stream.hpp"

namespace beacon::app {
namespace {

std::filesystem::path database_file(const Config& c) {
    return c.data_dir / "beacon.db";
}

template <typename T>
T* keep(Backends& b, std::unique_ptr<T> p) {
    T* raw = p.get();
    b.owned.push_back(std::shared_ptr<T>(std::move(p)));
    return raw;
}

// One database serves the telemetry ports, the job ledger and /readyz.
template <class Database>
void attach_database(Backends& b, Database* db) {
    b.events = db;
    b.stats = db;
    b.snapshots = db;
    b.ledger = db;
    b.readiness.push_back({.name = "database", .probe = db});
}

Result<void> open_database(const Config& config, Backends& b) {
    if (is_production(config)) {
        auto pg = backends::postgres::PgDatabase::open(config.database_url, {.crash_event = config.crash_event});
        if (!pg) {
            return std::move(pg).error().with_context("opening PostgreSQL");
        }
        attach_database(b, keep(b, std::move(*pg)));
        auto versions = backends::postgres::PgVersionRepository::open(config.database_url);
        if (!versions) {
            return std::move(versions).error().with_context("opening the release catalog on PostgreSQL");
        }
        b.versions = keep(b, std::move(*versions));
        auto outbox = backends::postgres::PgWebhookOutbox::open(config.database_url);
        if (!outbox) {
            return std::move(outbox).error().with_context("opening the webhook outbox on PostgreSQL");
        }
        b.webhooks = keep(b, std::move(*outbox));
        return {};
    }
    auto sqlite = backends::sqlite::SqliteDatabase::open(database_file(config), {.crash_event = config.crash_event});
    if (!sqlite) {
        return std::move(sqlite).error().with_context("opening the SQLite database");
    }
    attach_database(b, keep(b, std::move(*sqlite)));
    auto versions = backends::sqlite::SqliteVersionRepository::open(database_file(config));
    if (!versions) {
        return std::move(versions).error().with_context("opening the release catalog");
    }
    b.versions = keep(b, std::move(*versions));
    auto outbox = backends::sqlite::SqliteWebhookOutbox::open(database_file(config));
    if (!outbox) {
        return std::move(outbox).error().with_context("opening the webhook outbox");
    }
    b.webhooks = keep(b, std::move(*outbox));
    return {};
}

Result<void> open_presence(const Config& config, const Clock& clock, Backends& b) {
    if (!config.redis_url.empty()) {
        auto endpoint = backends::redis::parse_redis_url(config.redis_url);
        if (!endpoint) {
            return std::move(endpoint).error().with_context("BEACON_REDIS_URL");
        }
        auto redis = backends::redis::RedisPresence::open(
            *endpoint, backends::redis::RedisPresenceOptions{.key_prefix = config.redis_key_prefix});
        if (!redis) {
            return std::move(redis).error().with_context("connecting to Redis");
        }
        auto* p = keep(b, std::move(*redis));
        b.presence = p;
        b.heartbeat_recording = telemetry::HeartbeatRecording::Batched;
        b.readiness.push_back({.name = "presence", .probe = p});
        return {};
    }
    // A corrupt snapshot is a lost cache: set aside with a warning, never a
    // reason not to start.
    auto memory = backends::memory::MemoryPresence::open_recovering(backends::memory::MemoryPresenceOptions{
        .snapshot_path = config.data_dir / "presence.snapshot",
        .clock = &clock,
    });
    if (!memory) {
        return std::move(memory).error().with_context("loading presence");
    }
    if (memory->warning) {
        spdlog::warn("presence snapshot: {}", *memory->warning);
    }
    auto* p = keep(b, std::move(memory->store));
    b.presence = p;
    b.presence_flush = p;
    b.readiness.push_back({.name = "presence", .probe = p});
    return {};
}

Result<void> open_storage(const Config& config, const Clock& clock, Backends& b) {
    if (config.storage_kind == StorageKind::S3) {
        auto s3 = backends::s3::S3ArtifactStore::open(
            backends::s3::S3StoreSettings{
                .endpoint = config.s3.endpoint,
                .bucket = config.s3.bucket,
                .prefix = config.s3.prefix,
                .region = config.s3.region,
                .credentials = {.access_key_id = config.s3.access_key_id,
                                .secret_access_key = config.s3.secret_access_key},
            },
            clock);
        if (!s3) {
            return std::move(s3).error().with_context("BEACON_STORAGE_URL");
        }
        auto* store = keep(b, std::move(*s3));
        b.artifacts = store;
        b.readiness.push_back({.name = "storage", .probe = store});
        return {};
    }
    // Links are signed with a key derived from the JWT secret, so one secret
    // never serves two purposes directly. Links signed under the previous
    // JWT secret still verify while it is set (a rotation, docs/SECURITY.md).
    auto link_key = [](const std::string& secret) {
        return secret.empty() ? std::string() : releases::hmac_sha256_hex(secret, "beacon files link key v1");
    };
    auto local = backends::localfs::LocalArtifactStore::open(
        config.artifacts_dir, link_key(config.jwt_secret), link_key(config.jwt_previous_secret));
    if (!local) {
        return std::move(local).error().with_context("opening artifact storage");
    }
    auto* store = keep(b, std::move(*local));
    b.artifacts = store;
    b.readiness.push_back({.name = "storage", .probe = store});
    b.verify_file_link = [store](std::string_view key,
                                 std::string_view expires,
                                 std::string_view name,
                                 std::string_view sig,
                                 TimePoint now) {
        switch (store->verify_signature(key, expires, name, sig, now)) {
            case backends::localfs::SignatureCheck::Valid:
                return http::FileLinkCheck::Valid;
            case backends::localfs::SignatureCheck::Expired:
                return http::FileLinkCheck::Expired;
            default:
                return http::FileLinkCheck::Invalid;
        }
    };
    b.file_path = [store](std::string_view key) { return store->path_for(key); };
    return {};
}

// Errors of the adapters may quote their connection strings (libpq's URI
// parse errors quote the whole URI): whatever they say reaches the log only
// with the configured secrets hidden.
Error redacted(const Config& config, Error e) {
    e.message = redact_config_secrets(config, e.message);
    for (auto& f : e.fields) {
        f.message = redact_config_secrets(config, f.message);
    }
    return e;
}

}  // namespace

Result<Backends> open_backends(const Config& config, const Clock& clock) {
    Backends b;
    if (auto r = open_database(config, b); !r) {
        return redacted(config, std::move(r).error());
    }
    if (auto r = open_presence(config, clock, b); !r) {
        return redacted(config, std::move(r).error());
    }
    if (auto r = open_storage(config, clock, b); !r) {
        return redacted(config, std::move(r).error());
    }
    return b;
}

Result<int> migrate_database(const Config& config) {
    Result<int> applied = 0;
    if (is_production(config)) {
        applied = backends::postgres::PgDatabase::migrate(config.database_url);
    } else {
        std::error_code ec;
        std::filesystem::create_directories(config.data_dir, ec);
        applied = backends::sqlite::SqliteDatabase::migrate(database_file(config));
    }
    if (!applied) {
        return redacted(config, std::move(applied).error());
    }
    return applied;
}

}  // namespace beacon::app
