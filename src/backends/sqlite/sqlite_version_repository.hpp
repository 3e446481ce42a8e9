#pragma once

#include <filesystem>
#include <memory>
#include <mutex>

#include "backends/sqlite/sqlite_database.hpp"
#include "core/health.hpp"
#include "core/result.hpp"
#include "releases/version_repository.hpp"

namespace beacon::backends::sqlite {

class Connection;

// releases::VersionRepository on the embedded database file (the same file as
// SqliteDatabase; tables app_versions, artifacts, catalog_state).
//
// It keeps two connections of its own beside SqliteDatabase's: a writer, each
// call one BEGIN IMMEDIATE transaction (SQLite's file lock serialises it with
// the event writer; admin writes are rare and short), and a reader for
// listings, polls and catalog loads, which WAL lets run beside any writer.
// Each connection is guarded by its own mutex.
//
// Errors: as the port says; the SQLite codes map as in make_sqlite_error
// (busy past busy_timeout, I/O, full, corrupt -> Unavailable; anything else
// -> Internal), except a unique violation -> Conflict. Thread-safe.
class SqliteVersionRepository final : public releases::VersionRepository, public HealthProbe {
public:
    // Opens `file` (creating it; its directory must exist) and applies the
    // pending migrations (SqliteDatabase::migrate), so it may be opened
    // before or after SqliteDatabase.
    static Result<std::unique_ptr<SqliteVersionRepository>> open(const std::filesystem::path& file,
                                                                 const SqliteOptions& options = {});

    ~SqliteVersionRepository() override;
    SqliteVersionRepository(const SqliteVersionRepository&) = delete;
    SqliteVersionRepository& operator=(const SqliteVersionRepository&) = delete;

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
    SqliteVersionRepository(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader);

    // Runs `body` inside BEGIN IMMEDIATE ... COMMIT on the writer (the caller
    // holds writer_mutex_), rolling back when it or the commit fails.
    template <typename T, typename Body>
    Result<T> in_write_transaction(std::string_view what, Body&& body);

    std::mutex writer_mutex_;
    std::unique_ptr<Connection> writer_;
    std::mutex reader_mutex_;
    std::unique_ptr<Connection> reader_;
};

}  // namespace beacon::backends::sqlite
