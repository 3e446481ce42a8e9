#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace beacon::webhooks {

// What one POST to the webhook URL came to.
struct PostOutcome {
    std::optional<int> http_status;  // none: no HTTP answer (refused, reset, timed out)
    std::string error;               // empty when an answer came; else why not
};

// Port: POSTs one signed body to the configured webhook URL
// (backends/curl/curl_webhook_sender.hpp; tests fake it). Sends
// `Content-Type: application/json` and `Beacon-Signature: <signature>`.
// Bounded in time by the adapter's connect and total timeouts: it returns
// even when the receiver hangs. Called from one thread at a time.
class WebhookSender {
public:
    virtual ~WebhookSender() = default;
    virtual PostOutcome post(std::string_view body, std::string_view signature) = 0;
};

}  // namespace beacon::webhooks
