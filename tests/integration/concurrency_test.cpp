// Many clients at once: every acknowledged event is stored exactly once, and
// no request fails.
#include <mutex>
#include <set>
#include <thread>

#include "integration/e2e.hpp"

namespace beacon::e2e {
namespace {

using namespace std::chrono_literals;

class ConcurrencyTest : public E2eTest {};

TEST_F(ConcurrencyTest, ParallelBatchesAreStoredExactlyOnce) {
    constexpr int kThreads = 16;
    constexpr int kRequests = 30;
    constexpr int kEventsPerRequest = 20;
    auto& server = dedicated();

    std::atomic<std::int64_t> accepted{0}, duplicates{0}, rejected{0};
    std::atomic<int> failures{0}, requests{0};
    std::mutex failure_mu;
    std::string first_failure;
    std::atomic<int> ready{0};

    auto worker = [&](int t) {
        HttpClient c(server.port());
        std::string install = "conc-" + std::to_string(t) + "-install";
        ready.fetch_add(1);
        for (int spin = 0; spin < 2000 && ready.load() < kThreads; ++spin) {
            std::this_thread::sleep_for(1ms);
        }
        for (int r = 0; r < kRequests; ++r) {
            // Every third request retries the previous one's ids (all duplicates);
            // every batch also repeats one id inside itself.
            int ids_from = (r % 3 == 2) ? r - 1 : r;
            json::array events;
            for (int k = 0; k < kEventsPerRequest; ++k) {
                int id = (k == kEventsPerRequest - 1) ? 0 : k;
                events.push_back(json::object{{"eventName", k % 5 == 0 ? "app_session_start" : "tap"},
                                              {"eventId", "e-" + std::to_string(ids_from) + "-" + std::to_string(id)},
                                              {"properties", {{"thread", t}, {"request", r}, {"k", k}}}});
            }
            // Some requests carry a user token, some go gzip-compressed.
            Headers h;
            if (r % 4 == 1) {
                h = test::bearer(user_token("conc-user-" + std::to_string(t)));
            }
            std::string body = json::serialize(json::object{
                {"context", {{"installId", install}, {"platform", t % 2 ? "android" : "ios"}}}, {"events", events}});
            if (r % 5 == 3) {
                h.emplace_back("Content-Encoding", "gzip");
                body = test::gzip_compress(body);
            }
            auto res = c.post_json("/telemetry/events", body, h);
            requests.fetch_add(1);
            if (res.status != 200) {
                failures.fetch_add(1);
                std::lock_guard lock(failure_mu);
                if (first_failure.empty()) {
                    first_failure = res.describe();
                }
                continue;
            }
            auto o = json::parse(res.body).as_object();
            accepted += o.at("accepted").as_int64();
            duplicates += o.at("duplicates").as_int64();
            rejected += static_cast<std::int64_t>(o.at("rejected").as_array().size());
            // Interleave reads with the writes.
            if (r % 10 == 0) {
                if (c.get("/telemetry/online").status != 200 || heartbeat(c, {{"installId", install}}).status != 200) {
                    failures.fetch_add(1);
                }
            }
        }
    };

    auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back(worker, t);
    }
    // Admin reads while the writers run.
    std::thread reader([&] {
        HttpClient c(server.port());
        for (int i = 0; i < 20 && requests.load() < kThreads * kRequests; ++i) {
            if (c.get("/admin/telemetry/events?limit=100", admin()).status != 200 ||
                c.get("/admin/telemetry/realtime", admin()).status != 200) {
                failures.fetch_add(1);
            }
            std::this_thread::sleep_for(50ms);
        }
    });
    for (auto& th : threads) {
        th.join();
    }
    reader.join();
    auto elapsed = std::chrono::steady_clock::now() - started;

    EXPECT_EQ(failures.load(), 0) << first_failure;
    EXPECT_EQ(requests.load(), kThreads * kRequests);
    EXPECT_EQ(rejected.load(), 0);
    // Per thread: requests 0,1 new; 2 retries 1; 3,4 new; 5 retries 4; ...
    // A new batch stores 19 (one in-batch duplicate), a retry stores 0.
    constexpr int kRetries = kRequests / 3;
    constexpr std::int64_t kWantAccepted = std::int64_t{kThreads} * (kRequests - kRetries) * (kEventsPerRequest - 1);
    EXPECT_EQ(accepted.load(), kWantAccepted);
    EXPECT_EQ(accepted.load() + duplicates.load(), std::int64_t{kThreads} * kRequests * kEventsPerRequest);

    auto c = server.client();
    auto stored = list_all_events(c, "");
    EXPECT_EQ(static_cast<std::int64_t>(stored.size()), accepted.load());
    std::set<std::pair<std::string, std::string>> keys;
    std::set<std::int64_t> ids;
    for (const auto& e : stored) {
        keys.emplace(std::string(e.at("installId").as_string()), std::string(e.at("eventId").as_string()));
        ids.insert(e.at("id").as_int64());
    }
    EXPECT_EQ(keys.size(), stored.size()) << "no (installId, eventId) stored twice";
    EXPECT_EQ(ids.size(), stored.size()) << "no row listed twice";
    // Tokens' subs were applied to exactly the token requests' events.
    std::size_t with_user = 0;
    for (const auto& e : stored) {
        with_user += e.at("userId").is_string() ? 1 : 0;
    }
    EXPECT_GT(with_user, 0u);
    EXPECT_LT(with_user, stored.size());
    std::cout << "[ concurrency ] " << kThreads * kRequests << " requests in "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
}

}  // namespace
}  // namespace beacon::e2e
