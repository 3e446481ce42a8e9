// The WebhookOutbox contract: what every adapter of the outbox must do.

#include "webhook_outbox_contract.hpp"

#include <algorithm>
#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "webhooks/delivery.hpp"

namespace beacon::contract {
namespace {

using namespace std::chrono_literals;
using webhooks::AttemptRecord;
using webhooks::Delivery;
using webhooks::DeliveryStatus;

const TimePoint kT0 = *parse_iso8601("2026-12-01T08:00:00.000Z");

Delivery make(std::string_view key, TimePoint at, std::string_view type = "online.drop") {
    auto d = webhooks::make_delivery(type, key, boost::json::object{{"from", 200}, {"to", 50}}, at);
    EXPECT_TRUE(d.ok());
    return std::move(d).value();
}

std::vector<std::string> ids(const std::vector<Delivery>& ds) {
    std::vector<std::string> out;
    for (const auto& d : ds) {
        out.push_back(d.id);
    }
    return out;
}

AttemptRecord delivered(TimePoint at) {
    AttemptRecord a;
    a.at = at;
    a.http_status = 204;
    a.next = AttemptRecord::Next::Delivered;
    return a;
}

AttemptRecord retry(TimePoint at, TimePoint next, std::optional<int> status = 500) {
    AttemptRecord a;
    a.at = at;
    a.http_status = status;
    a.error = status ? "the receiver answered " + std::to_string(*status) : "connection refused";
    a.next = AttemptRecord::Next::Retry;
    a.retry_at = next;
    return a;
}

AttemptRecord give_up(TimePoint at) {
    AttemptRecord a;
    a.at = at;
    a.http_status = 503;
    a.error = "the receiver answered 503";
    a.next = AttemptRecord::Next::GiveUp;
    return a;
}

TEST_P(WebhookOutboxContract, StoresTheDeliveryAsEnqueued) {
    Delivery d = make("online", kT0);
    ASSERT_TRUE(store().enqueue(d).ok());
    auto got = store().get(d.id);
    ASSERT_TRUE(got.ok()) << got.error().message;
    EXPECT_EQ(got->id, d.id);
    EXPECT_EQ(got->type, "online.drop");
    EXPECT_EQ(got->ordering_key, "online");
    EXPECT_EQ(got->body, d.body);
    EXPECT_EQ(got->created_at, kT0);
    EXPECT_EQ(got->next_attempt_at, kT0);
    EXPECT_EQ(got->attempts, 0);
    EXPECT_FALSE(got->last_attempt_at);
    EXPECT_FALSE(got->last_status);
    EXPECT_FALSE(got->last_error);
    EXPECT_FALSE(got->delivered_at);
    EXPECT_FALSE(got->given_up_at);
    EXPECT_EQ(got->status(), DeliveryStatus::Pending);
}

TEST_P(WebhookOutboxContract, DuplicateIdIsAConflict) {
    Delivery d = make("online", kT0);
    ASSERT_TRUE(store().enqueue(d).ok());
    auto again = store().enqueue(d);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, ErrorCode::Conflict);
}

TEST_P(WebhookOutboxContract, UnknownIdIsNotFound) {
    auto got = store().get("no-such-id");
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().code, ErrorCode::NotFound);
    auto rec = store().record_attempt("no-such-id", delivered(kT0));
    ASSERT_FALSE(rec.ok());
    EXPECT_EQ(rec.error().code, ErrorCode::NotFound);
}

TEST_P(WebhookOutboxContract, ClaimsOnlyDueDeliveries) {
    Delivery d = make("online", kT0 + 10s);
    ASSERT_TRUE(store().enqueue(d).ok());
    auto early = store().claim_due(kT0 + 9s, kT0 + 70s, 10);
    ASSERT_TRUE(early.ok()) << early.error().message;
    EXPECT_TRUE(early->empty());
    auto due = store().claim_due(kT0 + 10s, kT0 + 70s, 10);
    ASSERT_TRUE(due.ok());
    ASSERT_EQ(ids(*due), std::vector<std::string>{d.id});
    EXPECT_EQ((*due)[0].body, d.body);
}

