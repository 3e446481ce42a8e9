#include "telemetry/event_ingestor.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "backends/memory/memory_presence.hpp"
#include "core/time_format.hpp"
#include "support/telemetry_fakes.hpp"

namespace beacon::telemetry {
namespace {

using namespace std::chrono_literals;
using backends::memory::MemoryPresence;
using test::FakeEventStore;

const TimePoint kT0 = from_epoch_ms(1'795'593'600'000);  // 2026-11-25T08:00:00Z

Event make_event(std::string install,
                 std::optional<std::string> event_id = std::nullopt,
                 std::string name = "page_view",
                 TimePoint at = kT0) {
    Event e;
    e.install_id = std::move(install);
    e.event_id = std::move(event_id);
    e.event_name = std::move(name);
    e.event_time = at;
    e.received_at = kT0;
    return e;
}

// A submission whose completion can be awaited from the test thread.
struct Submission {
    std::promise<Result<IngestOutcome>> promise;
    std::future<Result<IngestOutcome>> future = promise.get_future();
    // Completed by the time submit() returned. Only meaningful while the store
    // holds the writer inside a commit: then no queued request can complete.
    bool completed_inline = false;
};

std::unique_ptr<Submission> submit(EventIngestor& ing, std::vector<Event> events) {
    auto s = std::make_unique<Submission>();
    ing.submit(std::move(events), [s = s.get()](Result<IngestOutcome> r) { s->promise.set_value(std::move(r)); });
    s->completed_inline = s->future.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    return s;
}

IngestOutcome outcome_ok(Submission& s) {
    auto r = s.future.get();
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : IngestOutcome{-1, -1};
}

class EventIngestorTest : public ::testing::Test {
protected:
    EventIngestorTest() : presence_(MemoryPresence::open(std::nullopt).value()) {}

    std::unique_ptr<EventIngestor> make(EventIngestor::Options options = {}, TimeZone tz = TimeZone::utc()) {
        return std::make_unique<EventIngestor>(store_, *presence_, tz, options);
    }

    std::int64_t dau(std::string_view day) { return presence_->estimate_dau(*parse_day(day)).value().total; }

