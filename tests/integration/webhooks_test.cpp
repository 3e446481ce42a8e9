// Webhooks end to end (API.md 1.1 "Webhooks"): the real binary posting to a
// real HTTP receiver on loopback (tests/support/webhook_receiver.py, started
// here and stopped by PID), which checks Beacon-Signature with Python's hmac
// module and records every request; retries after 500s and a dropped
// connection, deliveries that survive a SIGKILL, online.drop from the
// snapshot job, and GET /admin/webhooks/deliveries. Both modes (e2e.hpp).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

constexpr char kWebhookSecret[] = "whsec-e2e-0123456789";

// The receiver script as a child process, stopped (SIGTERM, then SIGKILL) by PID.
class Receiver {
public:
    explicit Receiver(std::string script = "") {
        const auto py = std::filesystem::path(BEACON_SOURCE_DIR) / "tests" / "support" / "webhook_receiver.py";
        port_file_ = dir_.path() / "port";
        log_ = dir_.path() / "requests.jsonl";
        pid_ = ::fork();
        if (pid_ == 0) {
            const std::string pf = port_file_.string(), lg = log_.string(), pys = py.string();
            ::execlp("python3",
                     "python3",
                     pys.c_str(),
                     "--port-file",
                     pf.c_str(),
                     "--log",
                     lg.c_str(),
                     "--secret",
                     kWebhookSecret,
                     "--script",
                     script.c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        for (int i = 0; i < 200 && port_ == 0; ++i) {
            std::ifstream in(port_file_);
            in >> port_;
            if (port_ == 0) {
                std::this_thread::sleep_for(25ms);
            }
        }
    }
    ~Receiver() { stop(); }
    Receiver(const Receiver&) = delete;
    Receiver& operator=(const Receiver&) = delete;

    void stop() {
        if (pid_ <= 0) {
            return;
        }
        ::kill(pid_, SIGTERM);
        for (int i = 0; i < 100; ++i) {
            if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
                pid_ = -1;
                return;
            }
            std::this_thread::sleep_for(20ms);
        }
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
        pid_ = -1;
    }

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hooks/beacon"; }

    std::vector<json::object> requests() const {
        std::vector<json::object> out;
        std::ifstream in(log_);
        std::string line;
        while (std::getline(in, line)) {
            if (!line.empty()) {
                out.push_back(json::parse(line).as_object());
            }
        }
        return out;
    }
    // Waits until at least `n` requests came (bounded); returns them.
    std::vector<json::object> wait_for(std::size_t n, std::chrono::seconds timeout = 30s) const {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        auto got = requests();
        while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(100ms);
            got = requests();
        }
        return got;
    }

private:
    test::TempDir dir_;
    std::filesystem::path port_file_;
    std::filesystem::path log_;
    pid_t pid_ = -1;
    int port_ = 0;
};

std::string body_id(const json::object& request) {
    return std::string(json::parse(request.at("body").as_string()).at("id").as_string());
}

class WebhooksTest : public E2eTest {
protected:
    Server& with_webhooks(const Receiver& r, std::map<std::string, std::string> env = {}) {
        env["BEACON_WEBHOOK_URL"] = r.url();
        env["BEACON_WEBHOOK_SECRET"] = kWebhookSecret;
        return dedicated({}, env);
    }

    static std::string ping(HttpClient& c) {
        auto r = c.post("/admin/webhooks/ping", "", admin());
        EXPECT_EQ(r.status, 202) << r.describe();
        auto o = r.json().as_object();
        EXPECT_EQ(o.at("type"), "ping");
        return std::string(o.at("id").as_string());
    }

