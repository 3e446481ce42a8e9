#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>

#include "store_contract.hpp"

namespace beacon::contract {
namespace {

using namespace std::chrono_literals;
using telemetry::DailyCounts;
using telemetry::Event;
using telemetry::EventPage;
using telemetry::EventQuery;
using telemetry::Platform;

const TimePoint kT0 = from_epoch_ms(1'795'600'000'000);  // 2026-11-25, mid-morning UTC

Event event(std::string install_id,
            std::optional<std::string> event_id,
            std::string name = "page_view",
            TimePoint at = kT0) {
    Event e;
    e.install_id = std::move(install_id);
    e.event_id = std::move(event_id);
    e.event_name = std::move(name);
    e.event_time = at;
    e.received_at = kT0 + 1s;
    return e;
}

Event session(std::string install_id,
              std::optional<std::string> user_id,
              std::optional<Platform> platform,
              std::optional<std::string> region,
              TimePoint at = kT0) {
    Event e = event(std::move(install_id), std::nullopt, "app_session_start", at);
    e.user_id = std::move(user_id);
    e.platform = platform;
    e.region = std::move(region);
    return e;
}

std::vector<bool> append(telemetry::EventStore& s, const std::vector<Event>& events) {
    auto r = s.append(events);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : std::vector<bool>{};
}

EventPage list(telemetry::EventStore& s, EventQuery q) {
    auto r = s.list(q);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : EventPage{};
}

// Every stored event, newest first.
std::vector<Event> all_events(telemetry::EventStore& s) {
    EventQuery q;
    q.limit = 500;
    return list(s, q).events;
}

// Follows the cursor to the end; fails the test on a page that breaks the rules.
std::vector<Event> all_pages(telemetry::EventStore& s, EventQuery q, const std::function<void()>& between_pages = {}) {
    std::vector<Event> out;
    for (int guard = 0; guard < 1000; ++guard) {
        EventPage page = list(s, q);
        EXPECT_LE(page.events.size(), static_cast<std::size_t>(q.limit));
        for (std::size_t i = 1; i < page.events.size(); ++i) {
            EXPECT_GT(page.events[i - 1].id, page.events[i].id) << "newest first by id";
        }
        out.insert(out.end(), page.events.begin(), page.events.end());
        if (!page.has_more) {
            return out;
        }
        EXPECT_EQ(page.events.size(), static_cast<std::size_t>(q.limit)) << "a page short of the limit ends the list";
        if (page.events.empty()) {
            return out;
        }
        q.before_id = page.events.back().id;
        if (between_pages) {
            between_pages();
        }
    }
    ADD_FAILURE() << "pagination does not end";
    return out;
}

std::vector<std::int64_t> ids(const std::vector<Event>& events) {
    std::vector<std::int64_t> out;
    out.reserve(events.size());
    for (const Event& e : events) {
        out.push_back(e.id);
    }
    return out;
}

std::vector<std::string> names(const std::vector<Event>& events) {
    std::vector<std::string> out;
    for (const Event& e : events) {
        out.push_back(e.event_name);
    }
    return out;
}

DailyCounts count(telemetry::EventStore& s, TimePoint from, TimePoint to) {
    auto r = s.count_session_actors(from, to);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : DailyCounts{};
}

using Counts = std::map<std::string, std::int64_t>;

// ---- append: storing and deduplication ----

TEST_P(EventStoreContract, AppendStoresEveryNewEvent) {
    std::vector<Event> batch = {
        event("install-0001", "e1", "a"), event("install-0001", "e2", "b"), event("install-0002", std::nullopt, "c")};
    EXPECT_EQ(append(store(), batch), (std::vector<bool>{true, true, true}));

    std::vector<Event> stored = all_events(store());
    EXPECT_EQ(names(stored), (std::vector<std::string>{"c", "b", "a"}));
}

TEST_P(EventStoreContract, AppendOfNothingStoresNothing) {
    EXPECT_EQ(append(store(), {}), std::vector<bool>{});
    EXPECT_TRUE(all_events(store()).empty());
}

TEST_P(EventStoreContract, SkipsEventIdStoredByEarlierCall) {
    append(store(), {event("install-0001", "e1", "first")});
    EXPECT_EQ(append(store(), {event("install-0001", "e1", "retry"), event("install-0001", "e2", "new")}),
              (std::vector<bool>{false, true}));
    EXPECT_EQ(names(all_events(store())), (std::vector<std::string>{"new", "first"}));
}

TEST_P(EventStoreContract, SkipsEventIdRepeatedWithinOneAppend) {
    EXPECT_EQ(append(store(),
                     {event("install-0001", "e1", "first"),
                      event("install-0001", "e1", "again"),
                      event("install-0001", "e2", "other"),
                      event("install-0001", "e1", "third")}),
              (std::vector<bool>{true, false, true, false}));
    EXPECT_EQ(names(all_events(store())), (std::vector<std::string>{"other", "first"}));
}

TEST_P(EventStoreContract, SameEventIdOnAnotherInstallIsNotADuplicate) {
    EXPECT_EQ(append(store(), {event("install-0001", "e1"), event("install-0002", "e1")}),
              (std::vector<bool>{true, true}));
    EXPECT_EQ(append(store(), {event("install-0003", "e1")}), (std::vector<bool>{true}));
    EXPECT_EQ(all_events(store()).size(), 3u);
}

TEST_P(EventStoreContract, EventsWithoutEventIdAreNeverDuplicates) {
    std::vector<Event> batch = {event("install-0001", std::nullopt), event("install-0001", std::nullopt)};
    EXPECT_EQ(append(store(), batch), (std::vector<bool>{true, true}));
    EXPECT_EQ(append(store(), batch), (std::vector<bool>{true, true}));
    EXPECT_EQ(all_events(store()).size(), 4u);
}

TEST_P(EventStoreContract, FailedAppendStoresNothing) {
    ASSERT_TRUE(instance().fail_next_append_after) << "the adapter must support failure injection";
    append(store(), {event("install-0001", "before")});

    std::vector<Event> batch = {event("install-0001", "e1"),
                                event("install-0001", "e2"),
                                event("install-0001", std::nullopt),
                                event("install-0001", "e3")};
    instance().fail_next_append_after(3);
    auto failed = store().append(batch);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, ErrorCode::Unavailable);
    EXPECT_EQ(all_events(store()).size(), 1u) << "nothing of the failed batch is stored";