TEST_P(WebhookOutboxContract, AClaimLeasesUntilItEndsOrIsRecorded) {
    Delivery d = make("online", kT0);
    ASSERT_TRUE(store().enqueue(d).ok());
    ASSERT_EQ(store().claim_due(kT0, kT0 + 60s, 10)->size(), 1u);
    EXPECT_TRUE(store().claim_due(kT0 + 59s, kT0 + 120s, 10)->empty()) << "leased";
    // The holder died: the lease passes and another claim takes it.
    auto again = store().claim_due(kT0 + 60s, kT0 + 120s, 10);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(ids(*again), std::vector<std::string>{d.id});
    // A recorded retry ends the lease: due at its retry time.
    ASSERT_TRUE(store().record_attempt(d.id, retry(kT0 + 61s, kT0 + 66s)).ok());
    EXPECT_TRUE(store().claim_due(kT0 + 65s, kT0 + 200s, 10)->empty());
    EXPECT_EQ(store().claim_due(kT0 + 66s, kT0 + 200s, 10)->size(), 1u);
}

TEST_P(WebhookOutboxContract, OneDeliveryAtATimePerOrderingKeyOldestFirst) {
    Delivery a1 = make("version:1", kT0, "rollout.started");
    Delivery b1 = make("version:2", kT0 + 1s, "rollout.started");
    Delivery a2 = make("version:1", kT0 + 2s, "rollout.advanced");
    Delivery a3 = make("version:1", kT0 + 3s, "rollout.completed");
    for (const auto* d : {&a1, &b1, &a2, &a3}) {
        ASSERT_TRUE(store().enqueue(*d).ok());
    }
    auto first = store().claim_due(kT0 + 10s, kT0 + 70s, 10);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(ids(*first), (std::vector<std::string>{a1.id, b1.id})) << "each key's head, earliest due first";

    // a1 fails: a2 waits behind it, even when a1's retry is later than a2's due time.
    ASSERT_TRUE(store().record_attempt(a1.id, retry(kT0 + 11s, kT0 + 16s)).ok());
    ASSERT_TRUE(store().record_attempt(b1.id, delivered(kT0 + 11s)).ok());
    EXPECT_TRUE(store().claim_due(kT0 + 12s, kT0 + 70s, 10)->empty());

    auto retried = store().claim_due(kT0 + 16s, kT0 + 80s, 10);
    EXPECT_EQ(ids(*retried), std::vector<std::string>{a1.id});
    ASSERT_TRUE(store().record_attempt(a1.id, delivered(kT0 + 16s)).ok());
    auto second = store().claim_due(kT0 + 17s, kT0 + 80s, 10);
    EXPECT_EQ(ids(*second), std::vector<std::string>{a2.id});
    // A given-up delivery no longer holds its key.
    ASSERT_TRUE(store().record_attempt(a2.id, give_up(kT0 + 17s)).ok());
    auto third = store().claim_due(kT0 + 18s, kT0 + 80s, 10);
    EXPECT_EQ(ids(*third), std::vector<std::string>{a3.id});
}

TEST_P(WebhookOutboxContract, ClaimsAtMostTheLimitEarliestDueFirst) {
    std::vector<Delivery> ds;
    for (int i = 0; i < 5; ++i) {
        ds.push_back(make("key:" + std::to_string(i), kT0 + std::chrono::seconds(5 - i)));
        ASSERT_TRUE(store().enqueue(ds.back()).ok());
    }
    auto claimed = store().claim_due(kT0 + 10s, kT0 + 70s, 3);
    ASSERT_TRUE(claimed.ok());
    EXPECT_EQ(ids(*claimed), (std::vector<std::string>{ds[4].id, ds[3].id, ds[2].id}));
    auto rest = store().claim_due(kT0 + 10s, kT0 + 70s, 3);
    EXPECT_EQ(ids(*rest), (std::vector<std::string>{ds[1].id, ds[0].id}));
}

