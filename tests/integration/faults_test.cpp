// Fault tests (issue 3): PostgreSQL and Redis go away and come back while a
// client keeps sending event batches and heartbeats to a production-mode
// beacon. The contract (API.md, docs/ARCHITECTURE.md "Backends going away"):
//  - a request that needs the missing backend answers 503 `unavailable` with
//    Retry-After, within seconds (never a hang, never a 500, never a crash);
//    requests that do not need it go on answering 200;
//  - /readyz is 503 and names the backend that is down (the other is "ok");
//  - the service recovers by itself when the backend returns;
//  - every event acknowledged with 200 is in the database afterwards, and a
//    batch that got 503 is stored entirely or not at all.
//
// The suite starts its own PostgreSQL and Redis with tools/test-services
// (never the shared peers of tools/run-tests.sh, which other suites use in
// parallel) and skips when their server binaries are not installed. Every
// bound below is a liveness bound, generous for ASan on a busy 2-core machine.

#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "integration/e2e.hpp"
#include "integration/test_peer.hpp"
#include "support/production_backends.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;
using test::pg_exec;
using test::with_database;

// No single request may take longer than this, outage or not.
constexpr auto kRequestBound = 10s;

std::int64_t ms_between(SteadyClock::time_point a, SteadyClock::time_point b) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(b - a).count();
}

// ---- PostgreSQL administration (directly, not through beacon) ----

// The stored event_id of every event of `install_id`, with how many rows
// carry it; nullopt (and a test failure) when the query fails.
std::optional<std::map<std::string, int>> stored_event_ids(const std::string& url, const std::string& install_id) {
    PGconn* conn = PQconnectdb(url.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
        ADD_FAILURE() << "connect: " << PQerrorMessage(conn);
        PQfinish(conn);
        return std::nullopt;
    }
    const char* params[] = {install_id.c_str()};
    PGresult* r = PQexecParams(conn,
                               "SELECT event_id, count(*) FROM telemetry_events WHERE install_id = $1 GROUP BY 1",
                               1,
                               nullptr,
                               params,
                               nullptr,
                               nullptr,
                               0);
    std::optional<std::map<std::string, int>> out;
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        ADD_FAILURE() << "listing stored events: " << PQresultErrorMessage(r);
    } else {
        out.emplace();
        for (int i = 0; i < PQntuples(r); ++i) {
            (*out)[PQgetvalue(r, i, 0)] = std::atoi(PQgetvalue(r, i, 1));
        }
    }
    PQclear(r);
    PQfinish(conn);
    return out;
}

// ---- what the client saw ----

// Empty when `r` is an acceptable answer to a request that needs a missing
// backend: 503, problem type `unavailable`, a Retry-After of whole seconds.
std::string unavailable_fault(const HttpResponse& r) {
    if (auto problem = IsProblem(r, 503, "unavailable"); !problem) {
        return problem.message();
    }
    auto retry = r.header("Retry-After");
    if (!retry || retry->empty() || retry->find_first_not_of("0123456789") != std::string::npos ||
        std::stoll(*retry) <= 0) {
        return "503 without a positive Retry-After (seconds)\n" + r.describe();
    }
    return {};
}

enum class Route { Events, Heartbeat };

struct Answer {
    Route route;
    SteadyClock::time_point sent;
    SteadyClock::time_point answered;
    int status = 0;
    std::vector<std::string> event_ids;  // the batch's eventIds (events only)
    std::string fault;                   // empty unless the answer broke the contract
};

// A client sending event batches from a few threads at once (one fixed
// installId, unique eventIds, some app_session_start so the DAU estimate is
// written too; concurrent batches share group commits) and heartbeats from
// another (cycling over a few actors), continuously until stopped; bounded
// in requests and in time. Records every answer.
class ClientLoad {
public:
    static constexpr int kEventThreads = 3;
    static constexpr int kEventsPerBatch = 5;
    static constexpr int kMaxRequests = 20000;  // per thread
    static constexpr auto kMaxRun = 240s;
    static constexpr auto kPause = 20ms;  // between requests of one thread

    ClientLoad(std::uint16_t port, std::string install_id, std::vector<std::string> actors)
        : port_(port), install_id_(std::move(install_id)), actors_(std::move(actors)) {}
    ~ClientLoad() { stop(); }

