// Two replicas in production mode (PostgreSQL + Redis) behind no load
// balancer: whatever one replica writes, the other must answer with.
// These run in the production registration of the suite only (they need
// BEACON_TEST_PG_URL and BEACON_TEST_REDIS_URL; tools/run-tests.sh starts
// both). Each test gets its own database and Redis key prefix
// (support/production_backends.hpp), shared by its two replicas.

#include <signal.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <chrono>
#include <thread>

#include "integration/releases_e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class ReplicasTest : public ReleasesTest {
protected:
    void SetUp() override {
        if (!production_mode()) {
            GTEST_SKIP() << "replicas share PostgreSQL and Redis: this runs in the production registration";
        }
        ReleasesTest::SetUp();
        if (IsSkipped()) {
            return;
        }
        std::string error;
        backends_ = test::ProductionBackends::create(*test::production_peers_from_env(), "beacon_rep", &error);
        ASSERT_TRUE(backends_ != nullptr) << error;
        env_ = backends_->env();
        env_["BEACON_JWT_SECRET"] = kSecret;
    }

    void TearDown() override {
        E2eTest::TearDown();  // stops the replicas first
        backends_.reset();    // then drops their database and keys
    }

    // Starts A then B (B after A has migrated the fresh database), both on
    // the same database, Redis keys and artifact directory.
    std::pair<Server*, Server*> replicas() {
        std::vector<std::string> args{"--storage-url", "file:" + (work_.path() / "artifacts").string()};
        auto& a = dedicated(args, env_);
        a.name = "replica A";
        auto& b = dedicated(args, env_);
        b.name = "replica B";
        return {&a, &b};
    }

    std::unique_ptr<test::ProductionBackends> backends_;
    std::map<std::string, std::string> env_;
};

// Polls `pred` every 100 ms until it is true or `limit` passes.
template <class F>
bool within(std::chrono::milliseconds limit, F pred) {
    auto end = std::chrono::steady_clock::now() + limit;
    for (;;) {
        if (pred()) {
            return true;
        }
        if (std::chrono::steady_clock::now() >= end) {
            return false;
        }
        std::this_thread::sleep_for(100ms);
    }
}

TEST_F(ReplicasTest, OnlineCountIsGlobal) {
    auto [a, b] = replicas();
    auto ca = a->client(), cb = b->client();
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(heartbeat(ca, {{"installId", uid("ra")}}).status, 200);
    }
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(heartbeat(cb, {{"installId", uid("rb")}}).status, 200);
    }
    EXPECT_EQ(wait_online(ca, 5, 3s), 5) << "A counts B's heartbeats too";
    EXPECT_EQ(wait_online(cb, 5, 3s), 5) << "B counts A's heartbeats too";
}