    FakeEventStore store_;
    std::unique_ptr<MemoryPresence> presence_;
};

TEST_F(EventIngestorTest, CommitsOneRequestAndReportsAccepted) {
    auto ing = make();
    auto s = submit(*ing, {make_event("i-11111111", "a"), make_event("i-11111111")});
    auto out = outcome_ok(*s);
    EXPECT_EQ(out.accepted, 2);
    EXPECT_EQ(out.duplicates, 0);
    EXPECT_EQ(store_.stored().size(), 2u);
    EXPECT_EQ(store_.append_sizes(), std::vector<std::size_t>{2});
}

TEST_F(EventIngestorTest, GroupsConcurrentRequestsIntoOneAppend) {
    auto ing = make();
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000")});
    store_.wait_for_appends(1);  // the writer is inside the first commit

    std::vector<std::unique_ptr<Submission>> waiting;
    std::vector<std::thread> clients;
    std::mutex mu;
    for (int i = 0; i < 4; ++i) {
        clients.emplace_back([&, i] {
            std::vector<Event> evs(static_cast<std::size_t>(i + 1), make_event("i-1111111" + std::to_string(i)));
            auto s = submit(*ing, std::move(evs));
            std::lock_guard lock(mu);
            waiting.push_back(std::move(s));
        });
    }
    for (auto& t : clients) {
        t.join();
    }
    store_.release();

    EXPECT_EQ(outcome_ok(*first).accepted, 1);
    std::int64_t total = 0;
    for (auto& s : waiting) {
        auto out = outcome_ok(*s);
        EXPECT_EQ(out.duplicates, 0);
        total += out.accepted;
    }
    EXPECT_EQ(total, 1 + 2 + 3 + 4);
    // One commit for the first request, one for the four that queued behind it.
    EXPECT_EQ(store_.append_sizes(), (std::vector<std::size_t>{1, 10}));
}

TEST_F(EventIngestorTest, SplitsAcceptedAndDuplicatesPerRequestInAGroup) {
    store_.seed("i-33333333", "stored-before");
    auto ing = make();
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000")});
    store_.wait_for_appends(1);

    auto a = submit(*ing, {make_event("i-11111111", "x"), make_event("i-11111111", "y")});
    // "x" again from the same install (a retry in another request of the group),
    // "x" from another install (not a duplicate), and one without an eventId.
    auto b = submit(*ing, {make_event("i-11111111", "x"), make_event("i-22222222", "x"), make_event("i-11111111")});
    auto c = submit(*ing, {make_event("i-33333333", "stored-before")});
    // Duplicates inside one request count too.
    auto d = submit(*ing, {make_event("i-44444444", "z"), make_event("i-44444444", "z")});
    store_.release();

    EXPECT_EQ(outcome_ok(*first).accepted, 1);
    auto oa = outcome_ok(*a);
    EXPECT_EQ(oa.accepted, 2);
    EXPECT_EQ(oa.duplicates, 0);
    auto ob = outcome_ok(*b);
    EXPECT_EQ(ob.accepted, 2);
    EXPECT_EQ(ob.duplicates, 1);
    auto oc = outcome_ok(*c);
    EXPECT_EQ(oc.accepted, 0);
    EXPECT_EQ(oc.duplicates, 1);
    auto od = outcome_ok(*d);
    EXPECT_EQ(od.accepted, 1);
    EXPECT_EQ(od.duplicates, 1);
    EXPECT_EQ(store_.append_sizes(), (std::vector<std::size_t>{1, 8}));
    EXPECT_EQ(store_.stored().size(), 1u + 2 + 2 + 1);
}

TEST_F(EventIngestorTest, FailingAppendFailsEveryRequestInTheGroup) {
    auto ing = make();
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000")});
    store_.wait_for_appends(1);
    auto a = submit(*ing, {make_event("i-11111111", "a")});
    auto b = submit(*ing, {make_event("i-22222222", "b"), make_event("i-22222222", "c")});
    store_.fail(true);
    store_.release();

    for (Submission* s : {first.get(), a.get(), b.get()}) {
        auto r = s->future.get();
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    }
    EXPECT_TRUE(store_.stored().empty());

    // The store recovers: the same events can be sent again and are stored.
    store_.fail(false);
    auto retry = submit(*ing, {make_event("i-22222222", "b"), make_event("i-22222222", "c")});
    auto out = outcome_ok(*retry);
    EXPECT_EQ(out.accepted, 2);
    EXPECT_EQ(out.duplicates, 0);
}

// A commit that failed slowly (the database hung until a timeout) fails what
// queued meanwhile without another attempt, so no request waits for more
// than about one timeout.
TEST_F(EventIngestorTest, SlowFailureFailsTheRequestsQueuedMeanwhile) {
    EventIngestor::Options options;
    options.slow_failure = 0ms;  // every failure counts as slow
    auto ing = make(options);
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000", "f")});
    store_.wait_for_appends(1);
    auto a = submit(*ing, {make_event("i-11111111", "a")});
    auto b = submit(*ing, {make_event("i-22222222", "b"), make_event("i-22222222", "c")});
    store_.fail(true);
    store_.release();

    for (Submission* s : {first.get(), a.get(), b.get()}) {
        auto r = s->future.get();
        ASSERT_FALSE(r.ok());
        EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    }
    EXPECT_EQ(store_.append_sizes(), (std::vector<std::size_t>{1})) << "the queued requests got no attempt";

    // Later requests get their own attempt, and are stored once it works.
    store_.fail(false);
    auto retry = submit(*ing, {make_event("i-11111111", "a")});
    EXPECT_EQ(outcome_ok(*retry).accepted, 1);
}

// A fast failure (connection refused) leaves the queued requests their own attempt.
TEST_F(EventIngestorTest, FastFailureLeavesQueuedRequestsTheirOwnAttempt) {
    EventIngestor::Options options;
    options.slow_failure = std::chrono::hours(1);
    auto ing = make(options);
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000", "f")});
    store_.wait_for_appends(1);
    auto a = submit(*ing, {make_event("i-11111111", "a")});
    store_.fail(true);
    store_.release();
    ASSERT_FALSE(first->future.get().ok());
    store_.wait_for_appends(2);
    ASSERT_FALSE(a->future.get().ok());
    EXPECT_EQ(store_.append_sizes(), (std::vector<std::size_t>{1, 1}));
}

TEST_F(EventIngestorTest, RefusesSubmissionsBeyondMaxPendingEvents) {
    EventIngestor::Options options;
    options.max_pending_events = 3;
    auto ing = make(options);
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000")});
    store_.wait_for_appends(1);  // taken off the queue: no longer pending

    auto a = submit(*ing, {make_event("i-11111111"), make_event("i-11111111")});
    auto refused = submit(*ing, {make_event("i-22222222"), make_event("i-22222222")});
    ASSERT_EQ(refused->future.wait_for(0s), std::future_status::ready);
    EXPECT_TRUE(refused->completed_inline);
    auto r = refused->future.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);

