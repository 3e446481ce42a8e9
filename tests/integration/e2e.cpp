#include "integration/e2e.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <random>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace beacon::e2e {
namespace {

std::unique_ptr<Server>& shared_slot() {
    static std::unique_ptr<Server> s;
    return s;
}

// Stops the shared server at the end of the run; it must exit 0.
class SharedServerEnvironment : public ::testing::Environment {
public:
    void TearDown() override {
        auto& s = shared_slot();
        if (!s) {
            return;
        }
        int code = s->process().stop();
        EXPECT_EQ(code, 0) << "shared server exit status";
        auto report = sanitizer_report(*s);
        EXPECT_TRUE(report.empty()) << report;
        if (code != 0 || !report.empty()) {
            dump_log(*s);
        }
        s.reset();
    }
};

[[maybe_unused]] ::testing::Environment* const kSharedEnv =
    ::testing::AddGlobalTestEnvironment(new SharedServerEnvironment);

std::string two(int v) {
    return (v < 10 ? "0" : "") + std::to_string(v);
}

struct Civil {
    int y, m, d, hh, mm, ss, ms;
};

Civil civil(std::int64_t epoch_ms) {
    using namespace std::chrono;
    sys_time<milliseconds> t{milliseconds(epoch_ms)};
    auto days = floor<std::chrono::days>(t);
    year_month_day ymd{days};
    hh_mm_ss<milliseconds> hms{t - days};
    return {static_cast<int>(ymd.year()),
            static_cast<int>(static_cast<unsigned>(ymd.month())),
            static_cast<int>(static_cast<unsigned>(ymd.day())),
            static_cast<int>(hms.hours().count()),
            static_cast<int>(hms.minutes().count()),
            static_cast<int>(hms.seconds().count()),
            static_cast<int>(hms.subseconds().count())};
}

std::string date_text(const Civil& c) {
    return std::to_string(c.y) + "-" + two(c.m) + "-" + two(c.d);
}

std::string time_text(const Civil& c) {
    std::string ms = std::to_string(c.ms);
    ms.insert(0, 3 - ms.size(), '0');
    return two(c.hh) + ":" + two(c.mm) + ":" + two(c.ss) + "." + ms;
}

}  // namespace

std::filesystem::path beacon_binary() {
    if (const char* env = std::getenv("BEACON_BINARY"); env != nullptr && *env != '\0') {
        return env;
    }
    return BEACON_BINARY;
}

bool production_mode() {
    const char* v = std::getenv("BEACON_E2E_BACKENDS");
    return v != nullptr && std::string_view(v) == "production";
}

namespace {

// The production backends a new server needs: none on the embedded default,
// or when the test chose the database itself (replicas sharing one).
std::unique_ptr<test::ProductionBackends> backends_for(const std::map<std::string, std::string>& env) {
    if (!production_mode() || env.contains("BEACON_DATABASE_URL")) {
        return nullptr;
    }
    auto peers = test::production_peers_from_env();
    if (!peers) {
        throw std::runtime_error("production mode needs BEACON_TEST_PG_URL and BEACON_TEST_REDIS_URL");
    }
    std::string error;
    auto b = test::ProductionBackends::create(*peers, "beacon_e2e", &error);
    if (!b) {
        throw std::runtime_error("preparing production backends: " + error);
    }
    return b;
}

}  // namespace

Server::Server(std::vector<std::string> args, std::map<std::string, std::string> env)
    : backends_(backends_for(env)),
      env_([&] {
          if (!env.contains("BEACON_JWT_SECRET")) {
              env["BEACON_JWT_SECRET"] = kSecret;
          }
          // Every request of the suite comes from 127.0.0.1, far faster than
          // any phone: the per-client limit is off unless a test sets it
          // (RateLimitTest does, with small limits).
          if (!env.contains("BEACON_RATE_LIMIT")) {
              env["BEACON_RATE_LIMIT"] = "0";
          }
          // Production refuses to start without a signing key (replicas share it).
          if (!env.contains("BEACON_SIGNING_KEY_FILE") && (backends_ || env.contains("BEACON_DATABASE_URL"))) {
              env["BEACON_SIGNING_KEY_FILE"] = test::test_signing_key_file().string();
          }
          if (backends_) {
              env.merge(backends_->env());
          }
          return std::move(env);
      }()),
      proc_([&] {
          test::ServerProcess::Options o;
          o.binary = beacon_binary();
          o.data_dir = dir_.path() / "data";
          o.work_dir = dir_.path();
          o.args = std::move(args);
          // Quiet access logs would hide nothing we need; keep text logs.
          o.env = env_;
          return o;
      }()) {}

