#pragma once

#include <memory>
#include <vector>

#include "app/config.hpp"
#include "core/clock.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "http/file_routes.hpp"
#include "http/ops_routes.hpp"
#include "jobs/job_ledger.hpp"
#include "releases/artifact_store.hpp"
#include "releases/version_repository.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/presence_service.hpp"
#include "telemetry/presence_store.hpp"
#include "telemetry/stats_store.hpp"
#include "webhooks/outbox.hpp"

namespace beacon::app {

// The adapters the configuration selects, behind their ports. The only place
// that knows which backend serves which port (the factories of STYLE.md
// section 3): SQLite or PostgreSQL; in-process presence or Redis; files or S3.
struct Backends {
    telemetry::EventStore* events = nullptr;
    telemetry::DailyStatsStore* stats = nullptr;
    telemetry::SnapshotStore* snapshots = nullptr;
    jobs::JobLedger* ledger = nullptr;
    releases::VersionRepository* versions = nullptr;
    webhooks::WebhookOutbox* webhooks = nullptr;  // on the same database
    telemetry::PresenceStore* presence = nullptr;
    // Inline for the in-process store, Batched for one across the network.
    telemetry::HeartbeatRecording heartbeat_recording = telemetry::HeartbeatRecording::Inline;
    Flushable* presence_flush = nullptr;  // in-process presence only
    releases::ArtifactStore* artifacts = nullptr;
    std::vector<http::ReadinessCheck> readiness;

    // /files: set only with file storage. verify_file_link(key, expires, name, sig, now).
    std::function<http::FileLinkCheck(
        std::string_view, std::string_view, std::string_view, std::string_view, TimePoint)>
        verify_file_link;
    std::function<Result<std::filesystem::path>(std::string_view)> file_path;

    std::vector<std::shared_ptr<void>> owned;  // keeps the adapters alive
};

Result<Backends> open_backends(const Config& config, const Clock& clock);

// `beacon migrate` for the configured database.
Result<int> migrate_database(const Config& config);

}  // namespace beacon::app
