// Two replicas in production mode (PostgreSQL + Redis) behind no load
// balancer: whatever one replica writes, the other must answer with.
// Needs BEACON_TEST_PG_URL and BEACON_TEST_REDIS_URL (tools/run-tests.sh
// starts both); skipped otherwise. Each test gets its own database
// (beacon_rep_<random>, dropped afterwards) and its own Redis db index
// (flushed first), so tests do not see each other's data.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <chrono>
#include <cstdlib>
#include <random>
#include <thread>

#include "integration/releases_e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string() : std::string(v);
}

// Runs one statement; empty on success, else the error message.
std::string pg_exec(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    std::string err;
    if (PQstatus(conn) != CONNECTION_OK) {
        err = std::string("connect: ") + PQerrorMessage(conn);
    } else {
        PGresult* r = PQexec(conn, sql.c_str());
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            err = sql + ": " + PQresultErrorMessage(r);
        }
        PQclear(r);
    }
    PQfinish(conn);
    return err;
}

// postgres://u:p@h:port/db[?q] -> the same URL naming database `db`.
std::string with_database(const std::string& url, const std::string& db) {
    auto query = url.find('?');
    std::string base = url.substr(0, query), tail = query == std::string::npos ? "" : url.substr(query);
    auto scheme = base.find("://");
    auto slash = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    if (slash != std::string::npos) {
        base.resize(slash);
    }
    return base + "/" + db + tail;
}

// Sends SELECT db + FLUSHDB as RESP to redis://host:port; empty on success.
std::string redis_flush(const std::string& url, int db) {
    std::string rest = url.substr(url.find("://") + 3);
    rest = rest.substr(0, rest.find('/'));
    auto colon = rest.rfind(':');
    std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
    int port = colon == std::string::npos ? 6379 : std::stoi(rest.substr(colon + 1));
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    if (fd < 0 || ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1 ||
        ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        if (fd >= 0) {
            ::close(fd);
        }
        return "cannot connect to redis at " + host + ":" + std::to_string(port);
    }
    timeval tv{5, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    std::string d = std::to_string(db);
    std::string cmd = "*2\r\n$6\r\nSELECT\r\n$" + std::to_string(d.size()) + "\r\n" + d + "\r\n*1\r\n$7\r\nFLUSHDB\r\n";
    std::string got;
    if (::send(fd, cmd.data(), cmd.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(cmd.size())) {
        char buf[256];
        while (got.size() < 10) {  // "+OK\r\n+OK\r\n"
            auto n = ::recv(fd, buf, sizeof buf, 0);
            if (n <= 0) {
                break;
            }
            got.append(buf, static_cast<std::size_t>(n));
        }
    }
    ::close(fd);
    return got == "+OK\r\n+OK\r\n" ? std::string() : "redis answered '" + got + "'";
}

class ReplicasTest : public ReleasesTest {
protected:
    void SetUp() override {
        pg_url_ = env_or_empty("BEACON_TEST_PG_URL");
        std::string redis = env_or_empty("BEACON_TEST_REDIS_URL");
        if (pg_url_.empty() || redis.empty()) {
            GTEST_SKIP() << "BEACON_TEST_PG_URL and BEACON_TEST_REDIS_URL are needed";
        }
        std::mt19937_64 rng{std::random_device{}()};
        db_name_ = "beacon_rep_" + std::to_string(rng() % 1'000'000'000'000ULL);
        auto err = pg_exec(pg_url_, "CREATE DATABASE " + db_name_);
        ASSERT_TRUE(err.empty()) << err;
        created_ = true;
        int redis_db = 1 + static_cast<int>(rng() % 15);
        err = redis_flush(redis, redis_db);
        ASSERT_TRUE(err.empty()) << err;
        while (!redis.empty() && redis.back() == '/') {
            redis.pop_back();
        }
        env_ = {{"BEACON_DATABASE_URL", with_database(pg_url_, db_name_)},
                {"BEACON_REDIS_URL", redis + "/" + std::to_string(redis_db)},
                {"BEACON_JWT_SECRET", kSecret}};
    }

    void TearDown() override {
        E2eTest::TearDown();  // stops the replicas first
        if (created_) {
            auto err = pg_exec(pg_url_, "DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
            EXPECT_TRUE(err.empty()) << err;
        }
    }

    // Starts A then B (B after A has migrated the fresh database), both on
    // the same database, Redis db and artifact directory.
    std::pair<Server*, Server*> replicas() {
        std::vector<std::string> args{"--storage-url", "file:" + (work_.path() / "artifacts").string()};
        auto& a = dedicated(args, env_);
        a.name = "replica A";
        auto& b = dedicated(args, env_);
        b.name = "replica B";
        return {&a, &b};
    }

    std::string pg_url_, db_name_;
    bool created_ = false;
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
        ca, {{"platform", "android"}},
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
    EventsTableLock lock(with_database(pg_url_, db_name_));
    ASSERT_TRUE(lock.error().empty()) << lock.error();

    HttpResponse ra;
    std::jthread run_on_a([&] { ra = HttpClient(a->port()).post("/admin/jobs/nightly-dau/run", "", admin()); });
    ASSERT_TRUE(within(4s, [&] { return lock.nightly_count_waiting(); })) << "A's nightly-dau run never started";

    EXPECT_TRUE(IsProblem(cb.post("/admin/jobs/nightly-dau/run", "", admin()), 409, "conflict"))
        << "B must not run nightly-dau while A runs it";
    EXPECT_TRUE(IsProblem(HttpClient(a->port()).post("/admin/jobs/nightly-dau/run", "", admin()), 409, "conflict"))
        << "nor A a second time";
    EXPECT_EQ(cb.post("/admin/jobs/online-snapshot/run", "", admin()).status, 200) << "other jobs run";

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
    EventsTableLock lock(with_database(pg_url_, db_name_));
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
    auto v = create_ok(ca, {{"platform", "android"}, {"versionCode", 77}, {"versionName", "7.7"}, {"artifactKey", key}});
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

    test::HttpRequest req{"PATCH", "/admin/versions/" + std::to_string(v.at("id").as_int64()), admin(),
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

}  // namespace
}  // namespace beacon::e2e
