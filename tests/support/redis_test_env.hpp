#pragma once

// The Redis test peer for the Redis adapter's suites (tests/contract,
// tests/unit/backends, tests/integration/backends/redis): BEACON_TEST_REDIS_URL
// (tools/run-redis-tests.sh and tools/run-tests.sh start a server and set it),
// and stores with a unique key prefix each, so tests sharing one server never
// see each other's keys. Header-only: its includers link beacon_backend_redis.

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "backends/redis/redis_presence.hpp"

namespace beacon::test {

inline constexpr const char* kRedisUrlVariable = "BEACON_TEST_REDIS_URL";

// BEACON_TEST_REDIS_URL, or null when it is unset or empty.
inline const char* test_redis_url() {
    const char* url = std::getenv(kRedisUrlVariable);
    return url != nullptr && *url != '\0' ? url : nullptr;
}

inline std::string unique_redis_prefix() {
    static std::atomic<int> counter{0};
    return "beacon-test:" + std::to_string(::getpid()) + ":" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()) + ":" +
           std::to_string(counter++);
}

// Default options with a key prefix of their own.
inline backends::redis::RedisPresenceOptions redis_test_options() {
    backends::redis::RedisPresenceOptions options;
    options.key_prefix = unique_redis_prefix();
    return options;
}

// The store at `url`; null (and a test failure) when it cannot be opened.
inline std::unique_ptr<backends::redis::RedisPresence> open_redis_presence(
    const std::string& url, backends::redis::RedisPresenceOptions options = redis_test_options()) {
    auto endpoint = backends::redis::parse_redis_url(url);
    if (!endpoint) {
        ADD_FAILURE() << endpoint.error().message;
        return nullptr;
    }
    auto store = backends::redis::RedisPresence::open(*endpoint, std::move(options));
    if (!store) {
        ADD_FAILURE() << "opening Redis presence at " << url << ": " << store.error().message;
        return nullptr;
    }
    return std::move(store).value();
}

}  // namespace beacon::test