    auto fits = submit(*ing, {make_event("i-33333333")});  // 2 + 1 = 3 pending: allowed
    store_.release();
    EXPECT_EQ(outcome_ok(*first).accepted, 1);
    EXPECT_EQ(outcome_ok(*a).accepted, 2);
    EXPECT_EQ(outcome_ok(*fits).accepted, 1);
    EXPECT_FALSE(a->completed_inline);
}

// Issue 9 #19: the queue is bounded in bytes too, not only in events: a slow
// database with 200,000 queued events of 8 KiB properties would hold 1.7 GB.
TEST_F(EventIngestorTest, RefusesSubmissionsBeyondMaxPendingBytes) {
    Event heavy = make_event("i-11111111");
    heavy.properties_json = "{\"k\":\"" + std::string(8000, 'x') + "\"}";
    heavy.properties_json.shrink_to_fit();  // what counts is the memory held, capacity included
    const std::size_t per_event = EventIngestor::event_bytes(heavy);
    ASSERT_GT(per_event, 8000u);
    ASSERT_LT(per_event, 9000u);

    EventIngestor::Options options;
    options.max_pending_bytes = 3 * per_event;
    auto ing = make(options);
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000")});
    store_.wait_for_appends(1);  // taken off the queue: no longer pending

    auto a = submit(*ing, {heavy, heavy});
    auto refused = submit(*ing, {heavy, heavy});  // 4 * per_event > the bound: 503 at once
    ASSERT_EQ(refused->future.wait_for(0s), std::future_status::ready);
    EXPECT_TRUE(refused->completed_inline);
    auto r = refused->future.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    EXPECT_NE(r.error().message.find("bytes"), std::string::npos) << r.error().message;
    auto fits = submit(*ing, {heavy});  // 3 * per_event: allowed

    store_.release();
    EXPECT_EQ(outcome_ok(*first).accepted, 1);
    EXPECT_EQ(outcome_ok(*a).accepted, 2);
    EXPECT_EQ(outcome_ok(*fits).accepted, 1);
    // Once committed, they no longer count: the same requests fit again.
    auto again = submit(*ing, {heavy, heavy, heavy});
    EXPECT_EQ(outcome_ok(*again).accepted, 3);
}

TEST_F(EventIngestorTest, ARequestLargerThanTheByteBoundIsTakenWhenTheQueueIsEmpty) {
    Event heavy = make_event("i-11111111");
    heavy.properties_json = std::string(8000, 'x');
    EventIngestor::Options options;
    options.max_pending_bytes = 100;  // smaller than one event: never a livelock
    auto ing = make(options);
    auto s = submit(*ing, {heavy, heavy});
    EXPECT_EQ(outcome_ok(*s).accepted, 2);
}

TEST_F(EventIngestorTest, CountsTheMemoryOfEveryStringOfAnEvent) {
    Event small = make_event("i-11111111");
    Event big = small;
    big.user_id = std::string(100, 'u');
    big.session_id = std::string(100, 's');
    big.properties_json = std::string(1000, 'p');
    EXPECT_GE(EventIngestor::event_bytes(big), EventIngestor::event_bytes(small) + 1200);
    EXPECT_GE(EventIngestor::event_bytes(small), sizeof(Event));
}

TEST_F(EventIngestorTest, RespectsMaxEventsPerCommitButAlwaysTakesOneRequest) {
    EventIngestor::Options options;
    options.max_events_per_commit = 3;
    auto ing = make(options);
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000")});
    store_.wait_for_appends(1);
    auto a = submit(*ing, {make_event("i-11111111"), make_event("i-11111111")});
    auto b = submit(*ing, {make_event("i-22222222"), make_event("i-22222222")});
    auto big = submit(*ing, {make_event("i-3"), make_event("i-3"), make_event("i-3"), make_event("i-3")});
    store_.release();
    for (Submission* s : {first.get(), a.get(), b.get(), big.get()}) {
        outcome_ok(*s);
    }
    EXPECT_EQ(store_.append_sizes(), (std::vector<std::size_t>{1, 2, 2, 4}));
}

TEST_F(EventIngestorTest, StopCommitsPendingRequestsAndRefusesLaterOnes) {
    auto ing = make();
    store_.hold();
    auto first = submit(*ing, {make_event("i-00000000")});
    store_.wait_for_appends(1);
    auto a = submit(*ing, {make_event("i-11111111", "a")});
    auto b = submit(*ing, {make_event("i-22222222", "b")});

    std::thread stopper([&] { ing->stop(); });
    // stop() waits for the writer, which is held inside the first commit. Probe
    // until a submission is refused: from then on stop() has begun, while the
    // requests above (and any probe accepted before) are still pending.
    std::vector<std::unique_ptr<Submission>> probes;
    for (;;) {
        auto p = submit(*ing, {make_event("i-99999999")});
        if (p->completed_inline) {
            auto r = p->future.get();
            ASSERT_FALSE(r.ok());
            EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
            break;
        }
        probes.push_back(std::move(p));
        std::this_thread::yield();
    }
    EXPECT_EQ(a->future.wait_for(0s), std::future_status::timeout);
    store_.release();
    stopper.join();

    EXPECT_EQ(outcome_ok(*first).accepted, 1);
    EXPECT_EQ(outcome_ok(*a).accepted, 1);
    EXPECT_EQ(outcome_ok(*b).accepted, 1);
    for (auto& p : probes) {
        EXPECT_EQ(outcome_ok(*p).accepted, 1);
    }
    EXPECT_EQ(store_.stored().size(), 3 + probes.size());

    auto late = submit(*ing, {make_event("i-11111111")});
    EXPECT_TRUE(late->completed_inline);
    auto r = late->future.get();
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, ErrorCode::Unavailable);
    ing->stop();  // idempotent
}

