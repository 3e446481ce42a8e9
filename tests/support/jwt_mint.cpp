#include "support/jwt_mint.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace beacon::test {

std::string base64url(std::string_view bytes) {
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    if (bytes.size() - i == 1) {
        std::uint32_t v = byte(i) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (bytes.size() - i == 2) {
        std::uint32_t v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::string base64url_decode(std::string_view text) {
    std::string out;
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        int v = -1;
        if (c >= 'A' && c <= 'Z') {
            v = c - 'A';
        } else if (c >= 'a' && c <= 'z') {
            v = c - 'a' + 26;
        } else if (c >= '0' && c <= '9') {
            v = c - '0' + 52;
        } else if (c == '-') {
            v = 62;
        } else if (c == '_') {
            v = 63;
        }
        if (v < 0) {
            continue;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xFF));
        }
    }
    return out;
}

std::string sign_jwt(const boost::json::object& header,
                     const boost::json::object& claims,
                     std::string_view secret,
                     std::string_view digest) {
    std::string signing_input =
        base64url(boost::json::serialize(header)) + "." + base64url(boost::json::serialize(claims));
    if (digest.empty()) {
        return signing_input + ".";
    }
    const EVP_MD* md = EVP_get_digestbyname(std::string(digest).c_str());
    if (md == nullptr) {
        ADD_FAILURE() << "unknown digest " << digest;
        return {};
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(md,
             secret.data(),
             static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(signing_input.data()),
             signing_input.size(),
             mac,
             &mac_len) == nullptr) {
        ADD_FAILURE() << "HMAC failed";
        return {};
    }
    return signing_input + "." + base64url(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::int64_t epoch_seconds_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string make_token(std::string_view secret,
                       std::string_view sub,
                       bool admin,
                       std::chrono::seconds ttl,
                       const boost::json::object& extra) {
    auto now = epoch_seconds_now();
    boost::json::object claims{{"sub", sub}, {"iat", now}, {"exp", now + ttl.count()}};
    if (admin) {
        claims["role"] = "admin";
    }
    for (const auto& kv : extra) {
        claims[kv.key()] = kv.value();
    }
    return sign_jwt({{"alg", "HS256"}, {"typ", "JWT"}}, claims, secret);
}

}  // namespace beacon::test
