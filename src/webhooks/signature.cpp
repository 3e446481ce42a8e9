#include "webhooks/signature.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace beacon::webhooks {

std::string hmac_sha256_hex(std::string_view key, std::string_view message) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int size = 0;
    HMAC(EVP_sha256(),
         key.data(),
         static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(message.data()),
         message.size(),
         mac.data(),
         &size);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(size * 2);
    for (unsigned int i = 0; i < size; ++i) {
        hex.push_back(kHex[mac[i] >> 4]);
        hex.push_back(kHex[mac[i] & 0x0F]);
    }
    return hex;
}

std::string signature_header(std::string_view secret, std::int64_t unix_seconds, std::string_view body) {
    const std::string t = std::to_string(unix_seconds);
    std::string signed_text;
    signed_text.reserve(t.size() + 1 + body.size());
    signed_text.append(t).append(".").append(body);
    return "t=" + t + ",v1=" + hmac_sha256_hex(secret, signed_text);
}

bool verify_signature_header(std::string_view secret, std::string_view header, std::string_view body) {
    if (!header.starts_with("t=")) {
        return false;
    }
    const auto comma = header.find(',');
    if (comma == std::string_view::npos) {
        return false;
    }
    const std::string_view t = header.substr(2, comma - 2);
    const std::string_view rest = header.substr(comma + 1);
    if (t.empty() || t.size() > 19 || t.find_first_not_of("0123456789") != std::string_view::npos ||
        !rest.starts_with("v1=")) {
        return false;
    }
    const std::string_view given = rest.substr(3);
    std::string signed_text;
    signed_text.append(t).append(".").append(body);
    const std::string expected = hmac_sha256_hex(secret, signed_text);
    if (given.size() != expected.size()) {
        return false;
    }
    return CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

}  // namespace beacon::webhooks
