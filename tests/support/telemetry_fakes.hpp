#pragma once

// Fakes of the telemetry ports for unit tests, besides the memory presence
// store (which is the real adapter and the fake at once).

#include <algorithm>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::telemetry::test {

// An EventStore in memory with the port's dedup rule, plus two test knobs:
// hold() makes append() calls wait until release() (so requests pile up behind
// a commit in progress), and fail(true) makes append() fail with Unavailable
// and store nothing. Thread-safe.
class FakeEventStore final : public EventStore {
public:
    Result<std::vector<bool>> append(std::span<const Event> events) override {
        std::unique_lock lock(mu_);
        append_sizes_.push_back(events.size());
        cv_.notify_all();
        cv_.wait(lock, [&] { return !held_; });
        if (failing_) {
            return make_error(ErrorCode::Unavailable, "database is down");
        }
        std::set<std::pair<std::string, std::string>> keys = keys_;
        std::vector<bool> out;
        std::vector<Event> add;
        for (const Event& e : events) {
            bool fresh = !e.event_id || keys.insert({e.install_id, *e.event_id}).second;
            out.push_back(fresh);
            if (fresh) {
                add.push_back(e);
                add.back().id = next_id_++;
            }
        }
        keys_ = std::move(keys);
        for (auto& e : add) {
            stored_.push_back(std::move(e));
        }
        return out;
    }

    Result<EventPage> list(const EventQuery&) override { return EventPage{}; }

    Result<DailyCounts> count_session_actors(TimePoint from, TimePoint to) override {
        std::lock_guard lock(mu_);
        count_queries_.emplace_back(from, to);
        std::set<std::string> all;
        std::map<std::string, std::set<std::string>> by_platform;
        std::map<std::string, std::set<std::string>> by_region;
        for (const Event& e : stored_) {
            if (e.event_name != "app_session_start" || e.event_time < from || e.event_time >= to) {
                continue;
            }
            std::string actor = actor_key(e.install_id, e.user_id);
            all.insert(actor);
            by_platform[std::string(to_string(e.platform.value_or(Platform::Unknown)))].insert(actor);
            by_region[e.region.value_or("unknown")].insert(actor);
        }
        DailyCounts c;
        c.total = static_cast<std::int64_t>(all.size());
        for (auto& [k, v] : by_platform) {
            c.by_platform[k] = static_cast<std::int64_t>(v.size());
        }
        for (auto& [k, v] : by_region) {
            c.by_region[k] = static_cast<std::int64_t>(v.size());
        }
        return c;
    }

    // The port's rules over the stored events (the adapters keep a summary
    // table; this reads the events themselves, as the definition does).
    Result<LeftBehindCounts> count_left_behind(Platform platform, TimePoint since, VersionCode code) override {
        std::lock_guard lock(mu_);
        std::map<std::string, const Event*> latest;
        for (const Event& e : stored_) {
            if (e.event_name != kSessionStart || e.platform.value_or(Platform::Unknown) != platform) {
                continue;
            }
            const Event*& slot = latest[actor_key(e.install_id, e.user_id)];
            if (slot == nullptr || e.event_time >= slot->event_time) {
                slot = &e;
            }
        }
        LeftBehindCounts c;
        for (const auto& [actor, e] : latest) {
            if (e->event_time < since) {
                continue;
            }
            ++c.actors;
            c.below += e->version_code && *e->version_code < code ? 1 : 0;
            c.unknown += e->version_code ? 0 : 1;
        }
        return c;
    }

    Result<std::vector<AdoptionCounts>> count_adoption(Platform platform,
                                                       VersionCode code,
                                                       std::span<const TimeRange> buckets) override {
        std::lock_guard lock(mu_);
        std::vector<AdoptionCounts> out;
        for (const TimeRange& b : buckets) {
            std::set<std::string> at_code;
            std::set<std::string> all;
            for (const Event& e : stored_) {
                if (e.event_name == kSessionStart && e.platform.value_or(Platform::Unknown) == platform &&
                    e.event_time >= b.from && e.event_time < b.to) {
                    all.insert(e.install_id);
                    if (e.version_code == code) {
                        at_code.insert(e.install_id);
                    }
                }
            }
            if (!all.empty()) {
                out.push_back(AdoptionCounts{
                    b.from, static_cast<std::int64_t>(at_code.size()), static_cast<std::int64_t>(all.size())});
            }
        }
        return out;
    }

    Result<ReleaseHealthCounts> count_release_health(Platform platform, VersionCode code, TimeRange window) override {
        std::lock_guard lock(mu_);
        std::set<std::pair<std::string, std::string>> crashes;
        std::set<std::pair<std::string, std::string>> seen;
        std::vector<const Event*> starts;  // the first start of each session
        std::optional<VersionCode> control;
        for (const Event& e : stored_) {
            if (e.event_name == crash_event_ && e.session_id) {
                crashes.emplace(e.install_id, *e.session_id);
            }
            if (e.event_name != kSessionStart || (e.session_id && !seen.emplace(e.install_id, *e.session_id).second)) {
                continue;
            }
            starts.push_back(&e);
            if (e.platform.value_or(Platform::Unknown) == platform && e.event_time >= window.from &&
                e.event_time < window.to && e.version_code && *e.version_code < code &&
                (!control || *e.version_code > *control)) {
                control = e.version_code;
            }
        }
        auto count = [&](VersionCode c) {
            SessionHealthCounts out;
            std::set<std::string> users;
            std::set<std::string> crashed_users;
            for (const Event* start : starts) {
                const Event& e = *start;
                if (e.platform.value_or(Platform::Unknown) != platform || e.event_time < window.from ||
                    e.event_time >= window.to || e.version_code != c) {
                    continue;
                }
                const std::string actor = actor_key(e.install_id, e.user_id);
                const bool crashed = e.session_id && crashes.contains({e.install_id, *e.session_id});
                ++out.sessions;
                out.crashed_sessions += crashed ? 1 : 0;
                users.insert(actor);
                if (crashed) {
                    crashed_users.insert(actor);
                }
            }
            out.users = static_cast<std::int64_t>(users.size());
            out.crashed_users = static_cast<std::int64_t>(crashed_users.size());
            return out;
        };
        ReleaseHealthCounts out;
        out.version = count(code);
        if (control) {
            out.control = VersionSessionHealth{*control, count(*control)};
        }
        return out;
    }

