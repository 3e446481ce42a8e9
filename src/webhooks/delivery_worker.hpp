#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "webhooks/outbox.hpp"
#include "webhooks/retry_schedule.hpp"
#include "webhooks/sender.hpp"

namespace beacon::webhooks {

struct WorkerSettings {
    std::string secret;  // BEACON_WEBHOOK_SECRET (may be empty: signed with the empty key)
    RetrySchedule schedule;
    // How long a claimed delivery stays leased to this worker: longer than
    // one POST can take (the sender's total timeout), so a lease only passes
    // when its holder died.
    Millis lease{60'000};
    // Deliveries claimed per round.
    int batch = 20;
    // How long the thread sleeps between rounds when nothing woke it (real
    // time: how soon a due retry is noticed).
    Millis poll{1000};
};

// The one sender of the outbox: each round claims the due key heads
// (WebhookOutbox::claim_due), POSTs each through the WebhookSender with a
// fresh Beacon-Signature, and records the outcome: a 2xx delivers it;
// anything else (another status, no answer) is retried on the
// RetrySchedule or given up. Due times come from the injected Clock.
//
// It runs on a thread of its own (start/stop), so a receiver that hangs
// holds up only the deliveries behind it, for at most the sender's timeout,
// and never an I/O thread or a job. Deliveries are in the database: after a
// restart the worker simply finds them due. With several replicas each runs
// a worker; the outbox's leases keep a delivery on one at a time.
//
// Thread-safe: run_once() (what the thread does each round; tests call it
// with a manual clock and a fake sender) and wake() may be called from any
// thread, though rounds should not overlap.
class DeliveryWorker {
public:
    // For logs and metrics; each optional, must not throw.
    struct Observers {
        // After each attempt, before it is recorded.
        std::function<void(const Delivery&, const AttemptRecord&)> on_attempt;
        // When a round of the thread failed (the outbox is unavailable).
        std::function<void(const Error&)> on_error;
    };

    DeliveryWorker(WebhookOutbox& outbox,
                   WebhookSender& sender,
                   const Clock& clock,
                   WorkerSettings settings,
                   Observers observers = {});
    ~DeliveryWorker();
    DeliveryWorker(const DeliveryWorker&) = delete;
    DeliveryWorker& operator=(const DeliveryWorker&) = delete;

    // One round; returns how many deliveries it attempted, or the outbox's error.
    Result<int> run_once();

    // Starts the thread (a round at once, then one per `poll` or wake()).
    void start();
    // Ends the thread after the round in progress.
    void stop();
    // Makes the thread start a round now (after an enqueue).
    void wake();

private:
    void thread_main();

    WebhookOutbox& outbox_;
    WebhookSender& sender_;
    const Clock& clock_;
    const WorkerSettings settings_;
    Observers observers_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    bool woken_ = false;
    std::thread thread_;
};

}  // namespace beacon::webhooks