    // Nothing of it counts as seen either: a retry stores all of it.
    EXPECT_EQ(append(store(), batch), (std::vector<bool>{true, true, true, true}));
    EXPECT_EQ(all_events(store()).size(), 5u);
}

TEST_P(EventStoreContract, FailureAfterTheLastEventStillStoresNothing) {
    ASSERT_TRUE(instance().fail_next_append_after) << "the adapter must support failure injection";
    instance().fail_next_append_after(100);
    auto failed = store().append(std::vector<Event>{event("install-0001", "e1"), event("install-0001", "e2")});
    ASSERT_FALSE(failed.ok());
    EXPECT_TRUE(all_events(store()).empty());
}

TEST_P(EventStoreContract, ConcurrentAppendsStoreEachEventIdOnce) {
    // Threads race to store overlapping batches: every (install, eventId) must
    // be reported stored exactly once in total, and stored exactly once.
    constexpr int kThreads = 4;
    constexpr int kBatches = 25;
    constexpr int kPerBatch = 8;
    std::vector<std::vector<std::vector<bool>>> results(kThreads);
    std::vector<std::vector<std::vector<Event>>> sent(kThreads);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int b = 0; b < kBatches; ++b) {
                std::vector<Event> batch;
                for (int i = 0; i < kPerBatch; ++i) {
                    // Ids overlap between neighbouring threads.
                    int n = ((t + i) % 2) * 1000 + b * kPerBatch + i;
                    batch.push_back(event("install-000" + std::to_string(i % 3), "e" + std::to_string(n)));
                }
                auto r = store().append(batch);
                results[t].push_back(r.ok() ? *r : std::vector<bool>{});
                sent[t].push_back(std::move(batch));
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    std::map<std::pair<std::string, std::string>, int> reported;
    std::set<std::pair<std::string, std::string>> distinct;
    for (int t = 0; t < kThreads; ++t) {
        for (int b = 0; b < kBatches; ++b) {
            ASSERT_EQ(results[t][b].size(), sent[t][b].size()) << "append failed";
            for (std::size_t i = 0; i < sent[t][b].size(); ++i) {
                auto key = std::make_pair(sent[t][b][i].install_id, *sent[t][b][i].event_id);
                distinct.insert(key);
                reported[key] += results[t][b][i] ? 1 : 0;
            }
        }
    }
    for (const auto& [key, n] : reported) {
        EXPECT_EQ(n, 1) << key.first << "/" << key.second;
    }
    EventQuery q;
    q.limit = 500;
    EXPECT_EQ(all_pages(store(), q).size(), distinct.size());
}

// ---- list ----

TEST_P(EventStoreContract, ListRoundTripsEveryField) {
    Event full = event("install-0001", "e-full", "purchase", kT0 - 5min);
    full.user_id = "user-7";
    full.received_at = kT0 + 250ms;
    full.platform = Platform::Ios;
    full.app_version = "2.1.0";
    full.os_version = "17.1";
    full.device_model = "iPhone15,2";
    full.region = "CN";
    full.session_id = "s-1";
    full.version_code = 2147483647;
    full.properties_json = R"({"coupon":"X1","amount":12.5,"nested":{"a":[1,2]}})";
    Event bare = event("install-0002", std::nullopt, "page_view", kT0);
    append(store(), {full, bare});

    std::vector<Event> stored = all_events(store());
    ASSERT_EQ(stored.size(), 2u);
    const Event& b = stored[0];
    const Event& f = stored[1];
    EXPECT_GT(b.id, f.id);
    EXPECT_GT(f.id, 0);
    EXPECT_EQ(f.event_id, full.event_id);
    EXPECT_EQ(f.install_id, full.install_id);
    EXPECT_EQ(f.user_id, full.user_id);
    EXPECT_EQ(f.event_name, full.event_name);
    EXPECT_EQ(f.event_time, full.event_time);
    EXPECT_EQ(f.received_at, full.received_at);
    EXPECT_EQ(f.platform, full.platform);
    EXPECT_EQ(f.app_version, full.app_version);
    EXPECT_EQ(f.os_version, full.os_version);
    EXPECT_EQ(f.device_model, full.device_model);
    EXPECT_EQ(f.region, full.region);
    EXPECT_EQ(f.session_id, full.session_id);
    EXPECT_EQ(f.version_code, full.version_code);
    // The same JSON value; PostgreSQL's jsonb may reorder keys and spacing.
    EXPECT_EQ(boost::json::parse(f.properties_json), boost::json::parse(full.properties_json));

    EXPECT_EQ(b.event_id, std::nullopt);
    EXPECT_EQ(b.user_id, std::nullopt);
    EXPECT_EQ(b.platform, std::nullopt);
    EXPECT_EQ(b.app_version, std::nullopt);
    EXPECT_EQ(b.os_version, std::nullopt);
    EXPECT_EQ(b.device_model, std::nullopt);
    EXPECT_EQ(b.region, std::nullopt);
    EXPECT_EQ(b.session_id, std::nullopt);
    EXPECT_EQ(b.version_code, std::nullopt);
    EXPECT_EQ(b.properties_json, "");
}

TEST_P(EventStoreContract, ListIsNewestFirstById) {
    // Insertion order decides, not event time.
    append(store(), {event("install-0001", std::nullopt, "old-time", kT0 - 1h)});
    append(store(), {event("install-0001", std::nullopt, "new-time", kT0 + 1h)});
    append(store(), {event("install-0001", std::nullopt, "mid-time", kT0)});
    EXPECT_EQ(names(all_events(store())), (std::vector<std::string>{"mid-time", "new-time", "old-time"}));
}

TEST_P(EventStoreContract, HasMoreOnlyWhenRowsRemain) {
    append(store(), {event("install-0001", "1"), event("install-0001", "2"), event("install-0001", "3")});
    EventQuery q;
    q.limit = 3;
    EventPage exact = list(store(), q);
    EXPECT_EQ(exact.events.size(), 3u);
    EXPECT_FALSE(exact.has_more);
    q.limit = 2;
    EventPage partial = list(store(), q);
    EXPECT_EQ(partial.events.size(), 2u);
    EXPECT_TRUE(partial.has_more);
    q.before_id = partial.events.back().id;
    EventPage rest = list(store(), q);
    EXPECT_EQ(rest.events.size(), 1u);
    EXPECT_FALSE(rest.has_more);
}

TEST_P(EventStoreContract, FiltersOnEventTimeFromInclusiveToExclusive) {
    append(store(),
           {event("install-0001", std::nullopt, "before", kT0 - 1ms),
            event("install-0001", std::nullopt, "at-from", kT0),
            event("install-0001", std::nullopt, "inside", kT0 + 30min),
            event("install-0001", std::nullopt, "last-ms", kT0 + 1h - 1ms),
            event("install-0001", std::nullopt, "at-to", kT0 + 1h)});
    EventQuery q;
    q.from = kT0;
    q.to = kT0 + 1h;
    EXPECT_EQ(names(list(store(), q).events), (std::vector<std::string>{"last-ms", "inside", "at-from"}));
    q.to.reset();
    EXPECT_EQ(names(list(store(), q).events), (std::vector<std::string>{"at-to", "last-ms", "inside", "at-from"}));
    q.from.reset();
    q.to = kT0;
    EXPECT_EQ(names(list(store(), q).events), (std::vector<std::string>{"before"}));
}

TEST_P(EventStoreContract, FiltersOnNameUserAndInstall) {
    Event a = event("install-0001", std::nullopt, "open");
    a.user_id = "alice";
    Event b = event("install-0002", std::nullopt, "open");
    Event c = event("install-0001", std::nullopt, "close");
    c.user_id = "alice";
    Event d = event("install-0003", std::nullopt, "open");
    d.user_id = "bob";
    append(store(), {a, b, c, d});

    EventQuery q;
    q.event_name = "open";
    EXPECT_EQ(list(store(), q).events.size(), 3u);
    q.user_id = "alice";
    std::vector<Event> alice_open = list(store(), q).events;
    ASSERT_EQ(alice_open.size(), 1u);
    EXPECT_EQ(alice_open[0].install_id, "install-0001");
    q = EventQuery{};
    q.install_id = "install-0001";
    EXPECT_EQ(names(list(store(), q).events), (std::vector<std::string>{"close", "open"}));
    q.install_id = "install-9999";
    EXPECT_TRUE(list(store(), q).events.empty());
    q = EventQuery{};
    q.user_id = "alice";
    EXPECT_EQ(list(store(), q).events.size(), 2u);
}

TEST_P(EventStoreContract, PagesNeverRepeatOrSkipRows) {
    // 90 events over three installs, two names and two hours, in several appends.
    for (int chunk = 0; chunk < 6; ++chunk) {
        std::vector<Event> batch;
        for (int i = 0; i < 15; ++i) {
            int n = chunk * 15 + i;
            Event e = event("install-000" + std::to_string(n % 3),
                            "e" + std::to_string(n),
                            n % 4 == 0 ? "app_session_start" : "page_view",
                            kT0 + std::chrono::minutes{(n * 37) % 120});
            if (n % 5 == 0) {
                e.user_id = "user-" + std::to_string(n % 2);
            }
            batch.push_back(std::move(e));
        }
        append(store(), batch);
    }
    const std::vector<Event> everything = all_events(store());
    ASSERT_EQ(everything.size(), 90u);

    struct Case {
        const char* label;
        std::function<void(EventQuery&)> set;
        std::function<bool(const Event&)> keep;
    };
    const std::vector<Case> cases = {
        {"no filter", [](EventQuery&) {}, [](const Event&) { return true; }},
        {"eventName",
         [](EventQuery& q) { q.event_name = "page_view"; },
         [](const Event& e) { return e.event_name == "page_view"; }},
        {"installId",
         [](EventQuery& q) { q.install_id = "install-0001"; },
         [](const Event& e) { return e.install_id == "install-0001"; }},
        {"userId",
         [](EventQuery& q) { q.user_id = "user-0"; },
         [](const Event& e) { return e.user_id == std::optional<std::string>("user-0"); }},
        {"time range",
         [](EventQuery& q) {
             q.from = kT0 + 20min;
             q.to = kT0 + 80min;
         },
         [](const Event& e) { return e.event_time >= kT0 + 20min && e.event_time < kT0 + 80min; }},
        {"eventName and installId and from",
         [](EventQuery& q) {
             q.event_name = "app_session_start";
             q.install_id = "install-0000";
             q.from = kT0 + 10min;
         },
         [](const Event& e) {
             return e.event_name == "app_session_start" && e.install_id == "install-0000" &&
                    e.event_time >= kT0 + 10min;
         }},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.label);
        std::vector<std::int64_t> expected;
        for (const Event& e : everything) {
            if (c.keep(e)) {
                expected.push_back(e.id);
            }
        }
        ASSERT_FALSE(expected.empty());
        for (int limit : {1, 4, 7, 500}) {
            SCOPED_TRACE(limit);
            EventQuery q;
            q.limit = limit;
            c.set(q);
            EXPECT_EQ(ids(all_pages(store(), q)), expected);
        }
    }
}