    void start() {
        for (int t = 0; t < kEventThreads; ++t) {
            threads_.emplace_back([this, t] { events_loop(t); });
        }
        threads_.emplace_back([this] { heartbeat_loop(); });
    }
    void stop() {
        stop_ = true;
        for (auto& t : threads_) {
            if (t.joinable()) {
                t.join();
            }
        }
    }

    const std::string& install_id() const { return install_id_; }
    std::int64_t actor_count() const { return static_cast<std::int64_t>(actors_.size()); }

    // Answers of `route` with `status` to requests sent at or after `since`.
    int count(Route route, int status, SteadyClock::time_point since = {}) const {
        std::lock_guard lock(mu_);
        int n = 0;
        for (const auto& a : answers_) {
            n += a.route == route && a.status == status && a.sent >= since ? 1 : 0;
        }
        return n;
    }
    // Polls count() until it reaches `n` or `limit` passes.
    bool wait_for(Route route, int status, int n, SteadyClock::time_point since, std::chrono::seconds limit) const {
        auto end = SteadyClock::now() + limit;
        while (count(route, status, since) < n) {
            if (SteadyClock::now() >= end || stop_) {
                return false;
            }
            std::this_thread::sleep_for(50ms);
        }
        return true;
    }
    std::vector<Answer> answers() const {
        std::lock_guard lock(mu_);
        return answers_;
    }
    // The slowest answer of `route`, in ms (for the summary line).
    std::int64_t slowest_ms(Route route) const {
        std::lock_guard lock(mu_);
        std::int64_t out = 0;
        for (const auto& a : answers_) {
            out = a.route == route ? std::max(out, ms_between(a.sent, a.answered)) : out;
        }
        return out;
    }

private:
    template <typename Send>
    void loop(Send send) {
        const auto end = SteadyClock::now() + kMaxRun;
        HttpClient client(port_);
        for (int i = 0; i < kMaxRequests && !stop_ && SteadyClock::now() < end; ++i) {
            Answer a = send(client, i);
            if (a.fault.empty() && a.answered - a.sent > kRequestBound) {
                a.fault = "answered after " + std::to_string(ms_between(a.sent, a.answered)) + " ms";
            }
            {
                std::lock_guard lock(mu_);
                answers_.push_back(std::move(a));
            }
            std::this_thread::sleep_for(kPause);
        }
    }

    void events_loop(int thread) {
        loop([this, thread](HttpClient& c, int i) {
            Answer a{Route::Events, SteadyClock::now(), {}, 0, {}, {}};
            json::array events;
            for (int k = 0; k < kEventsPerBatch; ++k) {
                std::string id = "e-" + std::to_string(thread) + "-" + std::to_string(i) + "-" + std::to_string(k);
                a.event_ids.push_back(id);
                events.push_back(json::object{{"eventId", id},
                                              {"eventName", k == 0 ? "app_session_start" : "fault_probe"},
                                              {"properties", json::object{{"batch", i}}}});
            }
            auto r = post_events(c, {{"installId", install_id_}, {"platform", "android"}}, events);
            a.answered = SteadyClock::now();
            a.status = r.status;
            if (r.status == 200) {
                auto body = r.json();
                if (!body.is_object() || body.as_object().if_contains("accepted") == nullptr ||
                    body.at("accepted") != json::value(kEventsPerBatch) || body.at("duplicates") != json::value(0)) {
                    a.fault = "200 without all events accepted\n" + r.describe();
                }
            } else if (r.status == 503) {
                a.fault = unavailable_fault(r);
            } else {
                a.fault = "unexpected answer to POST /telemetry/events\n" + r.describe();
            }
            return a;
        });
    }

    void heartbeat_loop() {
        loop([this](HttpClient& c, int i) {
            Answer a{Route::Heartbeat, SteadyClock::now(), {}, 0, {}, {}};
            auto r = heartbeat(
                c, {{"installId", actors_[static_cast<std::size_t>(i) % actors_.size()]}, {"platform", "ios"}});
            a.answered = SteadyClock::now();
            a.status = r.status;
            if (r.status == 503) {
                a.fault = unavailable_fault(r);
            } else if (r.status != 200) {
                a.fault = "unexpected answer to POST /telemetry/heartbeat\n" + r.describe();
            }
            return a;
        });
    }

