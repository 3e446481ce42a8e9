#pragma once

#include <memory>
#include <string>

#include "backends/postgres/connection.hpp"
#include "backends/postgres/pg_database.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "releases/version_repository.hpp"

namespace beacon::backends::postgres {

// releases::VersionRepository on PostgreSQL (tables app_versions, artifacts,
// catalog_state of the same database and schema as PgDatabase), for any
// number of replicas sharing it.
//
// Each write is one READ COMMITTED transaction on a pooled connection of its
// own pool (sized by PgOptions::pool_size). Version writes first lock the
// catalog_state row, which serialises them cluster-wide (admin writes are rare
// and short) and so keeps their artifact row locks in one order; a trigger
// (migration 0002) bumps the revision in the same transaction. The update
// compare-and-set is one UPDATE ... WHERE revision = expected. load_catalog()
// reads the revision and the versions in one REPEATABLE READ snapshot. The
// cleanup's remove_unreferenced_artifact() locks the artifact row before it
// checks for users, so it cannot race a version claiming the artifact.
//
// Errors: as the port says; the adapter's mapping (connection.hpp: transient
// SQLSTATEs and lost connections -> Unavailable, anything else -> Internal),
// except a unique violation (23505) on a version write -> Conflict. Messages
// never hold the URL. Thread-safe.
class PgVersionRepository final : public releases::VersionRepository, public HealthProbe {
public:
    // Connects to `url` (postgres://..., the same as PgDatabase's) and applies
    // the pending migrations (PgDatabase::migrate, under its advisory lock), so
    // it may be opened before or after PgDatabase. Unavailable when the server
    // cannot be reached or holds a newer schema.
    static Result<std::unique_ptr<PgVersionRepository>> open(std::string url, PgOptions options = {});

    // Precondition: no call is in flight.
    ~PgVersionRepository() override = default;
    PgVersionRepository(const PgVersionRepository&) = delete;
    PgVersionRepository& operator=(const PgVersionRepository&) = delete;

    Result<releases::ReleaseVersion> create(const releases::ReleaseVersion& version) override;
    Result<releases::ReleaseVersion> get(std::int64_t id) override;
    Result<releases::VersionPage> list(const releases::VersionFilter& filter,
                                       int limit,
                                       const std::optional<releases::VersionCursor>& after) override;
    Result<releases::ReleaseVersion> update(const releases::ReleaseVersion& version,
                                            std::int64_t expected_revision) override;
    Result<releases::ReleaseVersion> create_with_rollout(const releases::ReleaseVersion& version,
                                                         const releases::RolloutRecord& record) override;
    Result<releases::ReleaseVersion> update_with_rollout(const releases::ReleaseVersion& version,
                                                         std::int64_t expected_revision,
                                                         const releases::RolloutRecord& record) override;
    Result<std::vector<releases::RolloutDecision>> list_rollout_decisions(std::int64_t id, int limit) override;
    Result<releases::ReleaseVersion> remove(std::int64_t id,
                                            std::optional<std::int64_t> expected_revision,
                                            TimePoint now) override;
    Result<std::map<std::int64_t, std::string>> version_names(releases::Platform platform,
                                                              std::span<const std::int64_t> codes) override;
    Result<std::int64_t> catalog_revision() override;
    Result<releases::CatalogSnapshot> load_catalog() override;

    Result<releases::PutArtifactResult> put_artifact(const releases::ArtifactRecord& record) override;
    Result<releases::ArtifactRecord> get_artifact(std::string_view key) override;
    Result<std::int64_t> count_versions_using(std::string_view key) override;
    Result<std::vector<releases::ArtifactRecord>> list_unreferenced_artifacts(TimePoint cutoff, int limit) override;
    Result<bool> remove_unreferenced_artifact(std::string_view key, std::optional<TimePoint> cutoff) override;

    // HealthProbe: reads the catalog revision.
    Result<void> ping() override;

private:
    // create() and update(), storing `record` too when it is given.
    Result<releases::ReleaseVersion> create_version(const releases::ReleaseVersion& version,
                                                    const releases::RolloutRecord* record);
    Result<releases::ReleaseVersion> update_version(const releases::ReleaseVersion& version,
                                                    std::int64_t expected_revision,
                                                    const releases::RolloutRecord* record);
    explicit PgVersionRepository(std::unique_ptr<ConnectionPool> pool) : pool_(std::move(pool)) {}

    std::unique_ptr<ConnectionPool> pool_;
};

}  // namespace beacon::backends::postgres
