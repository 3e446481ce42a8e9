#pragma once

#include <functional>
#include <vector>

#include "core/clock.hpp"
#include "jobs/job_ledger.hpp"
#include "jobs/scheduler.hpp"
#include "telemetry/dau_service.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/presence_service.hpp"
#include "telemetry/presence_store.hpp"
#include "telemetry/settings.hpp"
#include "telemetry/stats_store.hpp"
#include "webhooks/outbox.hpp"

namespace beacon::jobs {

// What the four telemetry jobs work on. All references outlive the jobs.
struct TelemetryJobDeps {
    telemetry::PresenceService& presence_service;
    telemetry::PresenceStore& presence;
    telemetry::EventStore& events;
    telemetry::SnapshotStore& snapshots;
    telemetry::DauService& dau;
    JobLedger& ledger;
    const Clock& clock;
    telemetry::TelemetrySettings settings;
    // Optional extra cleanup (releases: artifacts no version used for 24 h);
    // returns how many items it removed.
    std::function<Result<std::int64_t>()> cleanup_artifacts = nullptr;
    // Optional: removes what interrupted uploads left in this instance's
    // spool directory; returns how many files it removed.
    std::function<Result<std::int64_t>()> cleanup_spool = nullptr;
    // Optional: where online-snapshot enqueues its online.drop alerts
    // (jobs/online_drop.hpp); null when no webhook URL is configured.
    webhooks::WebhookOutbox* webhooks = nullptr;
};

// online-snapshot (every minute; with deps.webhooks it also checks the
// snapshots for an online drop and enqueues online.drop), cleanup (hourly),
// nightly-dau (01:00 in the reporting zone), rolling-dau (every 10 minutes).
// See docs/ARCHITECTURE.md.
std::vector<Job> make_telemetry_jobs(const TelemetryJobDeps& deps);

// The instant of the next 01:00 in `tz` strictly after `t`.
TimePoint next_nightly(const TimeZone& tz, TimePoint t);

// Catches up nightly runs missed while the server was down: computes exact
// counts for each of the last `lookback_days` days that has none. Returns
// how many of those days had data. It is a nightly-dau run, so it holds that
// job's run claim; when another replica holds it (it is catching up or
// running nightly-dau), this does nothing and returns 0.
Result<int> catch_up_nightly(telemetry::DauService& dau, JobLedger& ledger, int lookback_days);

}  // namespace beacon::jobs
