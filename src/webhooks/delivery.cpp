#include "webhooks/delivery.hpp"

#include <openssl/rand.h>

#include <array>

#include "core/json_write.hpp"
#include "core/time_format.hpp"

namespace beacon::webhooks {

std::string version_ordering_key(std::int64_t version_id) {
    return "version:" + std::to_string(version_id);
}

std::string_view status_name(DeliveryStatus s) {
    switch (s) {
        case DeliveryStatus::Pending:
            return "pending";
        case DeliveryStatus::FailedWillRetry:
            return "failed-will-retry";
        case DeliveryStatus::Delivered:
            return "delivered";
        case DeliveryStatus::GivenUp:
            return "given-up";
    }
    return "pending";
}

DeliveryStatus Delivery::status() const {
    if (delivered_at) {
        return DeliveryStatus::Delivered;
    }
    if (given_up_at) {
        return DeliveryStatus::GivenUp;
    }
    return attempts == 0 ? DeliveryStatus::Pending : DeliveryStatus::FailedWillRetry;
}

Result<std::string> random_uuid() {
    std::array<unsigned char, 16> b{};
    if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) {
        return make_error(ErrorCode::Internal, "OpenSSL RAND_bytes failed");
    }
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 9562 variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out.push_back('-');
        }
        out.push_back(kHex[b[i] >> 4]);
        out.push_back(kHex[b[i] & 0x0F]);
    }
    return out;
}

Result<Delivery> make_delivery(std::string_view type,
                               std::string_view ordering_key,
                               const boost::json::object& data,
                               TimePoint at) {
    auto id = random_uuid();
    if (!id) {
        return std::move(id).error();
    }
    Delivery d;
    d.id = std::move(id).value();
    d.type = std::string(type);
    d.ordering_key = std::string(ordering_key);
    d.created_at = at;
    d.next_attempt_at = at;
    // Plain decimals (json_write), as every response of the API.
    d.body =
        json_write(boost::json::object{{"id", d.id}, {"type", d.type}, {"at", format_iso8601(at)}, {"data", data}});
    return d;
}

}  // namespace beacon::webhooks
