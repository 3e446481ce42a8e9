#pragma once

#include <functional>

#include "core/clock.hpp"
#include "http/router.hpp"
#include "webhooks/outbox.hpp"

namespace beacon::http {

struct WebhookApi {
    webhooks::WebhookOutbox& outbox;
    const Clock& clock;
    // False without BEACON_WEBHOOK_URL: nothing is enqueued (ping is a 409).
    bool enabled = false;
    // Tells the sender a delivery is waiting (optional).
    std::function<void()> wake = nullptr;
};

// GET /admin/webhooks/deliveries (the latest deliveries and their last
// attempts, newest first) and POST /admin/webhooks/ping (enqueues a `ping`
// event, to check a receiver). Admin only. See docs/API.md "Webhooks".
void add_webhook_routes(Router& router, WebhookApi& api);

}  // namespace beacon::http
