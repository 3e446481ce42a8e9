#pragma once

// The one harness of every contract suite: each port's suite runs against
// every adapter of that port through the same three pieces.
//
//  - StoreAdapter<Port>: a name (the test-name suffix) and a factory that
//    makes a fresh, empty store per test.
//  - StoreInstance<Port>: what the factory returns: the port, an owner that
//    keeps the adapter and whatever it needs (files, a schema, a server)
//    alive for the test, and the port's AdapterTraits<Port> (what an adapter
//    tells the suite beyond the port, e.g. legitimate differences as flags).
//  - StoreContract<Port>: the value-parameterised fixture a suite derives
//    from; store() is the port under test.
//
// Adding an adapter is one INSTANTIATE_TEST_SUITE_P line per suite:
//
//   INSTANTIATE_TEST_SUITE_P(Sqlite, EventStoreContract,
//                            ::testing::Values(sqlite_adapter<telemetry::EventStore>()),
//                            store_adapter_name<telemetry::EventStore>);
//
// A factory whose service is not configured here (no server URL in the
// environment) returns a null port: its tests are skipped. One that fails to
// open a configured service adds a failure and returns a null port: its
// tests fail.

#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <utility>

#include <gtest/gtest.h>

namespace beacon::contract {

// What an adapter tells a port's suite beyond the port itself; specialised by
// the suites that need it (before their first StoreInstance), empty otherwise.
template <typename Port>
struct AdapterTraits {};

// One store under test.
template <typename Port>
struct StoreInstance : AdapterTraits<Port> {
    // Keeps the adapter and whatever it needs alive for the test.
    std::shared_ptr<void> owner;
    // The port under test; null when the adapter is not configured here.
    Port* port = nullptr;
};

// An instance owning `store` (null: not configured here).
template <typename Port, typename Store>
StoreInstance<Port> owning_instance(std::unique_ptr<Store> store) {
    StoreInstance<Port> instance;
    instance.port = store.get();
    instance.owner = std::shared_ptr<Store>(std::move(store));
    return instance;
}

template <typename Port>
struct StoreAdapter {
    std::string name;  // test-name suffix, [A-Za-z0-9_] only ("Sqlite", "Postgres")
    std::function<StoreInstance<Port>()> make;
};

template <typename Port>
void PrintTo(const StoreAdapter<Port>& adapter, std::ostream* os) {
    *os << adapter.name;
}

// Names instantiated tests after the adapter: EventStoreContract.X/Sqlite.
template <typename Port>
std::string store_adapter_name(const ::testing::TestParamInfo<StoreAdapter<Port>>& info) {
    return info.param.name;
}

template <typename Port>
class StoreContract : public ::testing::TestWithParam<StoreAdapter<Port>> {
protected:
    void SetUp() override {
        instance_ = this->GetParam().make();
        if (instance_.port == nullptr) {
            if (::testing::Test::HasFailure()) {
                FAIL() << this->GetParam().name << " is configured but could not be opened";
            }
            GTEST_SKIP() << this->GetParam().name << " is not configured in this environment";
        }
    }
    void TearDown() override { instance_ = {}; }

    Port& store() { return *instance_.port; }
    StoreInstance<Port>& instance() { return instance_; }

private:
    StoreInstance<Port> instance_;
};

}  // namespace beacon::contract
