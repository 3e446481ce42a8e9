#pragma once

// The contract of telemetry::PresenceStore, run against every adapter through
// adapter_contract.hpp's harness (the memory adapter's line is in
// presence_store_contract.cpp, Redis's in redis_contract.cpp). The suite only
// uses the port: it makes a fresh store per test, passes time in explicitly,
// and never looks at adapter internals, so an out-of-process adapter (Redis)
// runs it unchanged.

#include "contract/adapter_contract.hpp"
#include "telemetry/presence_store.hpp"

namespace beacon::contract {

using PresenceStoreAdapter = StoreAdapter<telemetry::PresenceStore>;

class PresenceStoreContract : public StoreContract<telemetry::PresenceStore> {};

}  // namespace beacon::contract