    // The listing's entry of `id`, polled until its status is `status` (bounded).
    static json::object wait_status(HttpClient& c,
                                    const std::string& id,
                                    std::string_view status,
                                    std::chrono::seconds timeout = 30s) {
        auto deadline = std::chrono::steady_clock::now() + timeout;
        json::object last;
        while (std::chrono::steady_clock::now() < deadline) {
            auto list = ok_object(c.get("/admin/webhooks/deliveries?limit=500", admin()));
            for (const auto& d : list.at("deliveries").as_array()) {
                if (d.at("id").as_string() == id) {
                    last = d.as_object();
                }
            }
            if (!last.empty() && last.at("status").as_string() == status) {
                return last;
            }
            std::this_thread::sleep_for(100ms);
        }
        ADD_FAILURE() << id << " never became " << status << ": " << json::serialize(last);
        return last;
    }
};

TEST_F(WebhooksTest, DeliversASignedPost) {
    Receiver receiver;
    ASSERT_GT(receiver.port(), 0) << "the receiver did not start";
    auto& server = with_webhooks(receiver);
    auto c = server.client();
    const std::string id = ping(c);
    auto got = receiver.wait_for(1);
    ASSERT_EQ(got.size(), 1u);
    const auto& req = got[0];
    EXPECT_EQ(req.at("path"), "/hooks/beacon");
    EXPECT_EQ(req.at("headers").at("content-type"), "application/json");
    const std::string sig(req.at("headers").at("beacon-signature").as_string());
    EXPECT_TRUE(std::regex_match(sig, std::regex("t=[0-9]+,v1=[0-9a-f]{64}"))) << sig;
    const auto t = std::stoll(sig.substr(2, sig.find(',') - 2));
    EXPECT_NEAR(static_cast<double>(t), static_cast<double>(now_ms() / 1000), 30.0);
    EXPECT_TRUE(req.at("signatureValid").as_bool()) << "Python's hmac agrees with Beacon-Signature";
    auto body = json::parse(req.at("body").as_string()).as_object();
    EXPECT_EQ(body.size(), 4u) << json::serialize(body);
    EXPECT_EQ(body.at("id").as_string(), id);
    EXPECT_EQ(body.at("type"), "ping");
    EXPECT_TRUE(body.at("at").is_string());
    EXPECT_TRUE(body.at("data").is_object());

    auto d = wait_status(c, id, "delivered");
    EXPECT_EQ(d.at("attempts"), 1);
    EXPECT_EQ(d.at("lastStatus"), 200);
    EXPECT_TRUE(d.at("lastError").is_null());
    EXPECT_TRUE(d.at("nextAttemptAt").is_null());
    EXPECT_TRUE(d.at("deliveredAt").is_string());
    EXPECT_TRUE(d.at("lastAttemptAt").is_string());
    EXPECT_EQ(d.at("type"), "ping");
}

TEST_F(WebhooksTest, RetriesAfter500sUntilA2xx) {
    Receiver receiver("500,500");
    ASSERT_GT(receiver.port(), 0);
    auto& server = with_webhooks(receiver);
    auto c = server.client();
    const std::string id = ping(c);
    auto first = receiver.wait_for(1);
    ASSERT_GE(first.size(), 1u);
    auto failing = wait_status(c, id, "failed-will-retry", 10s);
    EXPECT_EQ(failing.at("lastStatus"), 500);
    EXPECT_TRUE(failing.at("nextAttemptAt").is_string());
    EXPECT_FALSE(failing.at("lastError").is_null());
    // 5 s, then 10 s later.
    auto got = receiver.wait_for(3, 40s);
    ASSERT_EQ(got.size(), 3u);
    for (const auto& r : got) {
        EXPECT_EQ(body_id(r), id) << "every attempt is the same delivery";
        EXPECT_TRUE(r.at("signatureValid").as_bool());
    }
    auto done = wait_status(c, id, "delivered");
    EXPECT_EQ(done.at("attempts"), 3);
    EXPECT_EQ(done.at("lastStatus"), 200);
}

TEST_F(WebhooksTest, RetriesAfterADroppedConnection) {
    Receiver receiver("drop");
    ASSERT_GT(receiver.port(), 0);
    auto& server = with_webhooks(receiver);
    auto c = server.client();
    const std::string id = ping(c);
    auto failing = wait_status(c, id, "failed-will-retry", 10s);
    EXPECT_TRUE(failing.at("lastStatus").is_null()) << "no answer came";
    EXPECT_FALSE(failing.at("lastError").is_null());
    auto done = wait_status(c, id, "delivered", 30s);
    EXPECT_EQ(done.at("attempts"), 2);
    auto got = receiver.requests();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(body_id(got[1]), id);
}

