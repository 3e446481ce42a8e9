#include "contract/storage/s3_test_env.hpp"

#include <cstdlib>
#include <random>

namespace beacon::contract {

namespace {

std::string env_or(const char* name, std::string fallback) {
    const char* value = std::getenv(name);
    return value != nullptr && *value != '\0' ? std::string(value) : std::move(fallback);
}

}  // namespace

std::optional<backends::s3::S3StoreSettings> s3_settings_from_env() {
    std::string endpoint = env_or("BEACON_TEST_S3_ENDPOINT", "");
    if (endpoint.empty()) {
        return std::nullopt;
    }
    backends::s3::S3StoreSettings settings;
    settings.endpoint = std::move(endpoint);
    settings.bucket = env_or("BEACON_TEST_S3_BUCKET", "beacon-test");
    settings.region = env_or("BEACON_TEST_S3_REGION", "us-east-1");
    settings.credentials.access_key_id = env_or("BEACON_TEST_S3_ACCESS_KEY", "S3RVER");
    settings.credentials.secret_access_key = env_or("BEACON_TEST_S3_SECRET_KEY", "S3RVER");
    return settings;
}

std::string s3_direct_endpoint_from_env() {
    return env_or("BEACON_TEST_S3_DIRECT_ENDPOINT", "");
}

const Clock& s3_test_clock() {
    static const SystemClock clock;
    return clock;
}

std::string random_hex(std::size_t bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::random_device device;
    std::string out;
    for (std::size_t i = 0; i < bytes; ++i) {
        const auto b = static_cast<unsigned>(device()) & 0xffu;
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
    }
    return out;
}

}  // namespace beacon::contract
