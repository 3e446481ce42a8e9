// The PresenceStore contract for the Redis adapter. It runs when
// BEACON_TEST_REDIS_URL is set (see tools/run-redis-tests.sh) and is skipped
// otherwise; each store gets a unique key prefix. What only Redis has is in
// tests/unit/backends/redis_presence_test.cpp (no server) and
// tests/integration/backends/redis (a real one).

#include "backends/redis/redis_presence.hpp"
#include "presence_store_contract.hpp"
#include "support/redis_test_env.hpp"

namespace beacon::contract {
namespace {

INSTANTIATE_TEST_SUITE_P(Redis,
                         PresenceStoreContract,
                         ::testing::Values(PresenceStoreAdapter{"Redis",
                                                                [] {
                                                                    const char* url = test::test_redis_url();
                                                                    return owning_instance<telemetry::PresenceStore>(
                                                                        url != nullptr ? test::open_redis_presence(url)
                                                                                       : nullptr);
                                                                }}),
                         store_adapter_name<telemetry::PresenceStore>);

}  // namespace
}  // namespace beacon::contract
