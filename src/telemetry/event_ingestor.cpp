#include "telemetry/event_ingestor.hpp"

#include <utility>

namespace beacon::telemetry {

EventIngestor::EventIngestor(EventStore& store, PresenceStore& presence, const TimeZone& tz, Options options)
    : store_(store), presence_(presence), tz_(tz), options_(options), writer_([this] { run(); }) {}

EventIngestor::~EventIngestor() {
    stop();
}

std::size_t EventIngestor::event_bytes(const Event& e) {
    auto text = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };  // beyond SSO
    auto opt = [&text](const std::optional<std::string>& s) { return s ? text(*s) : 0; };
    return sizeof(Event) + text(e.install_id) + text(e.event_name) + text(e.properties_json) + opt(e.event_id) +
           opt(e.user_id) + opt(e.app_version) + opt(e.os_version) + opt(e.device_model) + opt(e.region) +
           opt(e.session_id);
}

void EventIngestor::submit(std::vector<Event> events, Done done) {
    std::size_t bytes = 0;
    for (const Event& e : events) {
        bytes += event_bytes(e);
    }
    const char* refusal = nullptr;
    {
        std::lock_guard lock(mu_);
        if (stopping_) {
            refusal = "the server is shutting down";
        } else if (pending_events_ + events.size() > options_.max_pending_events) {
            refusal = "too many events waiting to be stored";
        } else if (pending_bytes_ > 0 && pending_bytes_ + bytes > options_.max_pending_bytes) {
            refusal = "too many bytes of events waiting to be stored";
        } else {
            pending_events_ += events.size();
            pending_bytes_ += bytes;
            queue_.push_back(Pending{std::move(events), std::move(done), bytes});
            cv_.notify_one();
            return;
        }
    }
    done(unavailable("database", refusal));
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
            std::size_t bytes = 0;
            while (!queue_.empty() &&
                   (group.empty() || rows + queue_.front().events.size() <= options_.max_events_per_commit)) {
                rows += queue_.front().events.size();
                bytes += queue_.front().bytes;
                group.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            pending_events_ -= rows;
            pending_bytes_ -= bytes;
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
        pending_bytes_ = 0;
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
        if ((*stored)[i] && e.event_name == kSessionStart) {
            marks.push_back(DauMark{tz_.day_of(e.event_time),
                                    e.platform.value_or(Platform::Unknown),
                                    actor_key(e.install_id, e.user_id),
                                    e.version_code});
        }
    }
    if (!marks.empty()) {
        const auto started = std::chrono::steady_clock::now();
        const auto failed = [this] {
            estimate_failures_.fetch_add(1);
            if (options_.on_estimate_failure) {
                options_.on_estimate_failure();
            }
        };
        if (started < skip_estimates_until_) {
            failed();
        } else if (!presence_.add_to_dau(marks)) {
            failed();
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
