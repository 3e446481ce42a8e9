#include "app/serve.hpp"

#include <condition_variable>
#include <fstream>
#include <thread>

#include <spdlog/spdlog.h>

#include "auth/jwt.hpp"
#include "backends/memory/memory_presence.hpp"
#include "backends/sqlite/sqlite_database.hpp"
#include "http/routes.hpp"
#include "http/server.hpp"
#include "jobs/telemetry_jobs.hpp"
#include "telemetry/dau_service.hpp"
#include "telemetry/event_ingestor.hpp"
#include "telemetry/presence_service.hpp"

namespace beacon::app {
namespace {

// Days a nightly DAU run is caught up for at start.
constexpr int kNightlyCatchUpDays = 7;

std::filesystem::path database_file(const Config& c) { return c.data_dir / "beacon.db"; }

Result<void> check_supported(const Config& c) {
    if (is_production(c)) {
        return make_error(ErrorCode::InvalidArgument,
                          "BEACON_DATABASE_URL: the PostgreSQL backend is not available in this build yet");
    }
    if (!c.redis_url.empty()) {
        return make_error(ErrorCode::InvalidArgument,
                          "BEACON_REDIS_URL: the Redis backend is not available in this build yet");
    }
    return {};
}

// Writes in-memory presence to disk every `period` until stopped, so a crash
// loses at most that much of the online set and DAU estimate.
class PeriodicFlusher {
public:
    PeriodicFlusher(Flushable& target, std::chrono::seconds period)
        : thread_([this, &target, period] {
              std::unique_lock lock(mu_);
              while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
                  if (auto r = target.flush(); !r) {
                      spdlog::error("flushing presence: {}", r.error().message);
                  }
              }
          }) {}
    ~PeriodicFlusher() {
        {
            std::lock_guard lock(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        thread_.join();
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace

int migrate(const Config& config) {
    if (auto r = check_supported(config); !r) {
        spdlog::error("{}", r.error().message);
        return 2;
    }
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    auto applied = backends::sqlite::SqliteDatabase::migrate(database_file(config));
    if (!applied) {
        spdlog::error("migrate: {}", applied.error().message);
        return 1;
    }
    spdlog::info("migrate: {} migration(s) applied to {}", *applied, database_file(config).string());
    return 0;
}

int serve(Config config) {
    if (auto r = check_supported(config); !r) {
        spdlog::error("{}", r.error().message);
        return 2;
    }
    if (auto r = ensure_jwt_secret(config); !r) {
        spdlog::error("{}", r.error().message);
        return 2;
    }
    spdlog::info("starting beacon: {}", describe(config));
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
        spdlog::error("BEACON_DATA_DIR: cannot create {}: {}", config.data_dir.string(), ec.message());
        return 2;
    }

    SystemClock clock;
    auto db = backends::sqlite::SqliteDatabase::open(database_file(config));
    if (!db) {
        spdlog::error("opening the database: {}", db.error().message);
        return 1;
    }
    auto presence = backends::memory::MemoryPresence::open(config.data_dir / "presence.snapshot");
    if (!presence) {
        spdlog::error("loading presence: {}", presence.error().message);
        return 1;
    }

    telemetry::TelemetrySettings settings{config.online_window_s, config.heartbeat_interval_s,
                                          config.snapshot_retention_s, config.event_retention_s, config.timezone};
    telemetry::PresenceService presence_service(**presence, clock, settings);
    telemetry::DauService dau(**db, **db, **presence, clock, settings);
    telemetry::EventIngestor ingestor(**db, **presence, config.timezone);

    http::Metrics metrics;
    metrics.describe("beacon_events_total", "counter", "Events received, by result.");
    metrics.describe("beacon_heartbeats_total", "counter", "Heartbeats accepted.");
    metrics.describe("beacon_job_runs_total", "counter", "Scheduled job runs, by job and result.");
    metrics.describe("beacon_backend_errors_total", "counter", "Requests that failed because a backend failed.");
    metrics.gauge("beacon_online", "Distinct actors online now.", [&presence_service] {
        auto n = presence_service.online();
        return n ? static_cast<double>(n->online) : 0.0;
    });

    jobs::TelemetryJobDeps job_deps{presence_service, **presence, **db, **db, dau, **db, clock, settings};
    jobs::Scheduler scheduler(
        jobs::make_telemetry_jobs(job_deps), **db, clock,
        [&metrics](const std::string& job, const Result<jobs::RunReport>& outcome) {
            metrics.add("beacon_job_runs_total",
                        "job=\"" + job + "\",result=\"" + (outcome ? "ok" : "error") + "\"");
            if (!outcome) {
                spdlog::error("job {} failed: {}", job, outcome.error().message);
            }
        });

    if (auto caught = jobs::catch_up_nightly(dau, kNightlyCatchUpDays); !caught) {
        spdlog::error("{}", caught.error().message);
    } else if (*caught > 0) {
        spdlog::info("caught up nightly DAU for {} day(s)", *caught);
    }

    auth::TokenVerifier verifier(config.jwt_secret, clock);
    http::Router router(metrics);
    http::TelemetryApi telemetry_api{presence_service, ingestor, dau, **db, **db, metrics, clock, settings};
    http::add_telemetry_routes(router, telemetry_api);
    http::add_job_routes(router, scheduler);
    http::add_ops_routes(router, metrics, {{"database", db->get()}, {"presence", presence->get()}});

    http::ServerOptions server_options;
    server_options.host = config.listen_host;
    server_options.port = config.listen_port;
    server_options.threads = static_cast<int>(config.threads);
    http::Server server(server_options, router, metrics, verifier);
    auto port = server.listen();
    if (!port) {
        spdlog::error("BEACON_LISTEN: {}", port.error().message);
        return 1;
    }
    if (config.port_file) {
        std::ofstream(*config.port_file) << *port << "\n";
    }
    spdlog::info("listening on {}:{}", config.listen_host, *port);

    scheduler.start();
    {
        PeriodicFlusher flusher(**presence, std::chrono::seconds(10));
        server.run(true);
    }
    // Shutdown in reverse order of dependence.
    scheduler.stop();
    ingestor.stop();
    if (auto r = (*presence)->flush(); !r) {
        spdlog::error("flushing presence at shutdown: {}", r.error().message);
    }
    spdlog::info("stopped");
    spdlog::shutdown();
    return 0;
}

}  // namespace beacon::app
