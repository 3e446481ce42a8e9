#pragma once

// The contract of telemetry::PresenceStore, run against every adapter.
//
// Each adapter contributes one PresenceStoreAdapter and one
// INSTANTIATE_TEST_SUITE_P line (see presence_store_contract.cpp). The suite
// only uses the port: it makes a fresh store per test, passes time in
// explicitly, and never looks at adapter internals, so an out-of-process
// adapter (Redis) runs it unchanged.

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "telemetry/presence_store.hpp"

namespace beacon::contract {

struct PresenceStoreAdapter {
    // Test-name suffix, [A-Za-z0-9_] only ("Memory", "Redis").
    std::string name;
    // A fresh, empty store for one test. May return nullptr when the adapter's
    // service is not configured here (e.g. no BEACON_REDIS_URL): the test is
    // then skipped, not failed.
    std::function<std::unique_ptr<telemetry::PresenceStore>()> make;
};

inline void PrintTo(const PresenceStoreAdapter& adapter, std::ostream* os) {
    *os << adapter.name;
}

// Names instantiated tests after the adapter: PresenceStoreContract.X/Memory.
inline std::string presence_adapter_name(const ::testing::TestParamInfo<PresenceStoreAdapter>& info) {
    return info.param.name;
}

class PresenceStoreContract : public ::testing::TestWithParam<PresenceStoreAdapter> {
protected:
    void SetUp() override {
        store_ = GetParam().make();
        if (!store_) {
            GTEST_SKIP() << GetParam().name << " is not configured in this environment";
        }
    }
    void TearDown() override { store_.reset(); }

    telemetry::PresenceStore& store() { return *store_; }

private:
    std::unique_ptr<telemetry::PresenceStore> store_;
};

}  // namespace beacon::contract