TEST_P(EventStoreContract, NewEventsDoNotShiftLaterPages) {
    for (int i = 0; i < 20; ++i) {
        append(store(), {event("install-0001", "e" + std::to_string(i))});
    }
    const std::vector<std::int64_t> expected = ids(all_events(store()));
    int extra = 0;
    EventQuery q;
    q.limit = 6;
    std::vector<Event> seen =
        all_pages(store(), q, [&] { append(store(), {event("install-0001", "late" + std::to_string(extra++))}); });
    EXPECT_EQ(ids(seen), expected);
}

// ---- count_session_actors ----

TEST_P(EventStoreContract, CountsActorsByUserIdElseInstallId) {
    append(store(),
           {session("install-000A", "u1", Platform::Android, "CN"),
            session("install-000A", "u1", Platform::Android, "CN"),  // same actor again
            session("install-000B", "u1", Platform::Android, "CN"),  // same user, other device
            session("install-000C", std::nullopt, Platform::Android, "CN"),
            session("install-000D", std::nullopt, Platform::Android, "CN"),
            session("install-000D", std::nullopt, Platform::Android, "CN")});
    DailyCounts c = count(store(), kT0, kT0 + 1h);
    EXPECT_EQ(c.total, 3);
    EXPECT_EQ(c.by_platform, (Counts{{"android", 3}}));
    EXPECT_EQ(c.by_region, (Counts{{"CN", 3}}));
}