std::unique_ptr<Server> launch(std::vector<std::string> args, std::map<std::string, std::string> env) {
    auto s = std::make_unique<Server>(std::move(args), std::move(env));
    if (!s->start()) {
        ADD_FAILURE() << "starting beacon: " << s->process().error();
        dump_log(*s);
        return nullptr;
    }
    return s;
}

void dump_log(Server& s) {
    constexpr std::size_t kTail = 64 * 1024;
    std::string log = s.process().log();
    std::string cut;
    if (log.size() > kTail) {
        cut = "(" + std::to_string(log.size() - kTail) + " earlier bytes omitted)\n";
        log = log.substr(log.size() - kTail);
    }
    std::cout << "----- log of beacon " << (s.name.empty() ? "server" : s.name) << " ("
              << s.process().log_file().string() << ") -----\n"
              << cut << log << "----- end of log -----" << std::endl;
}

std::string sanitizer_report(Server& s) {
    std::string log = s.process().log();
    for (const char* marker : {"ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"}) {
        auto at = log.find(marker);
        if (at != std::string::npos) {
            return log.substr(at > 200 ? at - 200 : 0, 4000);
        }
    }
    return {};
}

Server& E2eTest::shared() {
    used_shared_ = true;
    auto& s = shared_slot();
    if (!s) {
        s = launch();
        if (!s) {
            throw std::runtime_error("the shared beacon server did not start");
        }
        s->name = "shared";
    }
    return *s;
}

Server& E2eTest::dedicated(std::vector<std::string> args, std::map<std::string, std::string> env) {
    auto s = launch(std::move(args), std::move(env));
    if (!s) {
        throw std::runtime_error("a dedicated beacon server did not start");
    }
    s->name = "dedicated #" + std::to_string(own_.size() + 1);
    own_.push_back(std::move(s));
    return *own_.back();
}

HttpClient& E2eTest::client() {
    if (!client_) {
        client_.emplace(shared().port());
    }
    return *client_;
}

void E2eTest::SetUp() {
    if (production_mode() && !test::production_peers_from_env()) {
        GTEST_SKIP() << "production mode needs BEACON_TEST_PG_URL and BEACON_TEST_REDIS_URL "
                        "(tools/run-tests.sh starts both)";
    }
}

void E2eTest::TearDown() {
    // A sanitizer report in any server this test used fails the test.
    for (auto& s : own_) {
        if (auto report = sanitizer_report(*s); !report.empty()) {
            ADD_FAILURE() << s->name << " reported:\n" << report;
        }
    }
    if (used_shared_ && shared_slot()) {
        if (auto report = sanitizer_report(*shared_slot()); !report.empty()) {
            ADD_FAILURE() << "the shared server reported:\n" << report;
        }
    }
    if (HasFailure()) {
        if (used_shared_ && shared_slot()) {
            dump_log(*shared_slot());
        }
        for (auto& s : own_) {
            dump_log(*s);
        }
    }
    client_.reset();
    for (auto& s : own_) {
        if (s->process().running()) {
            int code = s->process().stop();
            EXPECT_EQ(code, 0) << s->name << " exit status";
            auto report = sanitizer_report(*s);
            EXPECT_TRUE(report.empty()) << s->name << " reported at exit:\n" << report;
            if ((code != 0 || !report.empty()) && !HasFailure()) {
                dump_log(*s);
            }
        }
    }
    own_.clear();
}

std::string uid(std::string_view prefix) {
    static std::atomic<int> counter{0};
    static const std::uint32_t salt = std::random_device{}();
    return std::string(prefix) + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1)) + "-" +
           std::to_string(salt % 100000);
}

std::string admin_token() {
    return test::make_token(kSecret, "admin", true, std::chrono::hours(1));
}

Headers admin() {
    return test::bearer(admin_token());
}

std::string user_token(std::string_view sub) {
    return test::make_token(kSecret, sub, false, std::chrono::hours(1));
}

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string iso(std::int64_t epoch_ms) {
    Civil c = civil(epoch_ms);
    return date_text(c) + "T" + time_text(c) + "Z";
}

std::string iso_offset(std::int64_t epoch_ms, int offset_minutes) {
    Civil c = civil(epoch_ms + std::int64_t{offset_minutes} * kMinuteMs);
    int a = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    return date_text(c) + "T" + time_text(c) + (offset_minutes < 0 ? "-" : "+") + two(a / 60) + ":" + two(a % 60);
}

std::string day_of(std::int64_t epoch_ms, int offset_minutes) {
    return date_text(civil(epoch_ms + std::int64_t{offset_minutes} * kMinuteMs));
}

