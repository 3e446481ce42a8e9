#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "core/time_zone.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/presence_store.hpp"

namespace beacon::telemetry {

struct IngestOutcome {
    std::int64_t accepted = 0;
    std::int64_t duplicates = 0;
};

// Group commit for event batches. Requests hand their validated events to
// submit(); one writer thread gathers everything pending into a single
// EventStore::append (one transaction, one fsync) and then completes every
// request in it. A completion with an accepted count means those events are
// committed; on a store error every request in the group gets that error and
// nothing of theirs is stored (append is all-or-nothing).
//
// A store that fails slowly (it hung until a timeout: the database froze or
// the network dropped) fails, with the same error, every request that queued
// while it hung: each has waited about one timeout already, and the next
// attempt would most likely hang as long again. So with the database gone a
// request waits at most about one store timeout, not one per group ahead of
// it. A store that fails fast (connection refused) costs a queued request
// nothing: it gets its own attempt.
//
// After the commit, the actors of stored `app_session_start` events are added
// to the realtime DAU estimate (before the requests complete, so a client
// that got 200 finds its actor counted). The estimate is best effort: if
// presence is down the events stay committed and the failure is counted. An
// update that failed slowly (presence hangs until its timeout) is not tried
// again for `estimate_hold_off`: those marks are skipped and counted, so a
// hung Redis does not slow every commit by its timeout.
//
// Thread-safe. Completions run on the writer thread and must not block.
class EventIngestor {
public:
    using Done = std::function<void(Result<IngestOutcome>)>;

    struct Options {
        std::size_t max_events_per_commit = 5000;
        // Back-pressure: submissions beyond this many pending events, or
        // beyond this many bytes of pending events (their memory, as
        // event_bytes() counts it: 200,000 events with 8 KiB of properties
        // each would be 1.7 GB), fail with Unavailable instead of queueing
        // without bound. A request is never refused for being alone in an
        // empty queue.
        std::size_t max_pending_events = 200000;
        std::size_t max_pending_bytes = std::size_t{256} << 20;
        // A failed commit (Unavailable) that took at least this long fails
        // the requests queued meanwhile too (see above). 0: every failure does.
        std::chrono::milliseconds slow_failure{1000};
        // How long DAU updates are skipped after one failed slowly.
        std::chrono::milliseconds estimate_hold_off{5000};
        // Called on the writer thread for each failed (or skipped) DAU
        // update, after estimate_failures() counts it; must not block.
        std::function<void()> on_estimate_failure;
    };

    EventIngestor(EventStore& store, PresenceStore& presence, const TimeZone& tz, Options options);
    EventIngestor(EventStore& store, PresenceStore& presence, const TimeZone& tz)
        : EventIngestor(store, presence, tz, Options{}) {}
    ~EventIngestor();
    EventIngestor(const EventIngestor&) = delete;
    EventIngestor& operator=(const EventIngestor&) = delete;

    // Queues `events` (non-empty) for the next commit; `done` is called
    // exactly once, from the writer thread (or inline when refused).
    void submit(std::vector<Event> events, Done done);

    // Commits what is pending, then stops the writer. Later submits fail
    // with Unavailable. Idempotent.
    void stop();

    // Failures to update the DAU estimate after a commit (the server also
    // counts them in beacon_backend_errors_total{backend="presence"}).
    std::uint64_t estimate_failures() const { return estimate_failures_.load(); }

    // The memory an event holds while it waits: the record and its strings.
    static std::size_t event_bytes(const Event& e);

private:
    struct Pending {
        std::vector<Event> events;
        Done done;
        std::size_t bytes = 0;  // event_bytes() of events
    };

    void run();
    // Completes every request of `group`; the store's error, if it failed.
    std::optional<Error> commit(std::vector<Pending>& group);
    // Completes every queued request with `error`.
    void fail_queued(const Error& error);

    EventStore& store_;
    PresenceStore& presence_;
    TimeZone tz_;
    Options options_;

    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending> queue_;
    std::size_t pending_events_ = 0;
    std::size_t pending_bytes_ = 0;
    bool stopping_ = false;
    std::atomic<std::uint64_t> estimate_failures_{0};
    std::chrono::steady_clock::time_point skip_estimates_until_{};  // writer thread only
    std::thread writer_;
};

}  // namespace beacon::telemetry