TEST_F(WebhooksTest, EveryIdArrivesAtLeastOnceInOrder) {
    Receiver receiver("500,200,drop,200,500");
    ASSERT_GT(receiver.port(), 0);
    auto& server = with_webhooks(receiver);
    auto c = server.client();
    std::vector<std::string> ids;
    for (int i = 0; i < 5; ++i) {
        ids.push_back(ping(c));
    }
    for (const auto& id : ids) {
        wait_status(c, id, "delivered", 60s);
    }
    std::vector<std::string> delivered_order;
    std::set<std::string> seen;
    for (const auto& r : receiver.requests()) {
        const std::string id = body_id(r);
        seen.insert(id);
        if (r.at("action") == "200") {
            delivered_order.push_back(id);
        }
    }
    for (const auto& id : ids) {
        EXPECT_TRUE(seen.count(id)) << id << " never arrived";
    }
    EXPECT_EQ(delivered_order, ids) << "one ordering key: delivered in the order enqueued";
}

TEST_F(WebhooksTest, ADeliveryNotYetSentSurvivesASigkill) {
    Receiver receiver("500");
    ASSERT_GT(receiver.port(), 0);
    auto& server = with_webhooks(receiver);
    std::string id;
    {
        auto c = server.client();
        id = ping(c);
        ASSERT_EQ(receiver.wait_for(1).size(), 1u);
        wait_status(c, id, "failed-will-retry", 10s);
    }
    // Killed with the delivery pending (retry due in 5 s): nothing flushed at exit.
    ASSERT_EQ(::kill(server.process().pid(), SIGKILL), 0);
    server.process().stop();
    std::this_thread::sleep_for(6s);
    EXPECT_EQ(receiver.requests().size(), 1u) << "nobody sent it while Beacon was down";
    ASSERT_TRUE(server.start()) << server.process().error();
    auto c = server.client();
    auto done = wait_status(c, id, "delivered", 30s);
    EXPECT_EQ(done.at("attempts"), 2);
    auto got = receiver.requests();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(body_id(got[1]), id);
    EXPECT_TRUE(got[1].at("signatureValid").as_bool());
}

TEST_F(WebhooksTest, OnlineDropFromTheSnapshots) {
    Receiver receiver;
    ASSERT_GT(receiver.port(), 0);
    // A 3 s online window, so the test can make online fall.
    auto& server = with_webhooks(receiver, {{"BEACON_ONLINE_WINDOW", "3"}, {"BEACON_HEARTBEAT_INTERVAL", "1"}});
    auto c = server.client();
    // The scheduled snapshot on the minute would see the drop first (and
    // send the alert the manual run here expects): the ~8 s below stay
    // inside one minute.
    avoid_minute_boundary(15s);
    for (int i = 0; i < 120; ++i) {
        ASSERT_EQ(heartbeat(c, {{"installId", uid("drop")}}).status, 200);
    }
    std::this_thread::sleep_for(1100ms);  // past the online cache
    auto high = ok_object(c.post("/admin/jobs/online-snapshot/run", "", admin()));
    ASSERT_EQ(high.at("result").at("online"), 120) << json::serialize(high);
    EXPECT_FALSE(high.at("result").as_object().contains("onlineDrop"));
    std::this_thread::sleep_for(4200ms);  // the window and the cache pass
    ASSERT_EQ(heartbeat(c, {{"installId", uid("drop")}}).status, 200);
    std::this_thread::sleep_for(1100ms);
    auto low = ok_object(c.post("/admin/jobs/online-snapshot/run", "", admin()));
    ASSERT_EQ(low.at("result").at("online"), 1) << json::serialize(low);
    ASSERT_TRUE(low.at("result").as_object().contains("onlineDrop")) << json::serialize(low);
    const std::string id(low.at("result").at("onlineDrop").as_string());
    auto again = ok_object(c.post("/admin/jobs/online-snapshot/run", "", admin()));
    EXPECT_FALSE(again.at("result").as_object().contains("onlineDrop")) << "no second alert while it stays down";

    auto got = receiver.wait_for(1);
    ASSERT_GE(got.size(), 1u);
    std::vector<json::object> drops;
    for (const auto& r : got) {
        auto body = json::parse(r.at("body").as_string()).as_object();
        if (body.at("type") == "online.drop") {
            drops.push_back(body);
            EXPECT_TRUE(r.at("signatureValid").as_bool());
        }
    }
    ASSERT_EQ(drops.size(), 1u);
    EXPECT_EQ(drops[0].at("id").as_string(), id);
    const auto& data = drops[0].at("data").as_object();
    EXPECT_EQ(data.at("from"), 120);
    EXPECT_EQ(data.at("to"), 1);
    EXPECT_TRUE(data.at("since").is_string());
}

