#pragma once

// The WebhookOutbox contract (webhooks/outbox.hpp), run against every
// adapter: sqlite_webhook_outbox_contract.cpp, postgres_webhook_outbox_contract.cpp.

#include <functional>
#include <memory>

#include "contract/adapter_contract.hpp"
#include "core/result.hpp"
#include "webhooks/outbox.hpp"

namespace beacon::contract {

template <>
struct AdapterTraits<webhooks::WebhookOutbox> {
    // Inserts the delivery with the adapter's in-transaction function inside
    // a transaction of the test's own on the same database, then commits
    // (commit = true) or rolls back. Every adapter must provide it.
    std::function<Result<void>(const webhooks::Delivery&, bool commit)> enqueue_in_transaction;
    // A second outbox on the same database (another replica).
    std::function<std::unique_ptr<webhooks::WebhookOutbox>()> open_another;
};

using WebhookOutboxAdapter = StoreAdapter<webhooks::WebhookOutbox>;
class WebhookOutboxContract : public StoreContract<webhooks::WebhookOutbox> {};

}  // namespace beacon::contract