TEST_P(EventStoreContract, UserIdNeverCollidesWithInstallId) {
    append(store(),
           {session("install-0001", "install-0002", Platform::Ios, "US"),
            session("install-0002", std::nullopt, Platform::Ios, "US")});
    EXPECT_EQ(count(store(), kT0, kT0 + 1h).total, 2);
}

TEST_P(EventStoreContract, CountsOnlySessionStartsInsideRange) {
    append(store(),
           {session("install-0001", std::nullopt, Platform::Web, "DE", kT0 - 1ms),       // before
            session("install-0002", std::nullopt, Platform::Web, "DE", kT0),             // from: in
            session("install-0003", std::nullopt, Platform::Web, "DE", kT0 + 1h - 1ms),  // in
            session("install-0004", std::nullopt, Platform::Web, "DE", kT0 + 1h),        // to: out
            event("install-0005", std::nullopt, "page_view", kT0 + 1min)});              // other name
    DailyCounts c = count(store(), kT0, kT0 + 1h);
    EXPECT_EQ(c.total, 2);
    EXPECT_EQ(c.by_platform, (Counts{{"web", 2}}));
    EXPECT_EQ(c.by_region, (Counts{{"DE", 2}}));
}

TEST_P(EventStoreContract, CountsByPlatformAndRegionWithUnknowns) {
    append(store(),
           {session("install-0001", std::nullopt, Platform::Android, "CN"),
            session("install-0002", std::nullopt, Platform::Android, std::nullopt),
            session("install-0003", std::nullopt, Platform::Ios, "US"),
            session("install-0004", std::nullopt, std::nullopt, "CN"),
            session("install-0005", "u-5", std::nullopt, std::nullopt),
            session("install-0006", "u-6", Platform::Desktop, "US")});
    DailyCounts c = count(store(), kT0, kT0 + 1h);
    EXPECT_EQ(c.total, 6);
    EXPECT_EQ(c.by_platform, (Counts{{"android", 2}, {"desktop", 1}, {"ios", 1}, {"unknown", 2}}));
    EXPECT_EQ(c.by_region, (Counts{{"CN", 2}, {"US", 2}, {"unknown", 2}}));
}

