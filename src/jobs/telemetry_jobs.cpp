#include "jobs/telemetry_jobs.hpp"

#include "core/time_format.hpp"
#include "jobs/online_drop.hpp"
#include "webhooks/delivery.hpp"

namespace beacon::jobs {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

// After the snapshot at `ts`: enqueues online.drop when online just fell
// (jobs/online_drop.hpp); returns the delivery's id, if one was made.
Result<std::optional<std::string>> check_online_drop(const TelemetryJobDeps& d, TimePoint ts, TimePoint now) {
    auto recent = d.snapshots.snapshots_between(ts - 2 * kOnlineDropWindow, ts + Millis{1});
    if (!recent) {
        return std::move(recent).error();
    }
    auto drop = detect_online_drop(*recent);
    if (!drop) {
        return std::optional<std::string>();
    }
    json::object data{{"from", drop->from},
                      {"to", drop->to},
                      {"since", format_iso8601(drop->since)},
                      {"until", format_iso8601(drop->until)},
                      {"windowMinutes", 10}};
    auto delivery = webhooks::make_delivery(webhooks::kOnlineDrop, webhooks::kOnlineOrderingKey, data, now);
    if (!delivery) {
        return std::move(delivery).error();
    }
    if (auto r = d.webhooks->enqueue(*delivery); !r) {
        return std::move(r).error();
    }
    return std::optional<std::string>(delivery->id);
}

Result<json::object> snapshot(const TelemetryJobDeps& d, const JobContext& ctx) {
    TimePoint now = d.clock.now();
    auto online = d.presence.count_online(now);
    if (!online) {
        return std::move(online).error();
    }
    // Scheduled runs are stamped with their minute, so replicas and retries
    // agree on the row's time; manual runs with the current minute.
    TimePoint ts = ctx.manual ? std::chrono::floor<std::chrono::minutes>(now) : ctx.tick;
    auto r = d.snapshots.insert({ts, *online, d.settings.online_window_s});
    if (!r) {
        return std::move(r).error();
    }
    json::object out{{"at", format_iso8601(ts)}, {"online", *online}};
    if (d.webhooks != nullptr) {
        auto alerted = check_online_drop(d, ts, now);
        if (!alerted) {
            return std::move(alerted).error().with_context("checking for an online drop");
        }
        if (*alerted) {
            out["onlineDrop"] = **alerted;  // the delivery's id
        }
    }
    return out;
}

Result<json::object> cleanup(const TelemetryJobDeps& d) {
    TimePoint now = d.clock.now();
    auto expired = d.presence.remove_expired(now);
    if (!expired) {
        return std::move(expired).error();
    }
    Day today = d.settings.tz.day_of(now);
    if (auto r = d.presence.drop_dau_before(today - std::chrono::days(3)); !r) {
        return std::move(r).error();
    }
    auto snaps = d.snapshots.delete_snapshots_before(now - std::chrono::seconds(d.settings.snapshot_retention_s));
    if (!snaps) {
        return std::move(snaps).error();
    }
    auto events = d.events.delete_events_before(now - std::chrono::seconds(d.settings.event_retention_s));
    if (!events) {
        return std::move(events).error();
    }
    if (auto r = d.ledger.prune_claims_before(now - std::chrono::days(2)); !r) {
        return std::move(r).error();
    }
    json::object out{{"expiredPresence", *expired}, {"deletedSnapshots", *snaps}, {"deletedEvents", *events}};
    if (d.cleanup_artifacts) {
        auto removed = d.cleanup_artifacts();
        if (!removed) {
            return std::move(removed).error().with_context("removing unreferenced artifacts");
        }
        out["removedArtifacts"] = *removed;
    }
    if (d.cleanup_spool) {
        auto removed = d.cleanup_spool();
        if (!removed) {
            return std::move(removed).error().with_context("sweeping the upload spool");
        }
        out["removedSpoolFiles"] = *removed;
    }
    return out;
}

json::object counts_json(Day day, const telemetry::DailyCounts& c) {
    return json::object{{"day", format_day(day)}, {"dau", c.total}};
}

// The ?day= of a manual run: a day before today.
Result<void> validate_nightly(const TelemetryJobDeps& d, const JobContext& ctx) {
    if (ctx.day && *ctx.day >= d.dau.today()) {
        return invalid_field("day", "must be a day before today");
    }
    return ok();
}

Result<json::object> nightly(const TelemetryJobDeps& d, const JobContext& ctx) {
    // Checked again: today may have moved on while the run waited.
    if (auto valid = validate_nightly(d, ctx); !valid) {
        return std::move(valid).error();
    }
    Day day = ctx.day ? *ctx.day : d.dau.today() - std::chrono::days(1);
    auto counts = d.dau.compute(day, true);
    if (!counts) {
        return std::move(counts).error();
    }
    return counts_json(day, *counts);
}

Result<json::object> rolling(const TelemetryJobDeps& d) {
    Day today = d.dau.today();
    auto counts = d.dau.compute(today, false);
    if (!counts) {
        return std::move(counts).error();
    }
    return counts_json(today, *counts);
}

}  // namespace

TimePoint next_nightly(const TimeZone& tz, TimePoint t) {
    Day day = tz.day_of(t);
    for (int i = 0; i < 3; ++i) {
        TimePoint at = tz.start_of(day + std::chrono::days(i)) + 1h;
        if (at > t) {
            return at;
        }
    }
    return tz.start_of(day + std::chrono::days(3)) + 1h;  // unreachable in practice
}

std::vector<Job> make_telemetry_jobs(const TelemetryJobDeps& deps) {
    std::vector<Job> jobs;
    jobs.push_back(Job{"online-snapshot",
                       "every minute",
                       [](TimePoint t) { return next_multiple(t, 1min); },
                       [deps](const JobContext& c) { return snapshot(deps, c); }});
    jobs.push_back(Job{"cleanup",
                       "hourly",
                       [](TimePoint t) { return next_multiple(t, 1h); },
                       [deps](const JobContext&) { return cleanup(deps); }});
    jobs.push_back(Job{"nightly-dau",
                       "daily at 01:00 " + deps.settings.tz.name(),
                       [tz = deps.settings.tz](TimePoint t) { return next_nightly(tz, t); },
                       [deps](const JobContext& c) { return nightly(deps, c); },
                       [deps](const JobContext& c) { return validate_nightly(deps, c); }});
    jobs.push_back(Job{"rolling-dau",
                       "every 10 minutes",
                       [](TimePoint t) { return next_multiple(t, 10min); },
                       [deps](const JobContext&) { return rolling(deps); }});
    return jobs;
}

Result<int> catch_up_nightly(telemetry::DauService& dau, JobLedger& ledger, int lookback_days) {
    auto claim = ledger.try_claim_run("nightly-dau");
    if (!claim) {
        return std::move(claim).error().with_context("catching up nightly DAU");
    }
    if (!*claim) {
        return 0;  // another replica runs nightly-dau now
    }
    auto missing = dau.days_missing_exact(lookback_days);
    if (!missing) {
        return std::move(missing).error();
    }
    int computed = 0;
    for (Day d : *missing) {
        auto r = dau.compute(d, true);
        if (!r) {
            return std::move(r).error().with_context("catching up nightly DAU for " + format_day(d));
        }
        computed += r->total > 0 ? 1 : 0;
    }
    return computed;
}

}  // namespace beacon::jobs
