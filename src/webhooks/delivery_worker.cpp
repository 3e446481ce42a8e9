#include "webhooks/delivery_worker.hpp"

#include <chrono>
#include <utility>

#include "webhooks/signature.hpp"

namespace beacon::webhooks {

DeliveryWorker::DeliveryWorker(
    WebhookOutbox& outbox, WebhookSender& sender, const Clock& clock, WorkerSettings settings, Observers observers)
    : outbox_(outbox),
      sender_(sender),
      clock_(clock),
      settings_(std::move(settings)),
      observers_(std::move(observers)) {}

DeliveryWorker::~DeliveryWorker() {
    stop();
}

Result<int> DeliveryWorker::run_once() {
    const TimePoint now = clock_.now();
    auto claimed = outbox_.claim_due(now, now + settings_.lease, settings_.batch);
    if (!claimed) {
        return std::move(claimed).error().with_context("claiming webhook deliveries");
    }
    int attempted = 0;
    for (const Delivery& d : *claimed) {
        // Signed at send time: a receiver that refuses old timestamps still
        // accepts a retry made hours later.
        const TimePoint sent_at = clock_.now();
        const auto seconds = std::chrono::floor<std::chrono::seconds>(sent_at.time_since_epoch()).count();
        PostOutcome out = sender_.post(d.body, signature_header(settings_.secret, seconds, d.body));
        AttemptRecord rec;
        rec.at = sent_at;
        rec.http_status = out.http_status;
        const bool delivered = out.http_status && *out.http_status >= 200 && *out.http_status <= 299;
        if (delivered) {
            rec.next = AttemptRecord::Next::Delivered;
        } else {
            rec.error =
                !out.error.empty() ? out.error : "the receiver answered " + std::to_string(out.http_status.value_or(0));
            auto next = settings_.schedule.next_attempt(d.created_at, sent_at, d.attempts + 1);
            if (next) {
                rec.next = AttemptRecord::Next::Retry;
                rec.retry_at = *next;
            } else {
                rec.next = AttemptRecord::Next::GiveUp;
            }
        }
        ++attempted;
        if (observers_.on_attempt) {
            observers_.on_attempt(d, rec);
        }
        if (auto r = outbox_.record_attempt(d.id, rec); !r) {
            // The lease runs out and the delivery is sent again: at least once.
            return std::move(r).error().with_context("recording webhook delivery " + d.id);
        }
    }
    return attempted;
}

void DeliveryWorker::start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    thread_ = std::thread([this] { thread_main(); });
}

void DeliveryWorker::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void DeliveryWorker::wake() {
    {
        std::lock_guard lock(mu_);
        woken_ = true;
    }
    cv_.notify_all();
}

void DeliveryWorker::thread_main() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
        woken_ = false;
        lock.unlock();
        // A full batch may mean more are due: go again at once.
        bool more = false;
        if (auto n = run_once(); n) {
            more = *n >= settings_.batch;
        } else if (observers_.on_error) {
            observers_.on_error(n.error());
        }
        lock.lock();
        if (!more) {
            cv_.wait_for(lock, settings_.poll, [this] { return stopping_ || woken_; });
        }
    }
}

}  // namespace beacon::webhooks