TEST_F(EventIngestorTest, DestructorDrainsPendingRequests) {
    auto ing = make();
    auto a = submit(*ing, {make_event("i-11111111")});
    auto b = submit(*ing, {make_event("i-22222222")});
    ing.reset();
    EXPECT_EQ(outcome_ok(*a).accepted, 1);
    EXPECT_EQ(outcome_ok(*b).accepted, 1);
}

TEST_F(EventIngestorTest, SessionStartsAddDauMarksOnTheEventDayInTheReportingZone) {
    auto shanghai = TimeZone::load("Asia/Shanghai");
    ASSERT_TRUE(shanghai.ok());
    auto ing = make({}, *shanghai);
    // 17:30Z on the 24th is 01:30 on the 25th in Shanghai.
    TimePoint late_evening_utc = *parse_iso8601("2026-11-24T17:30:00Z");
    Event android = make_event("i-11111111", "s1", "app_session_start", late_evening_utc);
    android.platform = Platform::Android;
    Event user = make_event("i-22222222", "s2", "app_session_start", late_evening_utc);
    user.user_id = "u-1";
    user.platform = Platform::Ios;
    Event same_user_other_device = make_event("i-33333333", "s3", "app_session_start", late_evening_utc);
    same_user_other_device.user_id = "u-1";
    same_user_other_device.platform = Platform::Ios;
    Event no_platform = make_event("i-44444444", "s4", "app_session_start", late_evening_utc);
    Event not_a_session = make_event("i-55555555", "p1", "page_view", late_evening_utc);

    auto s = submit(*ing, {android, user, same_user_other_device, no_platform, not_a_session});
    EXPECT_EQ(outcome_ok(*s).accepted, 5);

    EXPECT_EQ(dau("2026-11-24"), 0);
    auto est = presence_->estimate_dau(*parse_day("2026-11-25")).value();
    EXPECT_EQ(est.total, 3);  // i-11111111, u-1, i-44444444
    EXPECT_EQ(est.by_platform["android"], 1);
    EXPECT_EQ(est.by_platform["ios"], 1);
    EXPECT_EQ(est.by_platform["unknown"], 1);
    EXPECT_EQ(ing->estimate_failures(), 0u);
}