    const std::uint16_t port_;
    const std::string install_id_;
    const std::vector<std::string> actors_;
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::vector<Answer> answers_;
    std::vector<std::thread> threads_;
};

// One request from the test thread, which must answer within kRequestBound.
template <typename F>
HttpResponse timed(F request) {
    auto t0 = SteadyClock::now();
    HttpResponse r = request();
    auto took = SteadyClock::now() - t0;
    EXPECT_LE(took, kRequestBound) << "a request took " << ms_between(t0, t0 + took) << " ms";
    return r;
}

// Polls `pred` every 200 ms until it is true or `limit` passes.
template <typename F>
bool within(std::chrono::seconds limit, F pred) {
    auto end = SteadyClock::now() + limit;
    for (;;) {
        if (pred()) {
            return true;
        }
        if (SteadyClock::now() >= end) {
            return false;
        }
        std::this_thread::sleep_for(200ms);
    }
}

// ---- the fixture ----

class FaultsTest : public E2eTest {
protected:
    static void SetUpTestSuite() {
        if (production_mode()) {
            // Their peers are their own either way: once is enough.
            skip_reason_ = "they run in the embedded registration of the suite only";
            return;
        }
        for (auto kind : {TestPeer::Kind::Postgres, TestPeer::Kind::Redis}) {
            if (auto why = TestPeer::unavailable_reason(kind); !why.empty()) {
                skip_reason_ = why;
                return;
            }
        }
        dir_ = std::make_unique<test::TempDir>();
        // PostgreSQL runs as its own user (postgres.sh) and must reach its dir.
        ::chmod(dir_->path().c_str(), 0755);
        pg_ = std::make_unique<TestPeer>(TestPeer::Kind::Postgres, dir_->path() / "postgres");
        redis_ = std::make_unique<TestPeer>(TestPeer::Kind::Redis, dir_->path() / "redis");
        setup_error_ = pg_->start();
        if (setup_error_.empty()) {
            setup_error_ = redis_->start();
        }
    }

    static void TearDownTestSuite() {
        redis_.reset();
        pg_.reset();
        dir_.reset();
    }

    void SetUp() override {
        if (!skip_reason_.empty()) {
            GTEST_SKIP() << "fault tests need their own peers: " << skip_reason_;
        }
        ASSERT_TRUE(setup_error_.empty()) << setup_error_;
        // An earlier test that failed half-way may have left a peer away.
        for (TestPeer* p : {pg_.get(), redis_.get()}) {
            if (p->frozen()) {
                auto err = p->thaw();
                ASSERT_TRUE(err.empty()) << err;
            }
            if (!p->running()) {
                auto err = p->resume();
                ASSERT_TRUE(err.empty()) << err;
            }
        }
        std::mt19937_64 rng{std::random_device{}()};
        db_name_ = "beacon_faults_" + std::to_string(rng() % 1'000'000'000'000ULL);
        auto err = pg_exec(pg_->url(), "CREATE DATABASE " + db_name_);
        ASSERT_TRUE(err.empty()) << err;
        created_ = true;
        static int redis_db = 0;
        redis_db = redis_db % 15 + 1;
        env_ = {{"BEACON_DATABASE_URL", with_database(pg_->url(), db_name_)},
                {"BEACON_REDIS_URL", redis_->url() + "/" + std::to_string(redis_db)},
                {"BEACON_JWT_SECRET", kSecret}};
    }

