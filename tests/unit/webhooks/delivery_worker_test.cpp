#include "webhooks/delivery_worker.hpp"

#include <deque>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "backends/sqlite/sqlite_webhook_outbox.hpp"
#include "core/time_format.hpp"
#include "support/temp_dir.hpp"
#include "webhooks/signature.hpp"

namespace beacon::webhooks {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;
using backends::sqlite::SqliteWebhookOutbox;

const TimePoint kT0 = *parse_iso8601("2026-12-01T08:00:00.000Z");
constexpr char kSecret[] = "whsec-unit";

// Answers from a script (a status, or none for "no answer"); records each POST.
class FakeSender final : public WebhookSender {
public:
    struct Post {
        std::string body;
        std::string signature;
    };
    std::deque<std::optional<int>> answers;  // empty: 200
    std::vector<Post> posts;

    PostOutcome post(std::string_view body, std::string_view signature) override {
        posts.push_back({std::string(body), std::string(signature)});
        std::optional<int> answer = 200;
        if (!answers.empty()) {
            answer = answers.front();
            answers.pop_front();
        }
        if (!answer) {
            return {std::nullopt, "Connection refused"};
        }
        return {answer, ""};
    }

    std::string id_of(std::size_t i) const { return std::string(json::parse(posts.at(i).body).at("id").as_string()); }
};

class DeliveryWorkerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = SqliteWebhookOutbox::open(dir_.path() / "beacon.db");
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        outbox_ = std::move(opened).value();
        WorkerSettings s;
        s.secret = kSecret;
        worker_ = std::make_unique<DeliveryWorker>(*outbox_, sender_, clock_, s);
    }

    Delivery enqueue(std::string_view key, std::string_view type = kOnlineDrop) {
        auto d = make_delivery(type, key, json::object{{"n", 1}}, clock_.now());
        EXPECT_TRUE(d.ok());
        EXPECT_TRUE(outbox_->enqueue(*d).ok());
        return *d;
    }

    int round() {
        auto n = worker_->run_once();
        EXPECT_TRUE(n.ok()) << n.error().message;
        return n.ok() ? *n : -1;
    }

    Delivery stored(const std::string& id) { return outbox_->get(id).value(); }

    test::TempDir dir_;
    ManualClock clock_{kT0};
    FakeSender sender_;
    std::unique_ptr<SqliteWebhookOutbox> outbox_;
    std::unique_ptr<DeliveryWorker> worker_;
};

TEST_F(DeliveryWorkerTest, PostsTheStoredBodySignedAtSendTime) {
    Delivery d = enqueue(kOnlineOrderingKey);
    clock_.advance(1500ms);
    EXPECT_EQ(round(), 1);
    ASSERT_EQ(sender_.posts.size(), 1u);
    EXPECT_EQ(sender_.posts[0].body, d.body);
    const auto t = std::chrono::floor<std::chrono::seconds>((kT0 + 1500ms).time_since_epoch()).count();
    EXPECT_EQ(sender_.posts[0].signature, signature_header(kSecret, t, d.body));
    EXPECT_TRUE(verify_signature_header(kSecret, sender_.posts[0].signature, d.body));
    Delivery after = stored(d.id);
    EXPECT_EQ(after.status(), DeliveryStatus::Delivered);
    EXPECT_EQ(after.delivered_at, kT0 + 1500ms);
    EXPECT_EQ(after.attempts, 1);
    EXPECT_EQ(after.last_status, 200);
    EXPECT_EQ(round(), 0) << "delivered once";
}

TEST_F(DeliveryWorkerTest, RetriesAnythingButA2xxWithBackoff) {
    Delivery d = enqueue(kOnlineOrderingKey);
    sender_.answers = {500, std::nullopt, 302, 429, 204};
    EXPECT_EQ(round(), 1);
    Delivery one = stored(d.id);
    EXPECT_EQ(one.status(), DeliveryStatus::FailedWillRetry);
    EXPECT_EQ(one.last_status, 500);
    EXPECT_EQ(one.last_error, "the receiver answered 500");
    EXPECT_EQ(one.next_attempt_at, kT0 + 5s);

    clock_.advance(4999ms);
    EXPECT_EQ(round(), 0) << "not due before 5 s";
    clock_.advance(1ms);
    EXPECT_EQ(round(), 1);
    Delivery two = stored(d.id);
    EXPECT_FALSE(two.last_status) << "a connection error has no status";
    EXPECT_EQ(two.last_error, "Connection refused");
    EXPECT_EQ(two.next_attempt_at, kT0 + 5s + 10s);

    clock_.set(kT0 + 15s);
    EXPECT_EQ(round(), 1);  // 302: a redirect is not a success
    EXPECT_EQ(stored(d.id).next_attempt_at, kT0 + 15s + 20s);
    clock_.set(kT0 + 35s);
    EXPECT_EQ(round(), 1);  // 429
    EXPECT_EQ(stored(d.id).next_attempt_at, kT0 + 35s + 40s);
    clock_.set(kT0 + 75s);
    EXPECT_EQ(round(), 1);  // 204
    Delivery done = stored(d.id);
    EXPECT_EQ(done.status(), DeliveryStatus::Delivered);
    EXPECT_EQ(done.attempts, 5);
    EXPECT_FALSE(done.last_error);
    ASSERT_EQ(sender_.posts.size(), 5u);
    for (const auto& p : sender_.posts) {
        EXPECT_EQ(p.body, d.body) << "every attempt sends the same bytes";
    }
}