TEST_F(EventIngestorTest, DuplicateSessionStartsAddNoDauMark) {
    store_.seed("i-22222222", "already");
    auto ing = make();
    Event dup = make_event("i-22222222", "already", "app_session_start");
    auto s = submit(*ing, {dup});
    auto out = outcome_ok(*s);
    EXPECT_EQ(out.duplicates, 1);
    EXPECT_EQ(dau("2026-11-25"), 0);

    auto fresh = submit(*ing, {make_event("i-22222222", "new", "app_session_start")});
    EXPECT_EQ(outcome_ok(*fresh).accepted, 1);
    EXPECT_EQ(dau("2026-11-25"), 1);
}

TEST_F(EventIngestorTest, FailedCommitAddsNoDauMark) {
    store_.fail(true);
    auto ing = make();
    auto s = submit(*ing, {make_event("i-11111111", "s", "app_session_start")});
    EXPECT_FALSE(s->future.get().ok());
    EXPECT_EQ(dau("2026-11-25"), 0);
}

// Presence whose DAU updates fail (after a while, as a hung Redis does).
class FailingDauPresence final : public PresenceStore {
public:
    using PresenceStore::record_heartbeat;
    Result<void> record_heartbeat(const HeartbeatMark&) override { return ok(); }
    Result<std::int64_t> count_online(TimePoint) override { return std::int64_t{0}; }
    Result<std::vector<VersionCount>> count_online_by_version(Platform, TimePoint) override {
        return std::vector<VersionCount>{};
    }
    Result<std::vector<VersionCount>> estimate_dau_by_version(Day, Platform) override {
        return std::vector<VersionCount>{};
    }
    Result<std::int64_t> remove_expired(TimePoint) override { return std::int64_t{0}; }
    Result<void> add_to_dau(std::span<const DauMark>) override {
        ++calls;
        return make_error(ErrorCode::Unavailable, "presence hangs");
    }
    Result<DauEstimate> estimate_dau(Day) override { return DauEstimate{}; }
    Result<void> drop_dau_before(Day) override { return ok(); }
    std::atomic<int> calls{0};
};

// A DAU update that failed slowly is not tried again for the hold-off: the
// events are committed all the same, and the skipped updates are counted.
TEST_F(EventIngestorTest, SlowDauFailureSkipsUpdatesForTheHoldOff) {
    FailingDauPresence presence;
    EventIngestor::Options options;
    options.slow_failure = 0ms;  // every failure counts as slow
    options.estimate_hold_off = std::chrono::hours(1);
    EventIngestor ing(store_, presence, TimeZone::utc(), options);
    for (int i = 0; i < 3; ++i) {
        auto s = submit(ing, {make_event("i-1111111" + std::to_string(i), "s", "app_session_start")});
        EXPECT_EQ(outcome_ok(*s).accepted, 1);
    }
    EXPECT_EQ(presence.calls.load(), 1);
    EXPECT_EQ(ing.estimate_failures(), 3u);
    EXPECT_EQ(store_.stored().size(), 3u);
}

}  // namespace
}  // namespace beacon::telemetry