    void TearDown() override {
        // A hung peer first comes back, so beacon can stop normally.
        for (TestPeer* p : {pg_.get(), redis_.get()}) {
            if (p != nullptr && p->frozen()) {
                EXPECT_EQ(p->thaw(), "");
            }
        }
        E2eTest::TearDown();  // stops beacon (exit status 0 and no sanitizer report checked there)
        if (HasFailure()) {
            for (TestPeer* p : {pg_.get(), redis_.get()}) {
                if (p != nullptr) {
                    std::cout << p->logs() << std::endl;
                }
            }
        }
        if (created_) {
            if (!pg_->running()) {
                (void)pg_->resume();
            }
            auto err = pg_exec(pg_->url(), "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
            EXPECT_TRUE(err.empty()) << err;
        }
    }

    enum class Outage { Stop, Freeze };

    static std::string take_away(TestPeer& p, Outage how) { return how == Outage::Stop ? p.stop() : p.freeze(); }
    static std::string bring_back(TestPeer& p, Outage how) { return how == Outage::Stop ? p.resume() : p.thaw(); }

    void postgres_outage(Outage how);
    void redis_outage(Outage how);

    Server& start_beacon() {
        auto& s = dedicated({"--storage-url", "file:" + (work_.path() / "artifacts").string()}, env_);
        s.name = "production (PostgreSQL + Redis)";
        return s;
    }

    std::string database_url() const { return env_.at("BEACON_DATABASE_URL"); }

    // Contract faults among the answers (each printed once, at most 10).
    static void expect_no_faults(const std::vector<Answer>& answers) {
        int faults = 0;
        for (const auto& a : answers) {
            if (!a.fault.empty() && ++faults <= 10) {
                ADD_FAILURE() << (a.route == Route::Events ? "events" : "heartbeat") << " request: " << a.fault;
            }
        }
        EXPECT_EQ(faults, 0) << "requests that broke the contract, of " << answers.size();
    }

    // Every event acknowledged with 200 is stored exactly once; a batch that
    // got 503 is stored entirely or not at all.
    void expect_acknowledged_events_stored(const ClientLoad& load) {
        auto stored = stored_event_ids(database_url(), load.install_id());
        ASSERT_TRUE(stored.has_value());
        int acknowledged = 0, missing = 0, partial = 0;
        for (const auto& a : load.answers()) {
            if (a.route != Route::Events) {
                continue;
            }
            int present = 0;
            for (const auto& id : a.event_ids) {
                auto it = stored->find(id);
                present += it != stored->end() ? 1 : 0;
                EXPECT_TRUE(it == stored->end() || it->second == 1) << "event " << id << " stored twice";
            }
            if (a.status == 200) {
                acknowledged += present;
                missing += static_cast<int>(a.event_ids.size()) - present;
            } else if (a.status == 503 && present != 0 && present != static_cast<int>(a.event_ids.size())) {
                ++partial;
            }
        }
        EXPECT_EQ(missing, 0) << "events acknowledged with 200 but not in the database";
        EXPECT_EQ(partial, 0) << "batches answered 503 but half-stored";
        EXPECT_GT(acknowledged, 0);
        std::cout << "[ faults ] " << acknowledged << " acknowledged events all stored; " << stored->size()
                  << " stored in all" << std::endl;
    }

    // GET /readyz until it is `want_status` with `down` reported down and the
    // other backends ok (an empty `down`: everything ok); the last body.
    json::object wait_ready_state(Server& s, int want_status, const std::string& down, std::chrono::seconds limit) {
        HttpClient c = s.client();
        json::object last;
        bool matched = within(limit, [&] {
            auto r = timed([&] { return c.get("/readyz"); });
            if (r.status != want_status) {
                return false;
            }
            auto body = r.json();
            if (!body.is_object() || !body.as_object().contains("checks")) {
                return false;
            }
            last = body.as_object();
            for (const auto& [name, value] : last.at("checks").as_object()) {
                bool is_down = value.is_string() && value.as_string().starts_with("down");
                bool is_ok = value == json::value("ok");
                if ((name == down && !is_down) || (name != down && !is_ok)) {
                    return false;
                }
            }
            return last.at("status") == json::value(want_status == 200 ? "ready" : "unavailable");
        });
        EXPECT_TRUE(matched) << "/readyz never became " << want_status << " with '" << down
                             << "' down; last: " << json::serialize(last);
        return last;
    }

    static std::vector<std::string> actors(int n) {
        std::vector<std::string> out;
        for (int i = 0; i < n; ++i) {
            out.push_back(uid("fa"));
        }
        return out;
    }

    static inline std::string skip_reason_;
    static inline std::string setup_error_;
    static inline std::unique_ptr<test::TempDir> dir_;
    static inline std::unique_ptr<TestPeer> pg_;
    static inline std::unique_ptr<TestPeer> redis_;

    test::TempDir work_;
    std::string db_name_;
    bool created_ = false;
    std::map<std::string, std::string> env_;
};

// Without PostgreSQL: events and admin reads 503, heartbeats and the online
// count go on; afterwards every acknowledged event is stored.
void FaultsTest::postgres_outage(Outage how) {
    Server& s = start_beacon();
    ClientLoad load(s.port(), uid("fpg"), actors(4));
    load.start();
    ASSERT_TRUE(load.wait_for(Route::Events, 200, 5, {}, 60s)) << "no events stored before the outage";
    ASSERT_TRUE(load.wait_for(Route::Heartbeat, 200, 5, {}, 60s));
    HttpClient c = s.client();
    EXPECT_EQ(timed([&] { return c.get("/app/version/check?platform=android&current_version_code=1"); }).status, 200);

    auto down_at = SteadyClock::now();
    ASSERT_EQ(take_away(*pg_, how), "");
    auto gone_at = SteadyClock::now();
    EXPECT_TRUE(load.wait_for(Route::Events, 503, 3, gone_at, 30s)) << "events never answered 503";
    auto ready = wait_ready_state(s, 503, "database", 30s);
    EXPECT_TRUE(
        IsProblem(timed([&] { return c.get("/admin/telemetry/events?limit=5", admin()); }), 503, "unavailable"));
    EXPECT_TRUE(IsProblem(timed([&] { return c.get("/admin/jobs", admin()); }), 503, "unavailable"));
    EXPECT_TRUE(
        IsProblem(timed([&] { return c.post("/admin/jobs/rolling-dau/run", "", admin()); }), 503, "unavailable"));
    EXPECT_TRUE(IsProblem(timed([&] { return c.get("/admin/versions", admin()); }), 503, "unavailable"));
    // Every one of those 503s, job and release routes too, is counted by the backend that failed.
    EXPECT_NE(c.get("/metrics").body.find("beacon_backend_errors_total{backend=\"database\"} "), std::string::npos);
    // Heartbeats, the online count and the update check do not need it.
    EXPECT_TRUE(load.wait_for(Route::Heartbeat, 200, 3, gone_at, 30s)) << "heartbeats stopped with PostgreSQL";
    EXPECT_EQ(timed([&] { return c.get("/telemetry/online"); }).status, 200);
    EXPECT_EQ(timed([&] { return c.get("/app/version/check?platform=android&current_version_code=1"); }).status, 200);
    // Keep it away a while, so the client meets the outage many times.
    std::this_thread::sleep_until(down_at + 8s);
    EXPECT_EQ(load.count(Route::Events, 200, gone_at), 0) << "events acknowledged while PostgreSQL was away";

    // Back: the service recovers by itself.
    ASSERT_EQ(bring_back(*pg_, how), "");
    auto back_at = SteadyClock::now();
    EXPECT_TRUE(load.wait_for(Route::Events, 200, 5, back_at, 60s)) << "events did not recover";
    wait_ready_state(s, 200, "", 60s);
    EXPECT_TRUE(load.wait_for(Route::Events, 200, 10, back_at, 60s));
    load.stop();

    auto after = ok_object(timed([&] { return c.post("/admin/jobs/online-snapshot/run", "", admin()); }));
    EXPECT_TRUE(after.contains("result")) << json::serialize(after);
    EXPECT_EQ(timed([&] { return c.get("/admin/jobs", admin()); }).status, 200);
    auto listed = ok_object(
        timed([&] { return c.get("/admin/telemetry/events?limit=1&installId=" + load.install_id(), admin()); }));
    EXPECT_TRUE(listed.contains("events") && listed.at("events").as_array().size() == 1) << json::serialize(listed);

    expect_no_faults(load.answers());
    expect_acknowledged_events_stored(load);
    std::cout << "[ faults ] events 200/503: " << load.count(Route::Events, 200) << "/"
              << load.count(Route::Events, 503) << ", heartbeats 200/503: " << load.count(Route::Heartbeat, 200) << "/"
              << load.count(Route::Heartbeat, 503) << "; slowest events/heartbeat: " << load.slowest_ms(Route::Events)
              << "/" << load.slowest_ms(Route::Heartbeat) << " ms; /readyz while away: " << json::serialize(ready)
              << std::endl;
}

// Without Redis: heartbeats, the online count and realtime 503, events go on;
// afterwards the online count is right again.
void FaultsTest::redis_outage(Outage how) {
    Server& s = start_beacon();
    ClientLoad load(s.port(), uid("frd"), actors(4));
    load.start();
    ASSERT_TRUE(load.wait_for(Route::Heartbeat, 200, 8, {}, 60s)) << "no heartbeats before the outage";
    ASSERT_TRUE(load.wait_for(Route::Events, 200, 5, {}, 60s));
    HttpClient c = s.client();
    EXPECT_TRUE(within(15s, [&] {
        auto r = c.get("/telemetry/online");
        return r.status == 200 && r.json().at("online") == json::value(load.actor_count());
    })) << "online count before the outage";

    auto down_at = SteadyClock::now();
    ASSERT_EQ(take_away(*redis_, how), "");
    auto gone_at = SteadyClock::now();
    EXPECT_TRUE(load.wait_for(Route::Heartbeat, 503, 3, gone_at, 30s)) << "heartbeats never answered 503";
    auto ready = wait_ready_state(s, 503, "presence", 30s);
    // The online count may come from a cache for 1 s, then it needs Redis.
    EXPECT_TRUE(within(15s, [&] {
        return IsProblem(timed([&] { return c.get("/telemetry/online"); }), 503, "unavailable");
    })) << "/telemetry/online did not answer 503 without Redis";
    EXPECT_EQ(unavailable_fault(timed([&] { return c.get("/telemetry/online"); })), "");
    EXPECT_TRUE(IsProblem(timed([&] { return c.get("/admin/telemetry/realtime", admin()); }), 503, "unavailable"));
    EXPECT_NE(c.get("/metrics").body.find("beacon_backend_errors_total{backend=\"presence\"} "), std::string::npos);
    // Events need PostgreSQL only (the DAU estimate is best effort).
    EXPECT_TRUE(load.wait_for(Route::Events, 200, 3, gone_at, 30s)) << "events stopped with Redis";
    std::this_thread::sleep_until(down_at + 8s);
    EXPECT_EQ(load.count(Route::Heartbeat, 200, gone_at), 0) << "heartbeats acknowledged while Redis was away";

    // Back (after a stop: empty, no persistence): heartbeats fill it again.
    ASSERT_EQ(bring_back(*redis_, how), "");
    auto back_at = SteadyClock::now();
    EXPECT_TRUE(load.wait_for(Route::Heartbeat, 200, 8, back_at, 60s)) << "heartbeats did not recover";
    wait_ready_state(s, 200, "", 60s);
    EXPECT_TRUE(within(30s, [&] {
        auto r = timed([&] { return c.get("/telemetry/online"); });
        return r.status == 200 && r.json().at("online") == json::value(load.actor_count());
    })) << "the online count did not come back";
    load.stop();

    EXPECT_EQ(timed([&] { return c.get("/admin/telemetry/realtime", admin()); }).status, 200);
    auto snap = ok_object(timed([&] { return c.post("/admin/jobs/online-snapshot/run", "", admin()); }));
    ASSERT_TRUE(snap.contains("result")) << json::serialize(snap);
    EXPECT_EQ(snap.at("result").at("online"), json::value(load.actor_count())) << json::serialize(snap);

    expect_no_faults(load.answers());
    expect_acknowledged_events_stored(load);
    std::cout << "[ faults ] heartbeats 200/503: " << load.count(Route::Heartbeat, 200) << "/"
              << load.count(Route::Heartbeat, 503) << ", events 200/503: " << load.count(Route::Events, 200) << "/"
              << load.count(Route::Events, 503) << "; slowest heartbeat/events: " << load.slowest_ms(Route::Heartbeat)
              << "/" << load.slowest_ms(Route::Events) << " ms; /readyz while away: " << json::serialize(ready)
              << std::endl;
}

// A clean stop: connections are closed and refused until it returns.
TEST_F(FaultsTest, PostgresStopsAndReturnsWhileClientSends) {
    postgres_outage(Outage::Stop);
}
TEST_F(FaultsTest, RedisStopsAndReturnsWhileClientSends) {
    redis_outage(Outage::Stop);
}

// A server that hangs (SIGSTOP): connections open but nothing answers, so
// only timeouts end the calls.
TEST_F(FaultsTest, PostgresHangsAndRecoversWhileClientSends) {
    postgres_outage(Outage::Freeze);
}
TEST_F(FaultsTest, RedisHangsAndRecoversWhileClientSends) {
    redis_outage(Outage::Freeze);
}

}  // namespace
}  // namespace beacon::e2e