TEST_F(DeliveryWorkerTest, GivesUpAfter24Hours) {
    Delivery d = enqueue(kOnlineOrderingKey);
    Delivery behind = enqueue(kOnlineOrderingKey);
    for (int i = 0; i < 100; ++i) {
        sender_.answers.push_back(503);
    }
    int attempts = 0;
    while (stored(d.id).status() != DeliveryStatus::GivenUp && attempts < 100) {
        clock_.set(std::max(clock_.now(), stored(d.id).next_attempt_at));
        attempts += round();
    }
    EXPECT_EQ(attempts, 33);
    Delivery gone = stored(d.id);
    EXPECT_EQ(gone.status(), DeliveryStatus::GivenUp);
    EXPECT_LT(*gone.given_up_at, kT0 + 24h);
    EXPECT_GE(*gone.given_up_at + 1h, kT0 + 24h);
    EXPECT_EQ(stored(behind.id).attempts, 0) << "held behind the first until it was given up";
    sender_.answers.clear();
    EXPECT_EQ(round(), 1);
    EXPECT_EQ(stored(behind.id).status(), DeliveryStatus::Delivered);
}

TEST_F(DeliveryWorkerTest, AttemptsEvenWhenDueAfterTheDeadline) {
    Delivery d = enqueue(kOnlineOrderingKey);
    clock_.advance(30h);  // every replica was down
    sender_.answers = {500};
    EXPECT_EQ(round(), 1) << "at least one attempt";
    EXPECT_EQ(stored(d.id).status(), DeliveryStatus::GivenUp);
}

TEST_F(DeliveryWorkerTest, KeepsTheOrderOfEachVersion) {
    Delivery a1 = enqueue(version_ordering_key(1), kRolloutStarted);
    Delivery b1 = enqueue(version_ordering_key(2), kRolloutStarted);
    Delivery a2 = enqueue(version_ordering_key(1), kRolloutAdvanced);
    Delivery a3 = enqueue(version_ordering_key(1), kRolloutHalted);
    sender_.answers = {500, 200};  // a1 fails once, b1 goes through
    EXPECT_EQ(round(), 2);
    EXPECT_EQ(sender_.id_of(0), a1.id);
    EXPECT_EQ(sender_.id_of(1), b1.id);
    EXPECT_EQ(round(), 0) << "a2 waits for a1";
    clock_.advance(5s);
    EXPECT_EQ(round(), 1);
    EXPECT_EQ(round(), 1);
    EXPECT_EQ(round(), 1);
    EXPECT_EQ(round(), 0);
    ASSERT_EQ(sender_.posts.size(), 5u);
    EXPECT_EQ(sender_.id_of(2), a1.id);
    EXPECT_EQ(sender_.id_of(3), a2.id);
    EXPECT_EQ(sender_.id_of(4), a3.id);
}

TEST_F(DeliveryWorkerTest, ResumesDeliveriesAfterARestart) {
    Delivery d = enqueue(kOnlineOrderingKey);
    worker_.reset();
    outbox_.reset();
    auto reopened = SqliteWebhookOutbox::open(dir_.path() / "beacon.db");
    ASSERT_TRUE(reopened.ok());
    outbox_ = std::move(reopened).value();
    worker_ = std::make_unique<DeliveryWorker>(*outbox_, sender_, clock_, WorkerSettings{.secret = kSecret});
    EXPECT_EQ(round(), 1);
    EXPECT_EQ(sender_.id_of(0), d.id);
}

TEST_F(DeliveryWorkerTest, MadeDeliveriesCarryTheirFixedBody) {
    auto d = make_delivery(kOnlineDrop, kOnlineOrderingKey, json::object{{"from", 200}, {"to", 40}}, kT0);
    ASSERT_TRUE(d.ok());
    auto body = json::parse(d->body).as_object();
    EXPECT_EQ(body.size(), 4u);
    EXPECT_EQ(body.at("id").as_string(), d->id);
    EXPECT_EQ(body.at("type").as_string(), "online.drop");
    EXPECT_EQ(body.at("at").as_string(), "2026-12-01T08:00:00.000Z");
    EXPECT_EQ(body.at("data").at("from").as_int64(), 200);
    EXPECT_EQ(d->id.size(), 36u);
    EXPECT_EQ(d->id[14], '4') << "UUID v4: " << d->id;
    EXPECT_NE(make_delivery(kPing, kPingOrderingKey, {}, kT0)->id, d->id);
}

}  // namespace
}  // namespace beacon::webhooks