// The per-minute snapshot is claimed in the shared database, so two
// replicas write one row per scheduled minute. Manual runs claim no tick:
// each that runs inserts a row stamped with the current minute; but a job
// never runs twice at once, so of two manual runs that overlap one is a 409.
// The claim rule is checked on the first scheduled minute after both
// replicas are up: exactly 1 sample. Events and exact DAU written through A
// are visible through B.
TEST_F(ReplicasTest, OneSnapshotPerMinuteAcrossReplicas) {
    avoid_day_boundary();
    auto [a, b] = replicas();
    auto ca = a->client(), cb = b->client();

    // Manual runs on both at once.
    HttpResponse ra, rb;
    {
        std::jthread ta([&] { ra = HttpClient(a->port()).post("/admin/jobs/online-snapshot/run", "", admin()); });
        std::jthread tb([&] { rb = HttpClient(b->port()).post("/admin/jobs/online-snapshot/run", "", admin()); });
    }
    EXPECT_TRUE(ra.status == 200 || IsProblem(ra, 409, "conflict")) << ra.describe();
    EXPECT_TRUE(rb.status == 200 || IsProblem(rb, 409, "conflict")) << rb.describe();
    ASSERT_TRUE(ra.status == 200 || rb.status == 200) << "at least one manual run ran";
    auto manual_minute = [](const HttpResponse& r) {
        return r.status == 200 ? std::string(ok_object(r).at("result").at("at").as_string()) : std::string();
    };
    std::string manual_at = manual_minute(ra.status == 200 ? ra : rb);
    std::string manual_at_b = manual_minute(ra.status == 200 ? rb : ra);  // empty when refused

    // Events posted to A are listed by B.
    auto now = now_ms();
    std::string yesterday = day_of(now - kDayMs);
    std::int64_t yesterday_noon = utc_midnight(now) - kDayMs + 12 * kHourMs;
    std::string i1 = uid("rev"), i2 = uid("rev");
    auto acc = ok_object(post_events(
        ca,
        {{"platform", "android"}},
        json::array{{{"installId", i1}, {"eventName", "app_session_start"}, {"timestamp", yesterday_noon}},
                    {{"installId", i2}, {"eventName", "app_session_start"}, {"timestamp", yesterday_noon + 1000}},
                    {{"installId", i1}, {"eventName", "purchase"}, {"timestamp", yesterday_noon + 2000}}}));
    EXPECT_EQ(acc.at("accepted").as_int64(), 3);
    EXPECT_EQ(list_all_events(cb, "installId=" + i1).size(), 2u);
    EXPECT_EQ(list_all_events(cb, "installId=" + i2).size(), 1u);

    // A nightly-dau run on A is exact on B.
    auto night = ok_object(ca.post("/admin/jobs/nightly-dau/run?day=" + yesterday, "", admin()));
    ASSERT_FALSE(night.empty());
    EXPECT_EQ(night.at("result").at("dau").as_int64(), 2);
    auto dau = ok_object(cb.get("/admin/telemetry/dau?from=" + yesterday + "&to=" + yesterday, admin()));
    ASSERT_EQ(dau.at("days").as_array().size(), 1u) << json::serialize(dau);
    auto d = dau.at("days").as_array()[0].as_object();
    EXPECT_EQ(d.at("dau").as_int64(), 2);
    EXPECT_EQ(d.at("exact"), true);
    EXPECT_EQ(d.at("byPlatform"), (json::object{{"android", 2}}));

    // Samples per 1m bucket, as seen by `c`.
    auto samples_at = [&](HttpClient& c, const std::string& at) -> std::int64_t {
        auto t = now_ms();
        auto h = ok_object(c.get("/admin/telemetry/online/history?interval=1m&from=" + qenc(iso(t - 5 * kMinuteMs)) +
                                     "&to=" + qenc(iso(t + kMinuteMs)),
                                 admin()));
        if (!h.contains("points")) {
            return -1;
        }
        for (const auto& p : h.at("points").as_array()) {
            if (p.at("at").as_string() == at) {
                return p.at("samples").as_int64();
            }
        }
        return 0;
    };
    // Each manual run that ran inserted a row (plus, if a scheduled tick fell
    // into this same minute while both were up, at most one more).
    {
        std::int64_t ran = manual_at == manual_at_b ? 2 : 1;
        auto n = samples_at(cb, manual_at);
        EXPECT_GE(n, ran) << "each manual run that ran inserts a row";
        EXPECT_LE(n, ran + 1);
    }

    // The next scheduled minute, with both replicas running: exactly one row.
    // Find the minute after the manual one and wait for its tick.
    std::int64_t manual_ms = 0;
    {
        // manual_at is "YYYY-MM-DDTHH:MM:00.000Z"; find its epoch by scanning
        // the minutes around now.
        auto base = (now_ms() / kMinuteMs) * kMinuteMs;
        for (std::int64_t m = base - 3 * kMinuteMs; m <= base + kMinuteMs; m += kMinuteMs) {
            if (iso(m) == manual_at) {
                manual_ms = m;
            }
        }
    }
    ASSERT_NE(manual_ms, 0) << manual_at;
    std::string next = iso(manual_ms + kMinuteMs);
    auto wait = manual_ms + kMinuteMs - now_ms();
    if (wait > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(wait));
    }
    EXPECT_TRUE(within(15s, [&] { return samples_at(ca, next) >= 1; })) << "no scheduled snapshot at " << next;
    std::this_thread::sleep_for(3s);  // the losing replica, had it not lost, would have written by now
    EXPECT_EQ(samples_at(ca, next), 1) << "one scheduled snapshot per minute across replicas at " << next;
    EXPECT_EQ(samples_at(cb, next), 1);
}

