#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "telemetry/model.hpp"

namespace beacon::telemetry {

struct EventQuery {
    std::optional<std::string> event_name;
    std::optional<std::string> user_id;
    std::optional<std::string> install_id;
    std::optional<TimePoint> from;          // event_time >= from
    std::optional<TimePoint> to;            // event_time < to
    std::optional<std::int64_t> before_id;  // id < before_id (the cursor)
    int limit = 50;                         // 1..500 (telemetry/event_listing checks it)
};

struct EventPage {
    std::vector<Event> events;  // newest first by id
    bool has_more = false;      // more rows match past the last one returned
};

// Of the actors of one platform with an app_session_start at or after some
// time, how many were last seen below a version code.
struct LeftBehindCounts {
    std::int64_t actors = 0;
    std::int64_t below = 0;    // latest session start's code < the code asked
    std::int64_t unknown = 0;  // latest session start had no code
};

// One bucket of a version's adoption.
struct AdoptionCounts {
    TimePoint at;                        // the bucket's start
    std::int64_t installs = 0;           // distinct installs at the version
    std::int64_t platform_installs = 0;  // distinct installs of the platform
};

// The session starts of one version in a window, and how many of them
// crashed (a crash event with their sessionId, same install). Users are
// actors (actor_key).
struct SessionHealthCounts {
    std::int64_t sessions = 0;
    std::int64_t crashed_sessions = 0;
    std::int64_t users = 0;
    std::int64_t crashed_users = 0;
};

struct VersionSessionHealth {
    VersionCode code = 0;
    SessionHealthCounts counts;
};

struct ReleaseHealthCounts {
    SessionHealthCounts version;
    // The highest code below the version's with session starts in the window.
    std::optional<VersionSessionHealth> control;
};

// Port: the append-only event log (telemetry_events).
// Thread-safe. Errors: Unavailable when the database cannot be reached.
// Codes below a version looked at for its control at most (each one an index
// seek); a version with more lower codes without sessions in the window than
// this is judged without a control.
inline constexpr int kHealthControlSearchLimit = 10000;

class EventStore {
public:
    virtual ~EventStore() = default;

    // Stores `events` in one transaction: all or nothing. An event whose
    // (install_id, event_id) is stored already, or appeared earlier in
    // `events`, is skipped. Returns, per input, whether it was stored.
    // On success every stored event is committed (durable).
    virtual Result<std::vector<bool>> append(std::span<const Event> events) = 0;

    // Events matching `q`, newest first by id, at most q.limit.
    virtual Result<EventPage> list(const EventQuery& q) = 0;

    // Distinct actors (see actor_key) among `app_session_start` events with
    // event_time in [from, to): overall, by platform and by region, absent
    // values counted under "unknown".
    virtual Result<DailyCounts> count_session_actors(TimePoint from, TimePoint to) = 0;

    // Of the actors whose latest app_session_start on `platform` (events
    // with no platform: Platform::Unknown) has event_time >= since, how many
    // had a version code below `code` in it, and how many none. An actor's
    // latest session start is the one with the greatest event_time; on a
    // tie, the one stored last. Exact.
    virtual Result<LeftBehindCounts> count_left_behind(Platform platform, TimePoint since, VersionCode code) = 0;

    // Per bucket, distinct installs with an app_session_start on `platform`
    // at version `code` in it, and distinct installs with one on `platform`
    // at all. Buckets must be sorted and disjoint; those without any session
    // start are left out; the rest come in bucket order.
    virtual Result<std::vector<AdoptionCounts>> count_adoption(Platform platform,
                                                               VersionCode code,
                                                               std::span<const TimeRange> buckets) = 0;

    // Release health of `code` on `platform`: its session starts with
    // event_time in `window`, and those of the control (see
    // ReleaseHealthCounts). A session is an install's sessionId: the first
    // app_session_start with it counts, once (a start without a sessionId is
    // a session of its own, that never crashed). It crashed when an event
    // named as the store's crash event (BEACON_CRASH_EVENT, given when the
    // store is opened) with the same install_id and session_id is stored, at
    // any time. The control is searched through at most
    // kHealthControlSearchLimit lower codes. Exact.
    virtual Result<ReleaseHealthCounts> count_release_health(Platform platform, VersionCode code, TimeRange window) = 0;

    // Retention: removes events with event_time < t; returns how many. An
    // adapter may remove whole periods instead (PostgreSQL: calendar months
    // in UTC, as whole partitions): then it removes every event of each
    // period that ends at or before t and keeps the rest of the period
    // holding t until a later call. Never removes an event at or after t.
    virtual Result<std::int64_t> delete_events_before(TimePoint t) = 0;
};

}  // namespace beacon::telemetry