TEST_P(EventStoreContract, ActorOnTwoPlatformsCountsOnceOverallAndOncePerPlatform) {
    append(store(),
           {session("install-0001", "u1", Platform::Android, "CN"),
            session("install-0002", "u1", Platform::Ios, "HK"),
            session("install-0003", "u1", Platform::Ios, "HK"),
            session("install-0004", "u2", Platform::Ios, "HK")});
    DailyCounts c = count(store(), kT0, kT0 + 1h);
    EXPECT_EQ(c.total, 2);
    EXPECT_EQ(c.by_platform, (Counts{{"android", 1}, {"ios", 2}}));
    EXPECT_EQ(c.by_region, (Counts{{"CN", 1}, {"HK", 2}}));
}

TEST_P(EventStoreContract, CountsNothingInAnEmptyRange) {
    append(store(), {session("install-0001", std::nullopt, Platform::Android, "CN", kT0 + 2h)});
    DailyCounts c = count(store(), kT0, kT0 + 1h);
    EXPECT_EQ(c.total, 0);
    EXPECT_TRUE(c.by_platform.empty());
    EXPECT_TRUE(c.by_region.empty());
}

// ---- retention ----

// Exact adapters remove every event before the cutoff; month-granular ones
// (StoreInstance::retention_by_month) the months that end at or before it,
// keeping the rest of the cutoff's month for a later run. Neither touches an
// event at or after the cutoff, and a removed event's key is forgotten with
// it (a retry of it is new again) while a kept one still deduplicates.
TEST_P(EventStoreContract, DeleteBeforeRemovesOnlyOlderEvents) {
    const TimePoint last_month = kT0 - std::chrono::days(30);  // 2026-10-26
    append(store(),
           {event("install-0001", "prev", "prev", last_month),
            event("install-0001", "old-1", "old", kT0 - 2h),
            event("install-0001", "old-2", "old", kT0 - 1ms),
            event("install-0001", "edge", "edge", kT0),
            event("install-0001", "new", "new", kT0 + 1h)});
    const bool by_month = instance().retention_by_month;
    auto deleted = store().delete_events_before(kT0);
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_EQ(*deleted, by_month ? 1 : 3);
    EXPECT_EQ(
        names(all_events(store())),
        by_month ? (std::vector<std::string>{"new", "edge", "old", "old"}) : (std::vector<std::string>{"new", "edge"}));

    auto again = store().delete_events_before(kT0);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, 0);

    EXPECT_EQ(append(store(),
                     {event("install-0001", "prev", "prev", last_month),
                      event("install-0001", "old-1", "old", kT0 - 2h),
                      event("install-0001", "edge", "edge", kT0)}),
              (std::vector<bool>{true, !by_month, false}));
}

