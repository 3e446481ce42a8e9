#include "app/serve.hpp"

#include <condition_variable>
#include <fstream>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/thread_pool.hpp>

#include "app/backends.hpp"
#include "app/signing_key.hpp"
#include "auth/jwt.hpp"
#include "backends/curl/curl_webhook_sender.hpp"
#include "http/audience_routes.hpp"
#include "http/console_routes.hpp"
#include "http/job_routes.hpp"
#include "http/release_routes.hpp"
#include "http/rollout_routes.hpp"
#include "http/server.hpp"
#include "http/telemetry_routes.hpp"
#include "http/webhook_routes.hpp"
#include "jobs/rollout_job.hpp"
#include "jobs/telemetry_jobs.hpp"
#include "releases/artifact_intake.hpp"
#include "releases/release_service.hpp"
#include "telemetry/dau_service.hpp"
#include "telemetry/event_ingestor.hpp"
#include "telemetry/heartbeat_batcher.hpp"
#include "telemetry/presence_service.hpp"
#include "webhooks/delivery_worker.hpp"

namespace beacon::app {
namespace {

// Days a nightly DAU run is caught up for at start.
constexpr int kNightlyCatchUpDays = 7;
// How often each instance looks for release changes made elsewhere (the
// contract allows 5 s).
constexpr std::chrono::seconds kCatalogPoll{2};
// How often in-process presence is written to disk.
constexpr std::chrono::seconds kPresenceFlush{10};

// Runs `task` every `period` on its own thread until destroyed.
class PeriodicTask {
public:
    PeriodicTask(std::chrono::milliseconds period, std::function<void()> task)
        : thread_([this, period, task = std::move(task)] {
              std::unique_lock lock(mu_);
              while (!cv_.wait_for(lock, period, [this] { return stop_; })) {
                  lock.unlock();
                  task();
                  lock.lock();
              }
          }) {}
    ~PeriodicTask() {
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

void describe_metrics(http::Metrics& metrics) {
    metrics.describe("beacon_events_total", "counter", "Events received, by result.");
    metrics.describe("beacon_heartbeats_total", "counter", "Heartbeats accepted.");
    metrics.describe("beacon_job_runs_total", "counter", "Scheduled job runs, by job and result.");
    metrics.describe("beacon_backend_errors_total", "counter", "Requests that failed because a backend failed.");
    metrics.describe("beacon_webhook_attempts_total", "counter", "Webhook delivery attempts, by result.");
}

}  // namespace

int migrate(const Config& config) {
    auto applied = migrate_database(config);
    if (!applied) {
        spdlog::error("migrate: {}", applied.error().message);
        return 1;
    }
    spdlog::info("migrate: {} migration(s) applied", *applied);
    return 0;
}

int serve(Config config) {
    if (auto r = ensure_jwt_secret(config); !r) {
        spdlog::error("{}", r.error().message);
        return 2;
    }
    auto signer = load_signing_key(config);
    if (!signer) {
        spdlog::error("{}", signer.error().message);
        return 2;
    }
    auto published_keys = load_published_keys(config);
    if (!published_keys) {
        spdlog::error("{}", published_keys.error().message);
        return 2;
    }
    spdlog::info("starting beacon: {}", describe(config));
    spdlog::info("signing update offers with Ed25519 key {}", signer->public_key().key_id);
    for (const auto& k : *published_keys) {
        spdlog::info("publishing Ed25519 key {} as verifying offers too", k.key_id);
    }
    std::error_code ec;
    std::filesystem::create_directories(config.data_dir, ec);
    if (ec) {
        spdlog::error("BEACON_DATA_DIR: cannot create {}: {}", config.data_dir.string(), ec.message());
        return 2;
    }

    SystemClock clock;
    auto opened = open_backends(config, clock);
    if (!opened) {
        spdlog::error("{}", opened.error().message);
        return 1;
    }
    Backends& b = *opened;

    http::Metrics metrics;
    describe_metrics(metrics);

    telemetry::TelemetrySettings settings{config.online_window_s,
                                          config.heartbeat_interval_s,
                                          config.snapshot_retention_s,
                                          config.event_retention_s,
                                          config.timezone};
    telemetry::PresenceService presence_service(*b.presence, clock, settings, b.heartbeat_recording);
    telemetry::DauService dau(*b.events, *b.stats, *b.presence, clock, settings);
    telemetry::EventIngestor ingestor(*b.events, *b.presence, config.timezone, {.on_estimate_failure = [&metrics] {
        metrics.add("beacon_backend_errors_total", "backend=\"presence\"");
    }});

    releases::ReleaseServiceOptions release_options;
    release_options.presign_ttl = std::chrono::seconds(config.presign_ttl_s);
    release_options.public_base_url = config.public_url;  // empty: host-relative links, see request_base
    release_options.signer = &*signer;
    release_options.published_keys = std::move(published_keys).value();
    const bool webhooks_enabled = !config.webhook_url.empty();
    release_options.webhooks = webhooks_enabled;
    releases::ReleaseService release_service(*b.versions, *b.artifacts, clock, release_options);
    if (auto r = release_service.reload(); !r) {
        spdlog::error("loading the release catalog: {}", r.error().message);
        return 1;
    }
    releases::ArtifactIntake intake(
        *b.versions, *b.artifacts, clock, config.data_dir / "spool", config.max_artifact_bytes);
    // What uploads cut short by a crash (or a kill) left behind, before serving.
    if (auto swept = intake.sweep_spool(); !swept) {
        spdlog::warn("sweeping the upload spool: {}", swept.error().message);
    } else if (*swept > 0) {
        spdlog::info("removed {} file(s) left in the upload spool by interrupted uploads", *swept);
    }

    metrics.gauge("beacon_online", "Distinct actors online now.", [&presence_service] {
        auto n = presence_service.online();
        return n ? static_cast<double>(n->online) : 0.0;
    });

    jobs::TelemetryJobDeps job_deps{
        presence_service, *b.presence, *b.events, *b.snapshots, dau, *b.ledger, clock, settings};
    job_deps.cleanup_artifacts = [&release_service]() -> Result<std::int64_t> {
        auto r = release_service.remove_unreferenced_artifacts();
        if (!r) {
            return std::move(r).error();
        }
        for (const auto& e : r->errors) {
            spdlog::warn("cleanup: {}", e.message);
        }
        return r->removed;
    };
    job_deps.cleanup_spool = [&intake] { return intake.sweep_spool(); };

    // Webhooks: only with a URL is anything enqueued or sent. The worker
    // has a thread of its own (a receiver that hangs holds up no I/O thread
    // and no job), and resumes whatever the outbox holds from before a restart.
    std::optional<backends::curl::CurlWebhookSender> webhook_sender;
    std::optional<webhooks::DeliveryWorker> webhook_worker;
    if (webhooks_enabled) {
        job_deps.webhooks = b.webhooks;
        webhook_sender.emplace(backends::curl::CurlSenderSettings{.url = config.webhook_url});
        webhooks::WorkerSettings worker_settings;
        worker_settings.secret = config.webhook_secret;
        webhook_worker.emplace(*b.webhooks,
                               *webhook_sender,
                               clock,
                               std::move(worker_settings),
                               webhooks::DeliveryWorker::Observers{
                                   .on_attempt =
                                       [&metrics](const webhooks::Delivery& d, const webhooks::AttemptRecord& a) {
                                           const bool delivered = a.next == webhooks::AttemptRecord::Next::Delivered;
                                           metrics.add(
                                               "beacon_webhook_attempts_total",
                                               std::string("result=\"") + (delivered ? "delivered" : "failed") + "\"");
                                           if (a.next == webhooks::AttemptRecord::Next::GiveUp) {
                                               spdlog::error("webhook {} ({}) given up after {} attempts: {}",
                                                             d.id,
                                                             d.type,
                                                             d.attempts + 1,
                                                             a.error.value_or(""));
                                           } else if (!delivered) {
                                               spdlog::warn("webhook {} ({}) attempt {} failed: {}",
                                                            d.id,
                                                            d.type,
                                                            d.attempts + 1,
                                                            a.error.value_or(""));
                                           }
                                       },
                                   .on_error = [](const Error& e) { spdlog::error("webhooks: {}", e.message); },
                               });
    }
    releases::RolloutControl rollouts(*b.versions, release_service, clock, webhooks_enabled);
    std::vector<jobs::Job> all_jobs = jobs::make_telemetry_jobs(job_deps);
    all_jobs.push_back(jobs::make_rollout_job({rollouts, *b.events, clock}));
    jobs::Scheduler scheduler(std::move(all_jobs),
                              *b.ledger,
                              clock,
                              [&metrics](const std::string& job, const Result<jobs::RunReport>& outcome) {
                                  metrics.add("beacon_job_runs_total",
                                              "job=\"" + job + "\",result=\"" + (outcome ? "ok" : "error") + "\"");
                                  if (!outcome) {
                                      spdlog::error("job {} failed: {}", job, outcome.error().message);
                                  }
                              });

    if (auto caught = jobs::catch_up_nightly(dau, *b.ledger, kNightlyCatchUpDays); !caught) {
        spdlog::error("{}", caught.error().message);
    } else if (*caught > 0) {
        spdlog::info("caught up nightly DAU for {} day(s)", *caught);
    }

    auth::TokenVerifier verifier(config.jwt_secret, clock, config.jwt_previous_secret);
    http::Router router(metrics);
    http::TelemetryApi telemetry_api{
        presence_service, ingestor, dau, *b.events, *b.snapshots, metrics, clock, settings};
    http::add_telemetry_routes(router, telemetry_api);
    http::add_job_routes(router, scheduler);
    http::add_ops_routes(router, metrics, b.readiness);
    http::add_console_routes(router);
    http::WebhookApi webhook_api{*b.webhooks, clock, webhooks_enabled, nullptr};
    if (webhook_worker) {
        webhook_api.wake = [&webhook_worker] { webhook_worker->wake(); };
    }
    http::add_webhook_routes(router, webhook_api);
    http::RolloutApi rollout_api{rollouts};
    http::add_rollout_routes(router, rollout_api);

    boost::asio::thread_pool storage_pool(2);
    boost::asio::thread_pool spool_pool(2);  // upload chunks to disk, off the I/O threads
    http::ReleaseApi release_api{release_service, intake, storage_pool, spool_pool, {config.listen_host}};
    http::LocalFilesApi files;
    if (b.verify_file_link) {
        files.verify =
            [&b, &clock](std::string_view key, std::string_view expires, std::string_view name, std::string_view sig) {
                return b.verify_file_link(key, expires, name, sig, clock.now());
            };
        files.path_for = b.file_path;
    }
    http::add_release_routes(router, release_api);
    http::AudienceApi audience_api{presence_service, *b.events, release_service, clock, settings};
    http::add_audience_routes(router, audience_api);
    if (b.verify_file_link) {
        http::add_file_routes(router, files);
    }

    const std::uint64_t fd_limit = http::raise_fd_limit();
    http::ServerOptions server_options{
        .host = config.listen_host,
        .port = config.listen_port,
        .threads = static_cast<int>(config.threads),
        .first_byte_timeout = std::chrono::seconds(config.first_byte_timeout_s),
        .max_connections = config.max_connections,
        .max_connections_per_ip = config.max_connections_per_ip,
        .rate_limit = config.rate_limit,
        .trusted_proxies = config.trusted_proxies,
        .cors_origins = config.cors_origins,
        .body_memory_limit = config.body_memory_bytes,
        .access_log_json = config.log_format == LogFormat::Json,
        .handle_signals = true,
    };
    http::Server server(server_options, router, metrics, verifier);
    spdlog::info("at most {} connections (file-descriptor limit {})", server.max_connections(), fd_limit);
    spdlog::info("at most {} connections per address; rate limit {}",
                 server.max_connections_per_ip(),
                 config.rate_limit.enabled() ? http::format_rate_limit(config.rate_limit) + " (rate/burst)"
                                             : std::string("off"));
    auto port = server.listen();
    if (!port) {
        spdlog::error("BEACON_LISTEN: {}", port.error().message);
        return 1;
    }
    release_api.listen.port = *port;  // before serving: links compare the Host with it
    if (config.port_file) {
        std::ofstream(*config.port_file) << *port << "\n";
    }
    spdlog::info("listening on {}:{}", config.listen_host, *port);

    scheduler.start();
    if (webhook_worker) {
        webhook_worker->start();
    }
    {
        std::optional<PeriodicTask> flusher;
        if (b.presence_flush != nullptr) {
            flusher.emplace(kPresenceFlush, [&b] {
                if (auto r = b.presence_flush->flush(); !r) {
                    spdlog::error("flushing presence: {}", r.error().message);
                }
            });
        }
        PeriodicTask catalog_poll(kCatalogPoll, [&release_service] {
            if (auto r = release_service.refresh_if_stale(); !r) {
                spdlog::warn("refreshing the release catalog: {}", r.error().message);
            }
        });
        server.run();
    }
    // Shutdown in reverse order of dependence.
    scheduler.stop();
    if (webhook_worker) {
        webhook_worker->stop();  // after the round in progress (a POST ends within its timeout)
    }
    ingestor.stop();
    presence_service.stop();
    storage_pool.join();
    spool_pool.join();
    if (b.presence_flush != nullptr) {
        if (auto r = b.presence_flush->flush(); !r) {
            spdlog::error("flushing presence at shutdown: {}", r.error().message);
        }
    }
    spdlog::info("stopped");
    spdlog::shutdown();
    return 0;
}

}  // namespace beacon::app
