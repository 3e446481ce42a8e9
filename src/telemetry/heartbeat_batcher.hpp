#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "telemetry/presence_store.hpp"

namespace beacon::telemetry {

// Heartbeats for a presence store across the network (Redis). Recorded
// inline, each heartbeat held its I/O thread for a round trip, so a server
// with two I/O threads had at most two in flight and every other connection
// on those threads waited behind them. Instead requests queue their mark and
// go on serving; one writer thread sends everything queued as a single
// PresenceStore::record_heartbeats (one ZADD) and then completes each
// request: a burst of heartbeats costs one round trip.
//
// Thread-safe. Completions run on the writer thread and must not block.
class HeartbeatBatcher {
public:
    using Done = std::function<void(Result<void>)>;

    struct Options {
        std::size_t max_batch = 1024;  // marks per record_heartbeats call
        // Back-pressure: beyond this many queued marks, submit fails with
        // Unavailable at once instead of queueing without bound.
        std::size_t max_pending = 100000;
    };

    HeartbeatBatcher(PresenceStore& store, Options options);
    explicit HeartbeatBatcher(PresenceStore& store) : HeartbeatBatcher(store, Options{}) {}
    ~HeartbeatBatcher();
    HeartbeatBatcher(const HeartbeatBatcher&) = delete;
    HeartbeatBatcher& operator=(const HeartbeatBatcher&) = delete;

    // Queues `mark`; `done` is called exactly once, from the writer thread
    // (or inline when refused).
    void submit(HeartbeatMark mark, Done done);

    // Writes what is queued, then stops the writer; later submits fail with
    // Unavailable. Idempotent.
    void stop();

private:
    void run();

    PresenceStore& store_;
    Options options_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<HeartbeatMark> marks_;  // guarded by mu_, parallel to dones_
    std::vector<Done> dones_;
    bool stopping_ = false;
    std::thread writer_;
};

}  // namespace beacon::telemetry
