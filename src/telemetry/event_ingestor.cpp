#include "telemetry/event_ingestor.hpp"

#include <utility>

namespace beacon::telemetry {

EventIngestor::EventIngestor(EventStore& store, PresenceStore& presence, const TimeZone& tz, Options options)
    : store_(store), presence_(presence), tz_(tz), options_(options), writer_([this] { run(); }) {}

EventIngestor::~EventIngestor() { stop(); }

void EventIngestor::submit(std::vector<Event> events, Done done) {
    const char* refusal = nullptr;
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            refusal = "the server is shutting down";
        } else if (pending_events_ + events.size() > options_.max_pending_events) {
            refusal = "too many events waiting to be stored";
        } else {
            pending_events_ += events.size();
            queue_.push_back(Pending{std::move(events), std::move(done)});
            cv_.notify_one();
            return;
        }
    }
    done(make_error(ErrorCode::Unavailable, refusal));
}

void EventIngestor::stop() {
    {
        std::lock_guard lock(mu_);
        if (stopping_ && !writer_.joinable()) {
            return;
        }
        stopping_ = true;
        cv_.notify_one();
    }
    if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) {
        writer_.join();
    }
}

void EventIngestor::run() {
    std::vector<Pending> group;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) {
                return;  // stopping and drained
            }
            // Take whole requests until the commit is full (always at least one).
            std::size_t rows = 0;
            while (!queue_.empty() &&
                   (group.empty() || rows + queue_.front().events.size() <= options_.max_events_per_commit)) {
                rows += queue_.front().events.size();
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            pending_events_ -= rows;
        }
        const auto started = std::chrono::steady_clock::now();
        std::optional<Error> failed = commit(group);
        group.clear();
        if (failed && failed->code == ErrorCode::Unavailable &&
            std::chrono::steady_clock::now() - started >= options_.slow_failure) {
            fail_queued(*failed);
        }
    }
}

void EventIngestor::fail_queued(const Error& error) {
    std::deque<Pending> doomed;
    {
        std::lock_guard lock(mu_);
        doomed.swap(queue_);
        pending_events_ = 0;
    }
    for (auto& p : doomed) {
        p.done(error);
    }
}

std::optional<Error> EventIngestor::commit(std::vector<Pending>& group) {
    std::vector<Event> all;
    if (group.size() == 1) {
        all = std::move(group.front().events);
    } else {
        std::size_t n = 0;
        for (const auto& p : group) {
            n += p.events.size();
        }
        all.reserve(n);
        for (auto& p : group) {
            for (auto& e : p.events) {
                all.push_back(std::move(e));
            }
        }
    }

    auto stored = store_.append(all);
    if (!stored) {
        for (auto& p : group) {
            p.done(stored.error());
        }
        return stored.error();
    }

    std::vector<DauMark> marks;
    for (std::size_t i = 0; i < all.size(); ++i) {
        const Event& e = all[i];
        if ((*stored)[i] && e.event_name == "app_session_start") {
            marks.push_back(DauMark{tz_.day_of(e.event_time), e.platform.value_or(Platform::Unknown),
                                    actor_key(e.install_id, e.user_id)});
        }
    }
    if (!marks.empty()) {
        const auto started = std::chrono::steady_clock::now();
        if (started < skip_estimates_until_) {
            estimate_failures_.fetch_add(1);
        } else if (!presence_.add_to_dau(marks)) {
            estimate_failures_.fetch_add(1);
            const auto now = std::chrono::steady_clock::now();
            if (now - started >= options_.slow_failure) {
                skip_estimates_until_ = now + options_.estimate_hold_off;
            }
        }
    }

    // Split the per-event flags back to the requests, in queue order.
    std::size_t offset = 0;
    for (auto& p : group) {
        // After a single-request move the request's vector is empty; use all.size().
        std::size_t n = group.size() == 1 ? all.size() : p.events.size();
        IngestOutcome out;
        for (std::size_t i = 0; i < n; ++i) {
            if ((*stored)[offset + i]) {
                ++out.accepted;
            } else {
                ++out.duplicates;
            }
        }
        offset += n;
        p.done(out);
    }
    return std::nullopt;
}

}  // namespace beacon::telemetry