TEST_P(WebhookOutboxContract, RecordsEachAttempt) {
    Delivery d = make("online", kT0);
    ASSERT_TRUE(store().enqueue(d).ok());
    ASSERT_TRUE(store().record_attempt(d.id, retry(kT0 + 1s, kT0 + 6s, std::nullopt)).ok());
    auto one = store().get(d.id);
    ASSERT_TRUE(one.ok());
    EXPECT_EQ(one->attempts, 1);
    EXPECT_EQ(one->last_attempt_at, kT0 + 1s);
    EXPECT_FALSE(one->last_status) << "no answer";
    EXPECT_EQ(one->last_error, "connection refused");
    EXPECT_EQ(one->next_attempt_at, kT0 + 6s);
    EXPECT_EQ(one->status(), DeliveryStatus::FailedWillRetry);

    ASSERT_TRUE(store().record_attempt(d.id, retry(kT0 + 6s, kT0 + 16s, 500)).ok());
    auto two = store().get(d.id);
    EXPECT_EQ(two->attempts, 2);
    EXPECT_EQ(two->last_status, 500);
    EXPECT_EQ(two->last_error, "the receiver answered 500");

    ASSERT_TRUE(store().record_attempt(d.id, delivered(kT0 + 16s)).ok());
    auto three = store().get(d.id);
    EXPECT_EQ(three->attempts, 3);
    EXPECT_EQ(three->last_status, 204);
    EXPECT_FALSE(three->last_error);
    EXPECT_EQ(three->delivered_at, kT0 + 16s);
    EXPECT_EQ(three->status(), DeliveryStatus::Delivered);
    EXPECT_TRUE(store().claim_due(kT0 + 1h, kT0 + 2h, 10)->empty()) << "delivered: never again";

    Delivery e = make("other", kT0);
    ASSERT_TRUE(store().enqueue(e).ok());
    ASSERT_TRUE(store().record_attempt(e.id, give_up(kT0 + 24h)).ok());
    auto gone = store().get(e.id);
    EXPECT_EQ(gone->given_up_at, kT0 + 24h);
    EXPECT_EQ(gone->status(), DeliveryStatus::GivenUp);
    EXPECT_TRUE(store().claim_due(kT0 + 48h, kT0 + 49h, 10)->empty()) << "given up: never again";
}

TEST_P(WebhookOutboxContract, LatestListsNewestFirst) {
    std::vector<Delivery> ds;
    for (int i = 0; i < 4; ++i) {
        ds.push_back(make("k" + std::to_string(i % 2), kT0 + std::chrono::seconds(i)));
        ASSERT_TRUE(store().enqueue(ds.back()).ok());
    }
    Delivery same = make("k9", kT0 + 3s);  // same time as ds[3], enqueued later
    ASSERT_TRUE(store().enqueue(same).ok());
    auto all = store().latest(10);
    ASSERT_TRUE(all.ok()) << all.error().message;
    EXPECT_EQ(ids(*all), (std::vector<std::string>{same.id, ds[3].id, ds[2].id, ds[1].id, ds[0].id}));
    auto two = store().latest(2);
    EXPECT_EQ(ids(*two), (std::vector<std::string>{same.id, ds[3].id}));
}

TEST_P(WebhookOutboxContract, EnqueueInsideTheCallersTransaction) {
    ASSERT_TRUE(instance().enqueue_in_transaction) << "every adapter offers an in-transaction enqueue";
    Delivery kept = make("version:7", kT0, "rollout.halted");
    Delivery dropped = make("version:8", kT0, "rollout.halted");
    ASSERT_TRUE(instance().enqueue_in_transaction(kept, true).ok());
    ASSERT_TRUE(instance().enqueue_in_transaction(dropped, false).ok());
    EXPECT_TRUE(store().get(kept.id).ok());
    auto gone = store().get(dropped.id);
    ASSERT_FALSE(gone.ok());
    EXPECT_EQ(gone.error().code, ErrorCode::NotFound) << "rolled back with the caller's transaction";
    EXPECT_EQ(ids(*store().claim_due(kT0, kT0 + 60s, 10)), std::vector<std::string>{kept.id});
}

TEST_P(WebhookOutboxContract, TwoReplicasNeverClaimTheSameDelivery) {
    ASSERT_TRUE(instance().open_another);
    auto other = instance().open_another();
    ASSERT_NE(other, nullptr);
    constexpr int kCount = 40;
    for (int i = 0; i < kCount; ++i) {
        ASSERT_TRUE(store().enqueue(make("key:" + std::to_string(i), kT0)).ok());
    }
    std::vector<std::string> mine, theirs;
    std::atomic<bool> failed{false};
    auto drain = [&failed](webhooks::WebhookOutbox& o, std::vector<std::string>& got) {
        for (int round = 0; round < 50; ++round) {
            auto c = o.claim_due(kT0 + 1s, kT0 + 1h, 3);
            if (!c) {
                failed = true;
                return;
            }
            for (auto& d : *c) {
                got.push_back(d.id);
            }
        }
    };
    std::thread a([&] { drain(store(), mine); });
    std::thread b([&] { drain(*other, theirs); });
    a.join();
    b.join();
    ASSERT_FALSE(failed);
    std::set<std::string> all(mine.begin(), mine.end());
    for (const auto& id : theirs) {
        EXPECT_TRUE(all.insert(id).second) << id << " claimed by both";
    }
    EXPECT_EQ(all.size(), static_cast<std::size_t>(kCount));
}

}  // namespace
}  // namespace beacon::contract
