#include "telemetry/heartbeat_batcher.hpp"

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "backends/memory/memory_presence.hpp"
#include "core/time_format.hpp"

namespace beacon::telemetry {
namespace {

using namespace std::chrono_literals;
using backends::memory::MemoryPresence;

const TimePoint kT0 = from_epoch_ms(1'795'593'600'000);  // 2026-11-25T08:00:00Z

// Records through a real in-process store, remembering each call's size; can
// hold the first call until released (so later marks pile up behind it) and
// can fail every call.
class RecordingStore final : public PresenceStore {
public:
    using PresenceStore::record_heartbeat;
    Result<void> record_heartbeat(const HeartbeatMark& mark) override { return inner.record_heartbeat(mark); }
    Result<void> record_heartbeats(std::span<const HeartbeatMark> marks) override {
        std::unique_lock lock(mu);
        calls.push_back(marks.size());
        entered.notify_all();
        released.wait(lock, [this] { return !hold; });
        if (fail) {
            return make_error(ErrorCode::Unavailable, "presence: connection refused");
        }
        lock.unlock();
        return PresenceStore::record_heartbeats(marks);  // one by one into `inner`
    }
    Result<std::int64_t> count_online(TimePoint now) override { return inner.count_online(now); }
    Result<std::vector<VersionCount>> count_online_by_version(Platform p, TimePoint now) override {
        return inner.count_online_by_version(p, now);
    }
    Result<std::vector<VersionCount>> estimate_dau_by_version(Day day, Platform p) override {
        return inner.estimate_dau_by_version(day, p);
    }
    Result<std::int64_t> remove_expired(TimePoint now) override { return inner.remove_expired(now); }
    Result<void> add_to_dau(std::span<const DauMark> marks) override { return inner.add_to_dau(marks); }
    Result<DauEstimate> estimate_dau(Day day) override { return inner.estimate_dau(day); }
    Result<void> drop_dau_before(Day day) override { return inner.drop_dau_before(day); }

    void release() {
        std::lock_guard lock(mu);
        hold = false;
        released.notify_all();
    }
    bool wait_calls(std::size_t n) {
        std::unique_lock lock(mu);
        return entered.wait_for(lock, 10s, [&] { return calls.size() >= n; });
    }

    MemoryPresence inner;
    std::mutex mu;
    std::condition_variable entered, released;
    std::vector<std::size_t> calls;  // marks per record_heartbeats call
    bool hold = false;
    bool fail = false;
};

struct Waiting {
    std::promise<Result<void>> promise;
    std::future<Result<void>> future = promise.get_future();
    HeartbeatBatcher::Done done() {
        return [this](Result<void> r) { promise.set_value(std::move(r)); };
    }
    Result<void> get() {
        EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
        return future.get();
    }
};

HeartbeatMark mark(std::string actor, TimePoint until) {
    return HeartbeatMark{std::move(actor), until};
}

TEST(HeartbeatBatcher, MarksQueuedDuringAWriteGoOutTogether) {
    RecordingStore store;
    store.hold = true;
    HeartbeatBatcher batcher(store);
    Waiting first;
    batcher.submit(mark("i:a", kT0 + 180s), first.done());
    ASSERT_TRUE(store.wait_calls(1));  // the writer is inside the first call
    std::vector<Waiting> rest(20);
    for (std::size_t i = 0; i < rest.size(); ++i) {
        batcher.submit(mark("i:b" + std::to_string(i), kT0 + 180s), rest[i].done());
    }
    store.release();
    EXPECT_TRUE(first.get().ok());
    for (auto& w : rest) {
        EXPECT_TRUE(w.get().ok());
    }
    ASSERT_EQ(store.calls.size(), 2u);
    EXPECT_EQ(store.calls[0], 1u);
    EXPECT_EQ(store.calls[1], 20u);  // one round trip for the whole burst
    EXPECT_EQ(*store.count_online(kT0), 21);
}

TEST(HeartbeatBatcher, TheLaterMarkOfAnActorWins) {
    RecordingStore store;
    store.hold = true;
    HeartbeatBatcher batcher(store);
    Waiting a, b, c;
    batcher.submit(mark("i:x", kT0 + 180s), a.done());
    ASSERT_TRUE(store.wait_calls(1));
    batcher.submit(mark("i:y", kT0 + 180s), b.done());
    batcher.submit(mark("i:y", kT0 + 10s), c.done());  // later call, earlier expiry: it still wins
    store.release();
    EXPECT_TRUE(a.get().ok());
    EXPECT_TRUE(b.get().ok());
    EXPECT_TRUE(c.get().ok());
    EXPECT_EQ(*store.count_online(kT0 + 60s), 1);  // y expired at +10 s
}

TEST(HeartbeatBatcher, AFailedWriteFailsEveryMarkInIt) {
    RecordingStore store;
    store.fail = true;
    HeartbeatBatcher batcher(store);
    Waiting w;
    batcher.submit(mark("i:a", kT0 + 180s), w.done());
    auto r = w.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    store.fail = false;  // the store is back: the next heartbeat goes through
    Waiting again;
    batcher.submit(mark("i:a", kT0 + 180s), again.done());
    EXPECT_TRUE(again.get().ok());
}

TEST(HeartbeatBatcher, RefusesBeyondMaxPendingAndAfterStop) {
    RecordingStore store;
    store.hold = true;
    HeartbeatBatcher batcher(store, HeartbeatBatcher::Options{.max_batch = 1024, .max_pending = 2});
    Waiting inflight;
    batcher.submit(mark("i:a", kT0 + 180s), inflight.done());
    ASSERT_TRUE(store.wait_calls(1));
    Waiting q1, q2, over;
    batcher.submit(mark("i:b", kT0 + 180s), q1.done());
    batcher.submit(mark("i:c", kT0 + 180s), q2.done());
    batcher.submit(mark("i:d", kT0 + 180s), over.done());
    auto refused = over.get();
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::Unavailable);
    store.release();
    batcher.stop();  // writes what was queued before stopping
    EXPECT_TRUE(inflight.get().ok());
    EXPECT_TRUE(q1.get().ok());
    EXPECT_TRUE(q2.get().ok());
    Waiting late;
    batcher.submit(mark("i:e", kT0 + 180s), late.done());
    auto r = late.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(*store.count_online(kT0), 3);
}

}  // namespace
}  // namespace beacon::telemetry
