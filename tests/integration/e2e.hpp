#pragma once

// Shared pieces of the end-to-end suite: servers (the real binary in a temp
// dir), a fixture that prints their logs when a test fails, tokens, time and
// JSON helpers, and problem-document assertions.
//
// The suite runs twice (tests/CMakeLists.txt): on the embedded default, and
// with BEACON_E2E_BACKENDS=production, where every server started here (shared
// or dedicated) also gets a fresh PostgreSQL database and its own Redis key
// prefix (support/production_backends.hpp), dropped when the server goes.
// Artifacts stay local files in both modes (S3 has its own test). Production
// mode needs BEACON_TEST_PG_URL and BEACON_TEST_REDIS_URL; without them every
// test skips. Tests that only make sense on the embedded default skip in
// production mode with the reason.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "support/http_client.hpp"
#include "support/jwt_mint.hpp"
#include "support/production_backends.hpp"
#include "support/server_process.hpp"
#include "support/signing_key_file.hpp"
#include "support/temp_dir.hpp"

namespace beacon::e2e {

namespace json = boost::json;
using test::Headers;
using test::HttpClient;
using test::HttpResponse;
using test::RawConnection;

// Every server started here gets this BEACON_JWT_SECRET (unless a test
// overrides the environment), so tests can mint any token they need.
inline constexpr char kSecret[] = "e2e-secret-0123456789abcdef0123456789";

// The beacon binary under test: $BEACON_BINARY when set, else the build's.
std::filesystem::path beacon_binary();

// True when BEACON_E2E_BACKENDS=production: servers run on PostgreSQL + Redis.
bool production_mode();

// A beacon process with its own temp dir (data dir inside it). In production
// mode, unless `env` names a BEACON_DATABASE_URL itself, it also gets its own
// database and Redis key prefix (kept across restarts, dropped with the Server).
class Server {
public:
    Server(std::vector<std::string> args, std::map<std::string, std::string> env);
    // Stops it (SIGKILL if needed), drops its production backends, removes the temp dir.
    ~Server() = default;

    bool start() { return proc_.start(); }
    test::ServerProcess& process() { return proc_; }
    std::uint16_t port() const { return proc_.port(); }
    HttpClient client() const { return HttpClient(proc_.port()); }
    const std::filesystem::path& dir() const { return dir_.path(); }
    // The environment the process gets (with the production backends' variables),
    // for a second process that must share its database and Redis.
    const std::map<std::string, std::string>& env() const { return env_; }
    std::string name;  // for log dumps

private:
    test::TempDir dir_;
    std::unique_ptr<test::ProductionBackends> backends_;  // production mode only; outlives proc_
    std::map<std::string, std::string> env_;
    test::ServerProcess proc_;
};

// Starts a server; on failure records a test failure with its log and returns null.
std::unique_ptr<Server> launch(std::vector<std::string> args = {}, std::map<std::string, std::string> env = {});

// Base fixture: the suite-wide shared server (started on first use, stopped
// at the end of the run with exit status 0 checked) and per-test servers.
// When a test fails, the logs of every server it touched are printed.
class E2eTest : public ::testing::Test {
protected:
    // The shared server: default settings. Tests on it use unique ids so
    // they do not see each other's data.
    Server& shared();
    // A server only this test uses (stopped when the test ends).
    Server& dedicated(std::vector<std::string> args = {}, std::map<std::string, std::string> env = {});

    HttpClient& client();  // kept-alive client of the shared server

    // Skips every test in production mode when the peers' variables are unset.
    void SetUp() override;
    void TearDown() override;

    std::vector<std::unique_ptr<Server>> own_;
    std::optional<HttpClient> client_;
    bool used_shared_ = false;
};

// Prints (the end of) a server's log to the test output.
void dump_log(Server& s);
// A sanitizer report in a server's log, if any (empty when clean).
std::string sanitizer_report(Server& s);

// ---- identities and tokens ----

// A fresh id that is a valid installId/userId ("<prefix>-<pid>-<n>-<rand>").
std::string uid(std::string_view prefix = "i");

std::string admin_token();
Headers admin();
// A client (non-admin) token with `sub`.
std::string user_token(std::string_view sub);

// ---- time ----

std::int64_t now_ms();
// "2026-11-25T08:00:00.000Z"
std::string iso(std::int64_t epoch_ms);
// The same instant written with an offset of `offset_minutes` ("+08:00").
std::string iso_offset(std::int64_t epoch_ms, int offset_minutes);
// Calendar day of `epoch_ms` at `offset_minutes` from UTC, "2026-11-25".
std::string day_of(std::int64_t epoch_ms, int offset_minutes = 0);
// Epoch ms of 00:00 UTC of the day `epoch_ms` falls on.
std::int64_t utc_midnight(std::int64_t epoch_ms);
inline constexpr std::int64_t kMinuteMs = 60'000;
inline constexpr std::int64_t kHourMs = 3'600'000;
inline constexpr std::int64_t kDayMs = 86'400'000;

// Tests that compare "today" on both sides sleep past a coming day boundary
// (at `offset_minutes` from UTC) when it is less than 30 s away.
// Sleeps past the next minute boundary when fewer than `needed` are left
// in the current minute, so a test that must not see a scheduled
// once-a-minute job in its middle starts right after one.
void avoid_minute_boundary(std::chrono::milliseconds needed);
void avoid_day_boundary(int offset_minutes = 0);

// Percent-encodes a query value.
std::string qenc(std::string_view s);

// ---- telemetry helpers ----

// POST /telemetry/events with {"context": ctx, "events": events}.
HttpResponse post_events(HttpClient& c, const json::object& context, const json::array& events, Headers h = {});
// POST /telemetry/heartbeat.
HttpResponse heartbeat(HttpClient& c, const json::object& body, Headers h = {});
// Every event the admin list returns for `query` ("installId=..."), following
// nextCursor with `limit` per page (bounded to `max_pages`).
std::vector<json::object> list_all_events(HttpClient& c,
                                          const std::string& query,
                                          int limit = 500,
                                          int max_pages = 200);
// GET /telemetry/online's count, polled until it equals `want` (the count
// may be cached for 1 s) or `timeout` passes; returns the last value seen.
std::int64_t wait_online(HttpClient& c, std::int64_t want, std::chrono::milliseconds timeout);

// ---- assertions ----

// A problem document with this status and slug; when `field` is given,
// errors[0].field must equal it.
::testing::AssertionResult IsProblem(const HttpResponse& r,
                                     int status,
                                     std::string_view slug,
                                     std::optional<std::string_view> field = std::nullopt);

// The JSON object body of a 200, or a failure and an empty object.
json::object ok_object(const HttpResponse& r);

}  // namespace beacon::e2e