// An open transaction that holds telemetry_events locked (ACCESS EXCLUSIVE),
// so a nightly-dau run, which reads it, waits inside its run (up to the
// replicas' 5 s lock_timeout) for as long as the test wants.
class EventsTableLock {
public:
    explicit EventsTableLock(const std::string& url) : conn_(PQconnectdb(url.c_str())) {
        if (PQstatus(conn_) != CONNECTION_OK) {
            error_ = std::string("connect: ") + PQerrorMessage(conn_);
            return;
        }
        PGresult* r = PQexec(conn_, "BEGIN; LOCK TABLE telemetry_events IN ACCESS EXCLUSIVE MODE");
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            error_ = PQresultErrorMessage(r);
        }
        PQclear(r);
    }
    ~EventsTableLock() { PQfinish(conn_); }
    EventsTableLock(const EventsTableLock&) = delete;
    EventsTableLock& operator=(const EventsTableLock&) = delete;

    const std::string& error() const { return error_; }
    void release() { PQclear(PQexec(conn_, "ROLLBACK")); }
    // True once a session is waiting for the lock on behalf of the
    // nightly-dau count (so that run is inside its run claim).
    bool nightly_count_waiting() {
        PGresult* r = PQexec(conn_,
                             "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                             " AND query LIKE '%app_session_start%' AND pid <> pg_backend_pid()");
        bool waiting =
            PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 && std::string(PQgetvalue(r, 0, 0)) != "0";
        PQclear(r);
        return waiting;
    }

private:
    PGconn* conn_;
    std::string error_;
};

// A manual run on A holds the job's cluster-wide run claim for its whole
// length: a manual run of the same job on B is a 409 meanwhile, another job
// is not held up, and once A's run ends B may run it. Deterministic: the
// test keeps A's run going by locking the table it reads.
TEST_F(ReplicasTest, ManualRunIsRefusedWhileAnotherReplicaRunsTheJob) {
    auto [a, b] = replicas();
    auto cb = b->client();
    EventsTableLock lock(backends_->database_url());
    ASSERT_TRUE(lock.error().empty()) << lock.error();

    HttpResponse ra;
    std::jthread run_on_a([&] { ra = HttpClient(a->port()).post("/admin/jobs/nightly-dau/run", "", admin()); });
    ASSERT_TRUE(within(4s, [&] { return lock.nightly_count_waiting(); })) << "A's nightly-dau run never started";

    EXPECT_TRUE(IsProblem(cb.post("/admin/jobs/nightly-dau/run", "", admin()), 409, "conflict"))
        << "B must not run nightly-dau while A runs it";
    EXPECT_TRUE(IsProblem(HttpClient(a->port()).post("/admin/jobs/nightly-dau/run", "", admin()), 409, "conflict"))
        << "nor A a second time";
    EXPECT_EQ(cb.post("/admin/jobs/online-snapshot/run", "", admin()).status, 200) << "other jobs run";
    // Validation comes before the conflict (API.md, order of checks): a bad
    // ?day= is a 400 on `day`, not the 409 of the claim held by A.
    const std::string tomorrow = day_of(now_ms() + kDayMs);
    EXPECT_TRUE(
        IsProblem(cb.post("/admin/jobs/nightly-dau/run?day=" + tomorrow, "", admin()), 400, "validation", "day"))
        << "B, while A holds the claim";
    EXPECT_TRUE(IsProblem(HttpClient(a->port()).post("/admin/jobs/nightly-dau/run?day=" + tomorrow, "", admin()),
                          400,
                          "validation",
                          "day"))
        << "A, while it runs the job itself";

    lock.release();
    run_on_a.join();
    EXPECT_EQ(ra.status, 200) << ra.describe();
    auto after = cb.post("/admin/jobs/nightly-dau/run", "", admin());
    EXPECT_EQ(after.status, 200) << "free once A's run ended: " << after.describe();
}