TEST_F(WebhooksTest, DeliveriesListingRules) {
    Receiver receiver;
    ASSERT_GT(receiver.port(), 0);
    auto& server = with_webhooks(receiver);
    auto c = server.client();
    EXPECT_EQ(c.get("/admin/webhooks/deliveries").status, 401);
    EXPECT_EQ(c.get("/admin/webhooks/deliveries", {{"Authorization", "Bearer " + user_token("u-1")}}).status, 403);
    EXPECT_EQ(c.post("/admin/webhooks/ping", "").status, 401);
    for (const char* bad : {"0", "501", "-1", "abc", "1.5"}) {
        EXPECT_TRUE(IsProblem(
            c.get(std::string("/admin/webhooks/deliveries?limit=") + bad, admin()), 400, "validation", "limit"))
            << bad;
    }
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        ids.push_back(ping(c));
        std::this_thread::sleep_for(5ms);
    }
    auto all = ok_object(c.get("/admin/webhooks/deliveries", admin()));
    const auto& list = all.at("deliveries").as_array();
    ASSERT_EQ(list.size(), 3u);
    EXPECT_EQ(list[0].at("id").as_string(), ids[2]) << "newest first";
    EXPECT_EQ(list[2].at("id").as_string(), ids[0]);
    for (const char* field : {"id",
                              "type",
                              "at",
                              "status",
                              "attempts",
                              "lastAttemptAt",
                              "lastStatus",
                              "lastError",
                              "nextAttemptAt",
                              "deliveredAt"}) {
        EXPECT_TRUE(list[0].as_object().contains(field)) << field;
    }
    auto one = ok_object(c.get("/admin/webhooks/deliveries?limit=1", admin()));
    ASSERT_EQ(one.at("deliveries").as_array().size(), 1u);
    EXPECT_EQ(one.at("deliveries").as_array()[0].at("id").as_string(), ids[2]);
}

TEST_F(WebhooksTest, NoUrlNoWebhooks) {
    auto& server = dedicated();
    auto c = server.client();
    EXPECT_TRUE(IsProblem(c.post("/admin/webhooks/ping", "", admin()), 409, "conflict"));
    auto list = ok_object(c.get("/admin/webhooks/deliveries", admin()));
    EXPECT_TRUE(list.at("deliveries").as_array().empty());
}

TEST_F(WebhooksTest, ABadUrlStopsTheStartNamingTheSetting) {
    for (const char* bad : {"ftp://example.com/x", "example.com/hook", "http://", "http://exa mple.com/"}) {
        auto r = test::run_command(beacon_binary(),
                                   {"serve", "--listen", "127.0.0.1:0", "--data-dir", "/nonexistent-x"},
                                   {{"BEACON_WEBHOOK_URL", bad}});
        EXPECT_NE(r.exit_code, 0) << bad;
        EXPECT_NE((r.out + r.err).find("BEACON_WEBHOOK_URL"), std::string::npos) << bad << ": " << r.err;
    }
}

}  // namespace
}  // namespace beacon::e2e
