#pragma once

// The contracts of the database ports (EventStore, DailyStatsStore,
// SnapshotStore, jobs::JobLedger), run against every adapter.
//
// Each suite is value-parameterized over an adapter (StoreAdapter<Port>): a
// name and a factory that makes a fresh, empty store per test. The suites use
// only the ports, so adding an adapter is one INSTANTIATE_TEST_SUITE_P line per
// suite (see sqlite_contract.cpp); an adapter whose service is not configured
// here returns a null port and its tests are skipped.

#include <cstddef>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include <gtest/gtest.h>

#include "jobs/job_ledger.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::contract {

// One store under test.
template <typename Port>
struct StoreInstance {
    // Keeps the adapter and whatever it needs (files, a schema) alive for the test.
    std::shared_ptr<void> owner;
    // The port under test; null when the adapter is not configured here.
    Port* port = nullptr;
    // EventStore only: makes the next append() fail after it has written
    // min(n, size) of its events inside its transaction. Every adapter must
    // provide it, so that all-or-nothing is tested everywhere.
    std::function<void(std::size_t)> fail_next_append_after;
    // EventStore only: retention removes whole UTC calendar months (see
    // EventStore::delete_events_before) rather than exactly the older events.
    bool retention_by_month = false;
};

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
            GTEST_SKIP() << this->GetParam().name << " is not configured in this environment";
        }
    }
    void TearDown() override { instance_ = {}; }

    Port& store() { return *instance_.port; }
    StoreInstance<Port>& instance() { return instance_; }

private:
    StoreInstance<Port> instance_;
};

using EventStoreAdapter = StoreAdapter<telemetry::EventStore>;
using DailyStatsStoreAdapter = StoreAdapter<telemetry::DailyStatsStore>;
using SnapshotStoreAdapter = StoreAdapter<telemetry::SnapshotStore>;
using JobLedgerAdapter = StoreAdapter<jobs::JobLedger>;

class EventStoreContract : public StoreContract<telemetry::EventStore> {};
class DailyStatsStoreContract : public StoreContract<telemetry::DailyStatsStore> {};
class SnapshotStoreContract : public StoreContract<telemetry::SnapshotStore> {};
class JobLedgerContract : public StoreContract<jobs::JobLedger> {};

}  // namespace beacon::contract