// A replica killed in the middle of a run (SIGKILL: nothing is cleaned up)
// does not block the job: its database sessions end with the process, and
// the run claim with them.
TEST_F(ReplicasTest, RunClaimOfAKilledReplicaIsFreed) {
    auto [a, b] = replicas();
    auto cb = b->client();
    EventsTableLock lock(backends_->database_url());
    ASSERT_TRUE(lock.error().empty()) << lock.error();

    // Sent raw: A dies before it answers, which HttpClient would count as a failure.
    RawConnection to_a(a->port());
    ASSERT_TRUE(to_a.send("POST /admin/jobs/nightly-dau/run HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                          admin_token() + "\r\nContent-Length: 0\r\n\r\n"))
        << to_a.error();
    ASSERT_TRUE(within(4s, [&] { return lock.nightly_count_waiting(); })) << "A's nightly-dau run never started";
    EXPECT_TRUE(IsProblem(cb.post("/admin/jobs/nightly-dau/run", "", admin()), 409, "conflict"));

    ASSERT_EQ(::kill(a->process().pid(), SIGKILL), 0);
    (void)a->process().wait(std::chrono::seconds(10));
    EXPECT_TRUE(to_a.wait_closed(5s)) << "A is gone";
    lock.release();

    int status = 0;
    EXPECT_TRUE(within(5s,
                       [&] {
                           status = cb.post("/admin/jobs/nightly-dau/run", "", admin()).status;
                           return status == 200;
                       }))
        << "B still refused after A died: " << status;
}

TEST_F(ReplicasTest, VersionChangeOnAVisibleOnBWithin5s) {
    auto [a, b] = replicas();
    auto ca = a->client(), cb = b->client();
    const std::string q = "platform=android&current_version_code=1";
    EXPECT_FALSE(check(cb, q).at("needUpdate").as_bool());

    auto bytes = apk({.package = "com.example.replicas", .version_code = 77, .version_name = "7.7", .seed = 77});
    auto key = upload_key(ca, bytes, "rep.apk");
    ASSERT_FALSE(key.empty());
    auto start = std::chrono::steady_clock::now();
    auto v =
        create_ok(ca, {{"platform", "android"}, {"versionCode", 77}, {"versionName", "7.7"}, {"artifactKey", key}});
    ASSERT_FALSE(v.empty());
    bool seen = within(6s, [&] { return check(cb, q).at("needUpdate").as_bool(); });
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(seen) << "B never offered A's new version";
    EXPECT_LE(took, 5s) << "B offered A's new version after "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
    // B's download link resolves (shared artifact directory).
    auto offered = check(cb, q);
    ASSERT_TRUE(offered.at("latest").is_object()) << json::serialize(offered);
    EXPECT_EQ(offered.at("latest").at("versionCode").as_int64(), 77) << json::serialize(offered);
    if (offered.at("latest").at("downloadUrl").is_string()) {
        auto dl = cb.get(target_of(std::string(offered.at("latest").at("downloadUrl").as_string())));
        EXPECT_EQ(dl.status, 200) << dl.describe();
        EXPECT_TRUE(dl.body == bytes) << "B serves the artifact A stored";
    } else {
        ADD_FAILURE() << "no downloadUrl: " << json::serialize(offered);
    }

    test::HttpRequest req{"PATCH",
                          "/admin/versions/" + std::to_string(v.at("id").as_int64()),
                          admin(),
                          json::serialize(json::object{{"isEnabled", false}})};
    req.headers.emplace_back("Content-Type", "application/json");
    auto p = ca.request(req);
    ASSERT_EQ(p.status, 200) << p.describe();
    start = std::chrono::steady_clock::now();
    bool gone = within(6s, [&] { return !check(cb, q).at("needUpdate").as_bool(); });
    took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(gone) << "B still offers the version A disabled";
    EXPECT_LE(took, 5s) << "B stopped offering it after "
                        << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
}

// The `rollout` job decides once per tick across replicas: runs on A and B
// at once over one unhealthy version store one halt (the run claim keeps
// the second out, or it finds the version moved and writes nothing), and
// B stops offering the version A halted.
TEST_F(ReplicasTest, TheRolloutJobDecidesOncePerTick) {
    auto [a, b] = replicas();
    auto ca = a->client(), cb = b->client();
    auto created = ca.post_json(
        "/admin/versions",
        json::object{
            {"platform", "android"},
            {"channel", "rep-rollout"},
            {"versionCode", 510},
            {"versionName", "5.1.0"},
            {"isForceUpdate", true},
            {"externalUrl", "https://example.com/app-510.apk"},
            {"rolloutPlan", json::object{{"steps", json::array{50, 100}}, {"stepEvery", "1m"}, {"minSessions", 20}}}},
        admin());
    ASSERT_EQ(created.status, 201) << created.describe();
    const std::string id = std::to_string(created.json().at("id").as_int64());
    const std::string q = "platform=android&channel=rep-rollout&current_version_code=1";
    ASSERT_TRUE(within(6s, [&] { return check(cb, q).at("needUpdate").as_bool(); })) << "B never offered it";

    // 40 sessions of 510, 10 of them crashed, and a crash-free control.
    json::array batch;
    const std::int64_t at = now_ms() - 5 * kMinuteMs;
    for (int i = 0; i < 40; ++i) {
        for (std::int64_t code : {500, 510}) {
            const std::string install = uid("rr");
            const std::string session = "s-" + std::to_string(i);
            auto ev = [&](const char* name, std::int64_t t) {
                return json::object{{"installId", install},
                                    {"platform", "android"},
                                    {"eventName", name},
                                    {"sessionId", session},
                                    {"versionCode", code},
                                    {"timestamp", iso(t)}};
            };
            batch.push_back(ev("app_session_start", at));
            if (code == 510 && i < 10) {
                batch.push_back(ev("app_crash", at + 1000));
            }
        }
    }
    auto posted = post_events(ca, {}, batch);
    ASSERT_EQ(posted.status, 200) << posted.describe();

    HttpResponse ra, rb;
    {
        std::jthread ta([&] { ra = HttpClient(a->port()).post("/admin/jobs/rollout/run", "", admin()); });
        std::jthread tb([&] { rb = HttpClient(b->port()).post("/admin/jobs/rollout/run", "", admin()); });
    }
    EXPECT_TRUE(ra.status == 200 || IsProblem(ra, 409, "conflict")) << ra.describe();
    EXPECT_TRUE(rb.status == 200 || IsProblem(rb, 409, "conflict")) << rb.describe();
    ASSERT_TRUE(ra.status == 200 || rb.status == 200) << "at least one run ran";
    std::size_t decided = 0;
    for (const HttpResponse* r : {&ra, &rb}) {
        if (r->status == 200) {
            decided += r->json().at("result").at("decisions").as_array().size();
        }
    }
    EXPECT_EQ(decided, 1u) << ra.describe() << "\n" << rb.describe();

    auto rollout = ok_object(cb.get("/admin/versions/" + id + "/rollout", admin()));
    EXPECT_EQ(rollout.at("state"), "halted") << json::serialize(rollout);
    const auto& decisions = rollout.at("decisions").as_array();
    ASSERT_EQ(decisions.size(), 2u) << json::serialize(rollout);
    EXPECT_EQ(decisions[0].at("action"), "halt");
    EXPECT_EQ(decisions[1].at("action"), "start");
    EXPECT_TRUE(within(6s, [&] { return !check(cb, q).at("needUpdate").as_bool(); }))
        << "B still offers the version A halted";
}

}  // namespace
}  // namespace beacon::e2e