void avoid_day_boundary(int offset_minutes) {
    std::int64_t local = now_ms() + std::int64_t{offset_minutes} * kMinuteMs;
    std::int64_t left = kDayMs - (local % kDayMs);
    if (left < 30'000) {
        std::this_thread::sleep_for(std::chrono::milliseconds(left + 1000));
    }
}

void avoid_minute_boundary(std::chrono::milliseconds needed) {
    const std::int64_t left = kMinuteMs - (now_ms() % kMinuteMs);
    if (left < needed.count()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(left + 500));
    }
}

std::int64_t utc_midnight(std::int64_t epoch_ms) {
    return epoch_ms - (epoch_ms % kDayMs);
}

std::string qenc(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

HttpResponse post_events(HttpClient& c, const json::object& context, const json::array& events, Headers h) {
    json::object body{{"context", context}, {"events", events}};
    return c.post_json("/telemetry/events", json::serialize(body), std::move(h));
}

HttpResponse heartbeat(HttpClient& c, const json::object& body, Headers h) {
    return c.post_json("/telemetry/heartbeat", json::serialize(body), std::move(h));
}

std::vector<json::object> list_all_events(HttpClient& c, const std::string& query, int limit, int max_pages) {
    std::vector<json::object> out;
    std::string cursor;
    for (int page = 0; page < max_pages; ++page) {
        std::string target = "/admin/telemetry/events?limit=" + std::to_string(limit);
        if (!query.empty()) {
            target += "&" + query;
        }
        if (!cursor.empty()) {
            target += "&cursor=" + qenc(cursor);
        }
        auto r = c.get(target, admin());
        if (r.status != 200) {
            ADD_FAILURE() << "GET " << target << ": " << r.describe();
            return out;
        }
        auto body = r.json();
        if (!body.is_object()) {
            return out;
        }
        for (const auto& e : body.at("events").as_array()) {
            out.push_back(e.as_object());
        }
        const auto& next = body.at("nextCursor");
        if (next.is_null()) {
            return out;
        }
        cursor = std::string(next.as_string());
    }
    ADD_FAILURE() << "more than " << max_pages << " pages of events";
    return out;
}

std::int64_t wait_online(HttpClient& c, std::int64_t want, std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::int64_t last = -1;
    for (int i = 0; i < 1000; ++i) {
        auto r = c.get("/telemetry/online");
        if (r.status != 200) {
            ADD_FAILURE() << r.describe();
            return -1;
        }
        last = r.json().at("online").as_int64();
        if (last == want || std::chrono::steady_clock::now() >= deadline) {
            return last;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return last;
}

::testing::AssertionResult IsProblem(const HttpResponse& r,
                                     int status,
                                     std::string_view slug,
                                     std::optional<std::string_view> field) {
    auto fail = [&](const std::string& why) {
        return ::testing::AssertionFailure() << why << "\n--- response ---\n" << r.describe();
    };
    if (r.status != status) {
        return fail("status " + std::to_string(r.status) + ", want " + std::to_string(status));
    }
    auto ct = r.header("Content-Type");
    if (!ct || !ct->starts_with("application/problem+json")) {
        return fail("Content-Type is not application/problem+json");
    }
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
        return fail("body is not a JSON object");
    }
    const auto& o = v.as_object();
    const auto* type = o.if_contains("type");
    std::string want_type = "https://beacon.dev/problems/" + std::string(slug);
    if (type == nullptr || !type->is_string() || type->as_string() != want_type) {
        return fail("type is not " + want_type);
    }
    const auto* st = o.if_contains("status");
    if (st == nullptr || !st->is_int64() || st->as_int64() != status) {
        return fail("body status differs");
    }
    if (o.if_contains("title") == nullptr || !o.at("title").is_string() || o.if_contains("detail") == nullptr) {
        return fail("title or detail missing");
    }
    if (field) {
        const auto* errs = o.if_contains("errors");
        if (errs == nullptr || !errs->is_array() || errs->as_array().empty()) {
            return fail("errors missing, want field " + std::string(*field));
        }
        const auto& e0 = errs->as_array()[0];
        if (!e0.is_object() || !e0.as_object().contains("field") ||
            e0.as_object().at("field") != json::value(std::string(*field))) {
            return fail("errors[0].field is not " + std::string(*field));
        }
        if (!e0.as_object().contains("message")) {
            return fail("errors[0].message missing");
        }
    }
    return ::testing::AssertionSuccess();
}

json::object ok_object(const HttpResponse& r) {
    if (r.status != 200) {
        ADD_FAILURE() << "want 200, got: " << r.describe();
        return {};
    }
    auto v = r.json();
    if (!v.is_object()) {
        ADD_FAILURE() << "body is not a JSON object: " << r.describe();
        return {};
    }
    return v.as_object();
}

}  // namespace beacon::e2e