TEST_P(EventStoreContract, DeleteBeforeAMonthStartRemovesExactlyTheMonthsBefore) {
    const TimePoint nov1 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 1};
    append(store(),
           {event("install-0001", "oct", "oct", nov1 - 1ms),
            event("install-0001", "nov", "nov", nov1),
            event("install-0001", "sep", "sep", nov1 - std::chrono::days(40))});
    auto deleted = store().delete_events_before(nov1);
    ASSERT_TRUE(deleted.ok()) << deleted.error().message;
    EXPECT_EQ(*deleted, 2) << "the same for exact and month-granular adapters";
    EXPECT_EQ(names(all_events(store())), (std::vector<std::string>{"nov"}));
}

// ---- versions: who is left behind, adoption ----

Event start(std::string install_id,
            std::optional<std::string> user_id,
            Platform platform,
            std::optional<telemetry::VersionCode> code,
            TimePoint at) {
    Event e = session(std::move(install_id), std::move(user_id), platform, std::nullopt, at);
    e.version_code = code;
    return e;
}

telemetry::LeftBehindCounts left_behind(telemetry::EventStore& s,
                                        Platform platform,
                                        TimePoint since,
                                        telemetry::VersionCode code) {
    auto r = s.count_left_behind(platform, since, code);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : telemetry::LeftBehindCounts{-1, -1, -1};
}

std::tuple<std::int64_t, std::int64_t, std::int64_t> tie(const telemetry::LeftBehindCounts& c) {
    return {c.actors, c.below, c.unknown};
}

TEST_P(EventStoreContract, LeftBehindCountsEachActorAtItsLatestSessionStart) {
    append(store(),
           {start("install-0001", std::nullopt, Platform::Android, 190, kT0 - 3h),
            start("install-0001", std::nullopt, Platform::Android, 210, kT0 - 1h),  // upgraded: not below
            start("install-0002", std::nullopt, Platform::Android, 190, kT0 - 2h),
            start("install-0003", std::nullopt, Platform::Android, std::nullopt, kT0),  // unknown
            start("install-0004", "user-1", Platform::Android, 150, kT0),
            start("install-0005", "user-1", Platform::Android, 220, kT0 - 1min),  // same actor, earlier
            start("install-0006", std::nullopt, Platform::Ios, 100, kT0),         // another platform
            event("install-0007", std::nullopt, "page_view", kT0)});
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 1h, 200)), std::make_tuple(3, 1, 1))
        << "install-0002's only session start is before the window, whose start is inclusive";
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 1h + 1ms, 200)), std::make_tuple(2, 1, 1))
        << "install-0001's latest session start is just before the window";
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 24h, 200)), std::make_tuple(4, 2, 1));
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 24h, 150)), std::make_tuple(4, 0, 1))
        << "below is strict";
    EXPECT_EQ(tie(left_behind(store(), Platform::Ios, kT0 - 24h, 200)), std::make_tuple(1, 1, 0));
    EXPECT_EQ(tie(left_behind(store(), Platform::Web, kT0 - 24h, 200)), std::make_tuple(0, 0, 0));
}

TEST_P(EventStoreContract, LeftBehindFollowsLaterAppendsAndIgnoresOlderOnes) {
    append(store(), {start("install-0001", std::nullopt, Platform::Android, 210, kT0)});
    // A late-arriving older session start does not move the actor back.
    append(store(), {start("install-0001", std::nullopt, Platform::Android, 190, kT0 - 1h)});
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 24h, 200)), std::make_tuple(1, 0, 0));
    // A newer one does; on a tie, the one stored last wins.
    append(store(), {start("install-0001", std::nullopt, Platform::Android, 180, kT0 + 1min)});
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 24h, 200)), std::make_tuple(1, 1, 0));
    append(store(), {start("install-0001", std::nullopt, Platform::Android, std::nullopt, kT0 + 1min)});
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 24h, 200)), std::make_tuple(1, 0, 1));
    // Within one append, the later of two for one actor.
    append(store(),
           {start("install-0009", std::nullopt, Platform::Android, 100, kT0 + 2min),
            start("install-0009", std::nullopt, Platform::Android, 300, kT0 + 1min)});
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 24h, 200)), std::make_tuple(2, 1, 1));
    // A duplicate (same eventId) changes nothing.
    Event dup = start("install-0009", std::nullopt, Platform::Android, 100, kT0 + 3min);
    dup.event_id = "e-1";
    append(store(), {dup});
    Event again = start("install-0009", std::nullopt, Platform::Android, 900, kT0 + 4min);
    again.event_id = "e-1";
    append(store(), {again});
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, kT0 - 24h, 200)), std::make_tuple(2, 1, 1));
}

