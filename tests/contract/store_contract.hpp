#pragma once

// The contracts of the database ports (EventStore, DailyStatsStore,
// SnapshotStore, jobs::JobLedger), run against every adapter.
//
// The harness is adapter_contract.hpp's (see sqlite_contract.cpp for the
// adapters' lines). The suites use only the ports.

#include <cstddef>
#include <functional>

#include "contract/adapter_contract.hpp"
#include "jobs/job_ledger.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::contract {

template <>
struct AdapterTraits<telemetry::EventStore> {
    // Makes the next append() fail after it has written min(n, size) of its
    // events inside its transaction. Every adapter must provide it, so that
    // all-or-nothing is tested everywhere.
    std::function<void(std::size_t)> fail_next_append_after;
    // Retention removes whole UTC calendar months (see
    // EventStore::delete_events_before) rather than exactly the older events.
    bool retention_by_month = false;
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