    Result<std::int64_t> delete_events_before(TimePoint t) override {
        std::lock_guard lock(mu_);
        auto n = std::erase_if(stored_, [t](const Event& e) { return e.event_time < t; });
        return static_cast<std::int64_t>(n);
    }

    // Knobs and probes.
    void hold() {
        std::lock_guard lock(mu_);
        held_ = true;
    }
    void release() {
        {
            std::lock_guard lock(mu_);
            held_ = false;
        }
        cv_.notify_all();
    }
    void fail(bool on) {
        std::lock_guard lock(mu_);
        failing_ = on;
    }
    // Blocks until append() has been entered `n` times in total.
    void wait_for_appends(std::size_t n) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return append_sizes_.size() >= n; });
    }
    // Marks (install_id, event_id) as stored already.
    void seed(std::string install_id, std::string event_id) {
        std::lock_guard lock(mu_);
        keys_.insert({std::move(install_id), std::move(event_id)});
    }
    std::vector<std::size_t> append_sizes() {
        std::lock_guard lock(mu_);
        return append_sizes_;
    }
    std::vector<Event> stored() {
        std::lock_guard lock(mu_);
        return stored_;
    }
    std::vector<std::pair<TimePoint, TimePoint>> count_queries() {
        std::lock_guard lock(mu_);
        return count_queries_;
    }

private:
    std::mutex mu_;
    std::condition_variable cv_;
    bool held_ = false;
    bool failing_ = false;
    std::int64_t next_id_ = 1;
    std::set<std::pair<std::string, std::string>> keys_;
    std::vector<Event> stored_;
    std::string crash_event_ = "app_crash";
    std::vector<std::size_t> append_sizes_;
    std::vector<std::pair<TimePoint, TimePoint>> count_queries_;
};

// daily_active_stats in a map. Thread-safe.
class FakeDailyStatsStore final : public DailyStatsStore {
public:
    Result<void> upsert(const DailyStats& stats) override {
        std::lock_guard lock(mu_);
        rows_[stats.day] = stats;
        ++upserts_;
        return ok();
    }
    Result<std::vector<DailyStats>> range(Day from, Day to) override {
        std::lock_guard lock(mu_);
        std::vector<DailyStats> out;
        for (auto it = rows_.lower_bound(from); it != rows_.end() && it->first <= to; ++it) {
            out.push_back(it->second);
        }
        return out;
    }
    int upserts() {
        std::lock_guard lock(mu_);
        return upserts_;
    }
    std::map<Day, DailyStats> rows() {
        std::lock_guard lock(mu_);
        return rows_;
    }

private:
    std::mutex mu_;
    std::map<Day, DailyStats> rows_;
    int upserts_ = 0;
};

// online_snapshots that only records what it is asked. buckets() answers
// with one bucket per call so a test can tell whether the store was read.
class FakeSnapshotStore final : public SnapshotStore {
public:
    struct BucketsCall {
        Millis interval;
        TimePoint from;
        TimePoint to;
    };
    Result<void> insert(const OnlineSnapshot& s) override {
        inserted.push_back(s);
        return ok();
    }
    Result<std::vector<SnapshotBucket>> buckets(Millis interval, TimePoint from, TimePoint to) override {
        calls.push_back({interval, from, to});
        return std::vector<SnapshotBucket>{SnapshotBucket{from, 1.0, 1, 1, 1}};
    }
    // The port's rule over `inserted`.
    Result<std::vector<std::optional<OnlinePeak>>> peaks(std::span<const TimeRange> ranges) override {
        std::vector<std::optional<OnlinePeak>> out;
        for (const TimeRange& r : ranges) {
            std::optional<OnlinePeak> peak;
            for (const OnlineSnapshot& s : inserted) {
                if (s.ts >= r.from && s.ts < r.to &&
                    (!peak || s.online > peak->online || (s.online == peak->online && s.ts < peak->at))) {
                    peak = OnlinePeak{s.online, s.ts};
                }
            }
            out.push_back(peak);
        }
        return out;
    }
    // The port's rule over `inserted` (kept in insertion order).
    Result<std::vector<OnlineSnapshot>> snapshots_between(TimePoint from, TimePoint to) override {
        std::vector<OnlineSnapshot> out;
        for (const OnlineSnapshot& s : inserted) {
            if (s.ts >= from && s.ts < to) {
                out.push_back(s);
            }
        }
        std::stable_sort(
            out.begin(), out.end(), [](const OnlineSnapshot& a, const OnlineSnapshot& b) { return a.ts < b.ts; });
        return out;
    }
    Result<std::int64_t> delete_snapshots_before(TimePoint t) override {
        auto n = std::erase_if(inserted, [t](const OnlineSnapshot& s) { return s.ts < t; });
        return static_cast<std::int64_t>(n);
    }

    std::vector<OnlineSnapshot> inserted;
    std::vector<BucketsCall> calls;
};

}  // namespace beacon::telemetry::test
