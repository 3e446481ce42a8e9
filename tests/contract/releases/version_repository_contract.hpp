#pragma once

// The contract of releases::VersionRepository, run against every adapter.
//
// One suite (VersionRepositoryContract, tests in
// version_repository_contract.cpp) on adapter_contract.hpp's harness: a
// StoreAdapter<VersionRepository> makes a fresh, empty repository per test
// (null when the adapter's service is not configured here: skipped).
// Adding an adapter is one line in its own file:
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, VersionRepositoryContract,
//                            ::testing::Values(postgres_version_repository()),
//                            store_adapter_name<releases::VersionRepository>);

#include <functional>
#include <memory>
#include <vector>

#include "contract/adapter_contract.hpp"
#include "releases/version_repository.hpp"
#include "webhooks/delivery.hpp"

namespace beacon::contract {

template <>
struct AdapterTraits<releases::VersionRepository> {
    // Opens a second repository on the same storage, as another replica or
    // process would (the same database file, the same PostgreSQL schema).
    // Unset for an adapter that lives in one process's memory.
    std::function<std::unique_ptr<releases::VersionRepository>()> open_another;
    // Every webhook delivery a rollout record stored, as the adapter's
    // outbox reads them back (any order): where create_with_rollout and
    // update_with_rollout must have put them.
    std::function<std::vector<webhooks::Delivery>()> stored_deliveries;
};

using VersionRepositoryAdapter = StoreAdapter<releases::VersionRepository>;

class VersionRepositoryContract : public StoreContract<releases::VersionRepository> {
protected:
    releases::VersionRepository& repo() { return store(); }
};

}  // namespace beacon::contract