TEST_P(EventStoreContract, LeftBehindForgetsActorsWithTheEventsRetentionRemoves) {
    const TimePoint nov1 = std::chrono::sys_days{std::chrono::year{2026} / 11 / 1};
    append(store(),
           {start("install-0001", std::nullopt, Platform::Android, 100, nov1 - std::chrono::days(40)),
            start("install-0002", std::nullopt, Platform::Android, 100, nov1)});
    ASSERT_TRUE(store().delete_events_before(nov1).ok());
    EXPECT_EQ(tie(left_behind(store(), Platform::Android, nov1 - std::chrono::days(60), 200)),
              std::make_tuple(1, 1, 0));
}

std::vector<std::tuple<TimePoint, std::int64_t, std::int64_t>> adoption(telemetry::EventStore& s,
                                                                        Platform platform,
                                                                        telemetry::VersionCode code,
                                                                        const std::vector<telemetry::TimeRange>& b) {
    auto r = s.count_adoption(platform, code, b);
    EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
    std::vector<std::tuple<TimePoint, std::int64_t, std::int64_t>> out;
    if (r.ok()) {
        for (const auto& c : *r) {
            out.emplace_back(c.at, c.installs, c.platform_installs);
        }
    }
    return out;
}

TEST_P(EventStoreContract, AdoptionCountsDistinctInstallsPerBucket) {
    const TimePoint h0 = kT0 - 2h;
    append(store(),
           {start("install-0001", std::nullopt, Platform::Android, 210, h0),
            start("install-0001", std::nullopt, Platform::Android, 210, h0 + 10min),  // same install, same bucket
            start("install-0002", "user-1", Platform::Android, 200, h0 + 20min),
            start("install-0003", "user-1", Platform::Android, 210, h0 + 59min),   // installs, not actors
            start("install-0004", std::nullopt, Platform::Ios, 210, h0 + 30min),   // another platform
            start("install-0002", std::nullopt, Platform::Android, 210, h0 + 1h),  // upgraded in bucket 2
            start("install-0005", std::nullopt, Platform::Android, std::nullopt, h0 + 1h + 1min),
            start("install-0006", std::nullopt, Platform::Android, 210, h0 + 2h),  // = end of bucket 2
            event("install-0007", std::nullopt, "page_view", h0 + 5min)});
    Event no_platform = start("install-0008", std::nullopt, Platform::Android, 210, h0);
    no_platform.platform.reset();
    append(store(), {no_platform});
    const std::vector<telemetry::TimeRange> buckets{
        {h0 - 1h, h0}, {h0, h0 + 1h}, {h0 + 1h, h0 + 2h}, {h0 + 3h, h0 + 4h}};
    EXPECT_EQ(adoption(store(), Platform::Android, 210, buckets),
              (std::vector<std::tuple<TimePoint, std::int64_t, std::int64_t>>{{h0, 2, 3}, {h0 + 1h, 1, 2}}))
        << "empty buckets are left out; an install counts once per bucket";
    EXPECT_EQ(adoption(store(), Platform::Ios, 210, buckets),
              (std::vector<std::tuple<TimePoint, std::int64_t, std::int64_t>>{{h0, 1, 1}}));
    EXPECT_EQ(adoption(store(), Platform::Android, 999, buckets),
              (std::vector<std::tuple<TimePoint, std::int64_t, std::int64_t>>{{h0, 0, 3}, {h0 + 1h, 0, 2}}));
    EXPECT_TRUE(adoption(store(), Platform::Android, 210, {}).empty());
}

// ---- release health ----

Event in_session(Event e, std::string session_id) {
    e.session_id = std::move(session_id);
    return e;
}

Event crash(std::string install_id, std::optional<std::string> session_id, TimePoint at) {
    Event e = event(std::move(install_id), std::nullopt, "app_crash", at);
    e.session_id = std::move(session_id);
    return e;
}

std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t> tie(const telemetry::SessionHealthCounts& c) {
    return {c.sessions, c.crashed_sessions, c.users, c.crashed_users};
}

