#include "telemetry/heartbeat_batcher.hpp"

#include <algorithm>

namespace beacon::telemetry {

HeartbeatBatcher::HeartbeatBatcher(PresenceStore& store, Options options) : store_(store), options_(options) {
    options_.max_batch = std::max<std::size_t>(options_.max_batch, 1);
    writer_ = std::thread([this] { run(); });
}

HeartbeatBatcher::~HeartbeatBatcher() {
    stop();
}

void HeartbeatBatcher::submit(HeartbeatMark mark, Done done) {
    std::unique_lock lock(mu_);
    if (stopping_) {
        lock.unlock();
        done(make_error(ErrorCode::Unavailable, "the server is shutting down"));
        return;
    }
    if (marks_.size() >= options_.max_pending) {
        lock.unlock();
        done(unavailable("presence", "presence is overloaded: too many heartbeats waiting"));
        return;
    }
    marks_.push_back(std::move(mark));
    dones_.push_back(std::move(done));
    lock.unlock();
    cv_.notify_one();
}

void HeartbeatBatcher::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_one();
    if (writer_.joinable()) {
        writer_.join();
    }
}

void HeartbeatBatcher::run() {
    std::vector<HeartbeatMark> marks;
    std::vector<Done> dones;
    for (;;) {
        {
            std::unique_lock lock(mu_);
            cv_.wait(lock, [this] { return stopping_ || !marks_.empty(); });
            if (marks_.empty()) {
                return;  // stopping, and everything queued is written
            }
            // Queue order is call order, so a later heartbeat of the same
            // actor stays later within and across batches.
            const std::size_t n = std::min(marks_.size(), options_.max_batch);
            marks.assign(std::make_move_iterator(marks_.begin()),
                         std::make_move_iterator(marks_.begin() + static_cast<std::ptrdiff_t>(n)));
            dones.assign(std::make_move_iterator(dones_.begin()),
                         std::make_move_iterator(dones_.begin() + static_cast<std::ptrdiff_t>(n)));
            marks_.erase(marks_.begin(), marks_.begin() + static_cast<std::ptrdiff_t>(n));
            dones_.erase(dones_.begin(), dones_.begin() + static_cast<std::ptrdiff_t>(n));
        }
        const Result<void> written = store_.record_heartbeats(marks);
        for (auto& done : dones) {
            done(written);
        }
        marks.clear();
        dones.clear();
    }
}

}  // namespace beacon::telemetry
