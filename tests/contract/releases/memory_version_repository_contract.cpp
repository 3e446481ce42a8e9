// The VersionRepository contract for the in-memory fake that the releases
// unit tests use, so that the fake cannot drift from the real adapters.

#include <memory>

#include "memory_version_repository.hpp"
#include "version_repository_contract.hpp"

namespace beacon::contract {
namespace {

VersionRepositoryAdapter memory_version_repository() {
    return {"Memory", [] {
                StoreInstance<releases::VersionRepository> instance;
                auto repo = std::make_shared<test::MemoryVersionRepository>();
                instance.port = repo.get();
                instance.stored_deliveries = [raw = repo.get()] { return raw->deliveries_for_test(); };
                instance.owner = std::move(repo);
                return instance;
            }};
}

INSTANTIATE_TEST_SUITE_P(Memory,
                         VersionRepositoryContract,
                         ::testing::Values(memory_version_repository()),
                         store_adapter_name<releases::VersionRepository>);

}  // namespace
}  // namespace beacon::contract
