#pragma once

#include <memory>
#include <string>

#include "core/clock.hpp"
#include "webhooks/sender.hpp"

namespace beacon::backends::curl {

struct CurlSenderSettings {
    std::string url;  // http:// or https:// (validated by the configuration)
    // A receiver that does not accept the connection fails the attempt after
    // this; one that accepts but does not answer, after `total_timeout`.
    Millis connect_timeout{5000};
    Millis total_timeout{10000};
};

// webhooks::WebhookSender over libcurl: one POST per call on a reused easy
// handle (keep-alive to the receiver), no redirects followed (a 3xx is not
// a 2xx: retried), http and https only, TLS certificates verified. The
// response body is read and discarded, never stored. Errors are libcurl's short text, which
// never holds the body or the signature. Not thread-safe (the worker calls
// it from its one thread).
class CurlWebhookSender final : public webhooks::WebhookSender {
public:
    explicit CurlWebhookSender(CurlSenderSettings settings);
    ~CurlWebhookSender() override;
    CurlWebhookSender(const CurlWebhookSender&) = delete;
    CurlWebhookSender& operator=(const CurlWebhookSender&) = delete;

    webhooks::PostOutcome post(std::string_view body, std::string_view signature) override;

private:
    const CurlSenderSettings settings_;
    void* handle_ = nullptr;  // CURL*
};

}  // namespace beacon::backends::curl