TEST_P(EventStoreContract, ReleaseHealthCountsCrashedSessionsAndUsersOfTheVersionInTheWindow) {
    const telemetry::TimeRange window{kT0 - 24h, kT0};
    append(store(),
           {in_session(start("install-0001", std::nullopt, Platform::Android, 210, kT0 - 2h), "s-1"),
            in_session(start("install-0001", std::nullopt, Platform::Android, 210, kT0 - 1h), "s-2"),
            in_session(start("install-0002", "user-1", Platform::Android, 210, kT0 - 3h), "s-1"),
            in_session(start("install-0003", "user-1", Platform::Android, 210, kT0 - 4h), "s-9"),
            start("install-0004", std::nullopt, Platform::Android, 210, kT0 - 5h),  // no sessionId: never crashed
            in_session(start("install-0005", std::nullopt, Platform::Android, 210, kT0 - 25h), "s-1"),  // before
            in_session(start("install-0006", std::nullopt, Platform::Android, 210, kT0), "s-1"),        // = window end
            in_session(start("install-0007", std::nullopt, Platform::Ios, 210, kT0 - 1h), "s-1"),  // other platform
            crash("install-0001", "s-2", kT0 - 50min),
            crash("install-0001", "s-2", kT0 - 49min),  // twice: one crashed session
            crash("install-0002", "s-1", kT0 + 10min),  // reported after the window: still counts
            in_session(event("install-0001", std::nullopt, "fatal", kT0 - 30min), "s-1"),  // not the crash event
            crash("install-0003", "s-1", kT0 - 1h),         // another install's session id
            crash("install-0004", std::nullopt, kT0 - 1h),  // no sessionId
            crash("install-0005", "s-1", kT0 - 1h),         // its session started before the window
            crash("install-0007", "s-1", kT0 - 30min)});
    auto r = store().count_release_health(Platform::Android, 210, window);
    ASSERT_TRUE(r.ok()) << r.error().message;
    // Sessions: 0001 twice, 0002, 0003, 0004; users: install-0001, user-1, install-0004.
    EXPECT_EQ(tie(r->version), std::make_tuple(5, 2, 3, 2));
    EXPECT_FALSE(r->control.has_value());
    auto ios = store().count_release_health(Platform::Ios, 210, window);
    ASSERT_TRUE(ios.ok());
    EXPECT_EQ(tie(ios->version), std::make_tuple(1, 1, 1, 1));
}

TEST_P(EventStoreContract, ReleaseHealthCountsASessionOnceAndACrashThatCameBeforeItsStart) {
    const telemetry::TimeRange window{kT0 - 24h, kT0};
    // The crash first, in a batch of its own; then the start, twice (a retry
    // with another eventId), and in a later batch another start of the session.
    append(store(), {crash("install-0001", "s-1", kT0 - 50min), event("install-0009", std::nullopt, "x", kT0 - 1h)});
    append(store(),
           {in_session(start("install-0001", std::nullopt, Platform::Android, 210, kT0 - 1h), "s-1"),
            in_session(start("install-0001", std::nullopt, Platform::Android, 210, kT0 - 1h), "s-1"),
            in_session(start("install-0002", "user-2", Platform::Android, 210, kT0 - 2h), "s-1")});
    append(store(),
           {in_session(start("install-0001", std::nullopt, Platform::Android, 210, kT0 - 30min), "s-1"),
            crash("install-0002", "s-1", kT0 - 90min),
            crash("install-0002", "s-1", kT0 - 80min)});
    auto r = store().count_release_health(Platform::Android, 210, window);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(tie(r->version), std::make_tuple(2, 2, 2, 2));
    // A crash-only session (its start never came) is no session.
    append(store(), {crash("install-0003", "s-7", kT0 - 10min)});
    auto again = store().count_release_health(Platform::Android, 210, window);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(tie(again->version), std::make_tuple(2, 2, 2, 2));
}

TEST_P(EventStoreContract, ReleaseHealthControlIsTheHighestLowerCodeWithSessionsInTheWindow) {
    const telemetry::TimeRange window{kT0 - 24h, kT0};
    append(store(),
           {in_session(start("install-0001", std::nullopt, Platform::Android, 190, kT0 - 2h), "s-1"),
            in_session(start("install-0002", std::nullopt, Platform::Android, 200, kT0 - 2h), "s-1"),
            in_session(start("install-0003", std::nullopt, Platform::Android, 200, kT0 - 3h), "s-1"),
            in_session(start("install-0004", std::nullopt, Platform::Android, 205, kT0 - 30h), "s-1"),  // outside
            in_session(start("install-0005", std::nullopt, Platform::Ios, 209, kT0 - 1h), "s-1"),      // other platform
            start("install-0006", std::nullopt, Platform::Android, std::nullopt, kT0 - 1h),            // no code
            in_session(start("install-0007", std::nullopt, Platform::Android, 220, kT0 - 1h), "s-1"),  // above
            crash("install-0003", "s-1", kT0 - 1h)});
    auto r = store().count_release_health(Platform::Android, 210, window);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(tie(r->version), std::make_tuple(0, 0, 0, 0));
    ASSERT_TRUE(r->control.has_value());
    EXPECT_EQ(r->control->code, 200);
    EXPECT_EQ(tie(r->control->counts), std::make_tuple(2, 1, 2, 1));
    auto lowest = store().count_release_health(Platform::Android, 190, window);
    ASSERT_TRUE(lowest.ok());
    EXPECT_FALSE(lowest->control.has_value());
}

}  // namespace
}  // namespace beacon::contract
