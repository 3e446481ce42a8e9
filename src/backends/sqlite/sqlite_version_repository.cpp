#include "backends/sqlite/sqlite_version_repository.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>

#include "backends/sqlite/connection.hpp"
#include "backends/sqlite/queries.hpp"
#include "backends/sqlite/releases_queries.hpp"
#include "backends/sqlite/sqlite_webhook_outbox.hpp"
#include "releases/detected_package_json.hpp"

namespace beacon::backends::sqlite {

using releases::Artifact;
using releases::ArtifactRecord;
using releases::CatalogSnapshot;
using releases::duplicate_version;
using releases::PutArtifactResult;
using releases::ReleaseVersion;
using releases::stale_revision;
using releases::unknown_artifact;
using releases::version_not_found;
using releases::VersionCursor;
using releases::VersionFilter;
using releases::VersionPage;

namespace {

std::optional<std::int64_t> optional_int64(const Statement& row, int column) {
    if (row.is_null(column)) {
        return std::nullopt;
    }
    return row.int64(column);
}

// Reads the columns of BEACON_SQLITE_VERSION_COLUMNS.
ReleaseVersion read_version(const Statement& row) {
    ReleaseVersion v;
    v.id = row.int64(0);
    // The CHECK constraint allows nothing else.
    v.platform = releases::parse_platform(row.text(1)).value_or(releases::Platform::Android);
    v.channel = std::string(row.text(2));
    v.version_code = row.int64(3);
    v.version_name = std::string(row.text(4));
    if (!row.is_null(5) && !row.text(5).empty()) {
        v.changelog = std::string(row.text(5));
    }
    v.is_force_update = row.int64(6) != 0;
    v.is_enabled = row.int64(7) != 0;
    v.min_supported_version_code = optional_int64(row, 8);
    v.rollout_percent = static_cast<int>(row.int64(9));
    if (!row.is_null(10)) {
        Artifact a;
        a.key = std::string(row.text(10));
        a.file_name = std::string(row.text(11));
        a.file_size = row.int64(12);
        a.sha256 = std::string(row.text(13));
        a.content_type = std::string(row.text(14));
        a.package_name = row.optional_text(15);
        v.artifact = std::move(a);
    }
    v.external_url = row.optional_text(16);
    v.created_at = from_epoch_ms(row.int64(18));
    v.released_at = row.is_null(17) ? v.created_at : from_epoch_ms(row.int64(17));
    v.updated_at = from_epoch_ms(row.int64(19));
    v.revision = row.int64(20);
    if (auto days = optional_int64(row, 21)) {
        v.force_after_days = static_cast<int>(*days);  // the CHECK keeps it in 1..3650
    }
    // A stored plan that does not parse (never written by Beacon) reads as none.
    if (auto plan = row.optional_text(22)) {
        v.rollout_plan = releases::plan_from_stored_json(*plan);
        v.rollout_progress.state =
            releases::parse_rollout_state(row.optional_text(23).value_or("")).value_or(releases::RolloutState::Paused);
        v.rollout_progress.last_step_at = from_epoch_ms(optional_int64(row, 24).value_or(0));
    }
    return v;
}

// Binds ?2..?19 and ?22..?25 of kInsertVersion / kUpdateVersion. Text is
// bound without a copy: `v` and `plan_text` (the JSON of v's plan, from
// stored_plan_json) must outlive the execution.
void bind_version_fields(Statement& s, const ReleaseVersion& v, const std::string& plan_text) {
    s.bind(2, releases::to_string(v.platform));
    s.bind(3, v.channel);
    s.bind(4, v.version_code);
    s.bind(5, v.version_name);
    s.bind(6, v.changelog ? std::string_view(*v.changelog) : std::string_view());
    s.bind(7, std::int64_t{v.is_force_update ? 1 : 0});
    s.bind(8, std::int64_t{v.is_enabled ? 1 : 0});
    if (v.min_supported_version_code) {
        s.bind(9, *v.min_supported_version_code);
    } else {
        s.bind_null(9);
    }
    s.bind(10, std::int64_t{v.rollout_percent});
    if (v.artifact) {
        s.bind(11, v.artifact->key);
        s.bind(12, v.artifact->file_name);
        s.bind(13, v.artifact->file_size);
        s.bind(14, v.artifact->sha256);
        s.bind(15, v.artifact->content_type);
        s.bind(16, v.artifact->package_name);
    } else {
        for (int i = 11; i <= 16; ++i) {
            s.bind_null(i);
        }
    }
    s.bind(17, v.external_url);
    s.bind(18, to_epoch_ms(v.released_at));
    s.bind(19, to_epoch_ms(v.updated_at));
    if (v.force_after_days) {
        s.bind(22, std::int64_t{*v.force_after_days});
    } else {
        s.bind_null(22);
    }
    if (v.rollout_plan) {
        s.bind(23, plan_text);
        s.bind(24, releases::rollout_state_name(v.rollout_progress.state));
        s.bind(25, to_epoch_ms(v.rollout_progress.last_step_at));
    } else {
        s.bind_null(23);
        s.bind_null(24);
        s.bind_null(25);
    }
}

// Appends the decision of `record` to the history of `stored` and enqueues
// its webhook, on `c` inside the caller's transaction.
Result<void> store_rollout(Connection& c, const ReleaseVersion& stored, const releases::RolloutRecord& record) {
    const releases::RolloutDecision& d = record.decision;
    auto n = execute(c, sql::kInsertRolloutDecision, "storing rollout decision", [&](Statement& s) {
        s.bind(1, stored.id);
        s.bind(2, to_epoch_ms(d.at));
        s.bind(3, releases::rollout_action_name(d.action));
        s.bind(4, std::int64_t{d.from});
        s.bind(5, std::int64_t{d.to});
        s.bind(6, d.by);
        s.bind(7, d.reason);
        if (d.health_json.empty()) {
            s.bind_null(8);
        } else {
            s.bind(8, d.health_json);
        }
    });
    if (!n) {
        return std::move(n).error();
    }
    if (!record.webhook) {
        return ok();
    }
    auto delivery = record.webhook(stored);
    if (!delivery) {
        return std::move(delivery).error();
    }
    if (*delivery) {
        return enqueue_webhook_delivery(c, **delivery);
    }
    return ok();
}

// Reads the columns of BEACON_SQLITE_ARTIFACT_COLUMNS.
ArtifactRecord read_artifact(const Statement& row) {
    ArtifactRecord r;
    r.artifact.key = std::string(row.text(0));
    r.artifact.file_name = std::string(row.text(1));
    r.artifact.file_size = row.int64(2);
    r.artifact.sha256 = std::string(row.text(3));
    r.artifact.content_type = std::string(row.text(4));
    r.artifact.package_name = row.optional_text(5);
    if (!row.is_null(6)) {
        r.detected = releases::detected_package_from_json(row.text(6));
    }
    r.created_at = from_epoch_ms(row.int64(7));
    if (auto since = optional_int64(row, 8)) {
        r.unreferenced_since = from_epoch_ms(*since);
    }
    return r;
}

// A version takes `key`: Unprocessable when no such artifact is recorded.
Result<void> claim_artifact(Connection& c, const std::string& key) {
    auto n = execute(c, sql::kClaimArtifact, "claiming artifact", [&](Statement& s) { s.bind(1, key); });
    if (!n) {
        return std::move(n).error();
    }
    if (*n == 0) {
        return unknown_artifact(key);
    }
    return ok();
}

// A version let go of `key` at `at`.
Result<void> release_artifact(Connection& c, const std::string& key, TimePoint at) {
    auto n = execute(c, sql::kReleaseArtifact, "releasing artifact", [&](Statement& s) {
        s.bind(1, key);
        s.bind(2, to_epoch_ms(at));
    });
    if (!n) {
        return std::move(n).error();
    }
    return ok();
}

struct StoredRevision {
    std::int64_t revision = 0;
    std::optional<std::string> artifact_key;
};

Result<std::optional<StoredRevision>> stored_revision(Connection& c, std::int64_t id) {
    std::optional<StoredRevision> out;
    auto r = query(
        c,
        sql::kSelectVersionRevision,
        "reading version revision",
        [&](Statement& s) { s.bind(1, id); },
        [&](Statement& row) {
            out = StoredRevision{row.int64(0), row.optional_text(1)};
        });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

}  // namespace

SqliteVersionRepository::SqliteVersionRepository(std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader)
    : writer_(std::move(writer)), reader_(std::move(reader)) {}

SqliteVersionRepository::~SqliteVersionRepository() = default;

Result<std::unique_ptr<SqliteVersionRepository>> SqliteVersionRepository::open(const std::filesystem::path& file,
                                                                               const SqliteOptions& options) {
    auto pair = open_migrated_pair(file, options);
    if (!pair) {
        return std::move(pair).error();
    }
    // A second version with the same code, or a second record of an
    // artifact, is the caller's Conflict.
    pair->writer->report_duplicates_as_conflict();
    pair->reader->report_duplicates_as_conflict();
    std::unique_ptr<SqliteVersionRepository> repo(
        new SqliteVersionRepository(std::move(pair->writer), std::move(pair->reader)));
    // A database we cannot read fails the start, not the first request.
    if (auto r = repo->ping(); !r) {
        return std::move(r).error();
    }
    return repo;
}

template <typename T, typename Body>
Result<T> SqliteVersionRepository::in_write_transaction(std::string_view what, Body&& body) {
    Connection& c = *writer_;
    if (auto r = c.exec(sql::kBegin); !r) {
        return std::move(r).error().with_context(what);
    }
    Result<T> result = body(c);
    if (result) {
        if (auto r = c.exec(sql::kCommit); !r) {
            result = std::move(r).error().with_context(what);
        }
    }
    // SQLite rolls back by itself after some errors (I/O, full disk).
    if (!result && sqlite3_get_autocommit(c.handle()) == 0) {
        (void)c.exec(sql::kRollback);
    }
    return result;
}

// --- Versions ---------------------------------------------------------------

Result<ReleaseVersion> SqliteVersionRepository::create(const ReleaseVersion& version) {
    return create_version(version, nullptr);
}

Result<ReleaseVersion> SqliteVersionRepository::create_with_rollout(const ReleaseVersion& version,
                                                                    const releases::RolloutRecord& record) {
    return create_version(version, &record);
}

Result<ReleaseVersion> SqliteVersionRepository::create_version(const ReleaseVersion& version,
                                                               const releases::RolloutRecord* record) {
    std::lock_guard lock(writer_mutex_);
    return in_write_transaction<ReleaseVersion>("creating version", [&](Connection& c) -> Result<ReleaseVersion> {
        if (version.artifact) {
            if (auto r = claim_artifact(c, version.artifact->key); !r) {
                return std::move(r).error();
            }
        }
        std::optional<ReleaseVersion> stored;
        const std::string plan_text = version.rollout_plan ? releases::stored_plan_json(*version.rollout_plan) : "";
        auto r = query(
            c,
            sql::kInsertVersion,
            "inserting version",
            [&](Statement& s) {
                bind_version_fields(s, version, plan_text);
                s.bind(21, to_epoch_ms(version.created_at));
            },
            [&](Statement& row) { stored = read_version(row); });
        if (!r) {
            if (r.error().code == ErrorCode::Conflict) {
                return duplicate_version(version);
            }
            return std::move(r).error();
        }
        if (!stored) {
            return make_error(ErrorCode::Internal, "sqlite: inserting version returned no row");
        }
        if (record != nullptr) {
            if (auto rolled = store_rollout(c, *stored, *record); !rolled) {
                return std::move(rolled).error();
            }
        }
        return std::move(*stored);
    });
}

Result<ReleaseVersion> SqliteVersionRepository::get(std::int64_t id) {
    std::lock_guard lock(reader_mutex_);
    auto out = query_one<ReleaseVersion>(
        *reader_, sql::kSelectVersion, "reading version", [&](Statement& s) { s.bind(1, id); }, read_version);
    if (!out) {
        return std::move(out).error();
    }
    if (!*out) {
        return version_not_found(id);
    }
    return std::move(**out);
}

Result<VersionPage> SqliteVersionRepository::list(const VersionFilter& filter,
                                                  int limit,
                                                  const std::optional<VersionCursor>& after) {
    std::lock_guard lock(reader_mutex_);
    VersionPage page;
    const std::size_t wanted = static_cast<std::size_t>(limit < 1 ? 1 : limit);
    page.versions.reserve(std::min<std::size_t>(wanted + 1, 512));
    auto r = query(
        *reader_,
        sql::kListVersions,
        "listing versions",
        [&](Statement& s) {
            if (filter.platform) {
                s.bind(1, releases::to_string(*filter.platform));
            } else {
                s.bind_null(1);
            }
            s.bind(2, filter.channel);
            if (filter.is_enabled) {
                s.bind(3, std::int64_t{*filter.is_enabled ? 1 : 0});
            } else {
                s.bind_null(3);
            }
            if (after) {
                s.bind(4, after->version_code);
                s.bind(5, after->id);
            } else {
                s.bind_null(4);
                s.bind_null(5);
            }
            // One more row than asked says whether another page follows.
            s.bind(6, static_cast<std::int64_t>(wanted) + 1);
        },
        [&](Statement& row) { page.versions.push_back(read_version(row)); });
    if (!r) {
        return std::move(r).error();
    }
    if (page.versions.size() > wanted) {
        page.versions.resize(wanted);
        const ReleaseVersion& last = page.versions.back();
        page.next = VersionCursor{last.version_code, last.id};
    }
    return page;
}

Result<ReleaseVersion> SqliteVersionRepository::update(const ReleaseVersion& version, std::int64_t expected_revision) {
    return update_version(version, expected_revision, nullptr);
}

Result<ReleaseVersion> SqliteVersionRepository::update_with_rollout(const ReleaseVersion& version,
                                                                    std::int64_t expected_revision,
                                                                    const releases::RolloutRecord& record) {
    return update_version(version, expected_revision, &record);
}

Result<ReleaseVersion> SqliteVersionRepository::update_version(const ReleaseVersion& version,
                                                               std::int64_t expected_revision,
                                                               const releases::RolloutRecord* record) {
    std::lock_guard lock(writer_mutex_);
    return in_write_transaction<ReleaseVersion>("updating version", [&](Connection& c) -> Result<ReleaseVersion> {
        // Inside BEGIN IMMEDIATE nobody else writes, so this check and the
        // update below are one atomic compare-and-set.
        auto current = stored_revision(c, version.id);
        if (!current) {
            return std::move(current).error();
        }
        if (!*current) {
            return version_not_found(version.id);
        }
        if ((*current)->revision != expected_revision) {
            return stale_revision(version.id, (*current)->revision, expected_revision);
        }
        const std::optional<std::string>& old_key = (*current)->artifact_key;
        const std::optional<std::string> new_key =
            version.artifact ? std::optional<std::string>(version.artifact->key) : std::nullopt;
        if (new_key && new_key != old_key) {
            if (auto r = claim_artifact(c, *new_key); !r) {
                return std::move(r).error();
            }
        }
        std::optional<ReleaseVersion> stored;
        const std::string plan_text = version.rollout_plan ? releases::stored_plan_json(*version.rollout_plan) : "";
        auto r = query(
            c,
            sql::kUpdateVersion,
            "updating version",
            [&](Statement& s) {
                s.bind(1, version.id);
                bind_version_fields(s, version, plan_text);
                s.bind(20, expected_revision);
            },
            [&](Statement& row) { stored = read_version(row); });
        if (!r) {
            if (r.error().code == ErrorCode::Conflict) {
                return duplicate_version(version);
            }
            return std::move(r).error();
        }
        if (!stored) {
            return make_error(ErrorCode::Internal, "sqlite: updating version returned no row");
        }
        if (old_key && old_key != new_key) {
            if (auto released = release_artifact(c, *old_key, version.updated_at); !released) {
                return std::move(released).error();
            }
        }
        if (record != nullptr) {
            if (auto rolled = store_rollout(c, *stored, *record); !rolled) {
                return std::move(rolled).error();
            }
        }
        return std::move(*stored);
    });
}

Result<ReleaseVersion> SqliteVersionRepository::remove(std::int64_t id,
                                                       std::optional<std::int64_t> expected_revision,
                                                       TimePoint now) {
    std::lock_guard lock(writer_mutex_);
    return in_write_transaction<ReleaseVersion>("removing version", [&](Connection& c) -> Result<ReleaseVersion> {
        std::optional<ReleaseVersion> removed;
        auto r = query(
            c,
            sql::kDeleteVersion,
            "deleting version",
            [&](Statement& s) {
                s.bind(1, id);
                if (expected_revision) {
                    s.bind(2, *expected_revision);
                } else {
                    s.bind_null(2);
                }
            },
            [&](Statement& row) { removed = read_version(row); });
        if (!r) {
            return std::move(r).error();
        }
        if (!removed) {
            auto current = stored_revision(c, id);
            if (!current) {
                return std::move(current).error();
            }
            if (!*current) {
                return version_not_found(id);
            }
            return stale_revision(id, (*current)->revision, expected_revision.value_or(0));
        }
        if (removed->artifact) {
            if (auto released = release_artifact(c, removed->artifact->key, now); !released) {
                return std::move(released).error();
            }
        }
        return std::move(*removed);
    });
}

Result<std::vector<releases::RolloutDecision>> SqliteVersionRepository::list_rollout_decisions(std::int64_t id,
                                                                                               int limit) {
    std::lock_guard lock(reader_mutex_);
    std::vector<releases::RolloutDecision> out;
    auto r = query(
        *reader_,
        sql::kListRolloutDecisions,
        "listing rollout decisions",
        [&](Statement& s) {
            s.bind(1, id);
            s.bind(2, std::int64_t{limit < 1 ? 1 : limit});
        },
        [&](Statement& row) {
            releases::RolloutDecision d;
            d.at = from_epoch_ms(row.int64(0));
            // The CHECK constraint allows nothing else.
            d.action = releases::parse_rollout_action(row.text(1)).value_or(releases::RolloutAction::Start);
            d.from = static_cast<int>(row.int64(2));
            d.to = static_cast<int>(row.int64(3));
            d.by = std::string(row.text(4));
            d.reason = std::string(row.text(5));
            d.health_json = row.optional_text(6).value_or("");
            out.push_back(std::move(d));
        });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

Result<std::map<std::int64_t, std::string>> SqliteVersionRepository::version_names(
    releases::Platform platform, std::span<const std::int64_t> codes) {
    std::map<std::int64_t, std::string> names;
    if (codes.empty()) {
        return names;
    }
    std::string list = "[";
    for (std::int64_t code : codes) {
        list += (list.size() > 1 ? "," : "") + std::to_string(code);
    }
    list += ']';
    std::lock_guard lock(reader_mutex_);
    auto r = query(
        *reader_,
        sql::kSelectVersionNames,
        "reading version names",
        [&](Statement& s) {
            s.bind(1, releases::to_string(platform));
            s.bind(2, list);
        },
        [&](Statement& row) { names.try_emplace(row.int64(0), std::string(row.text(1))); });
    if (!r) {
        return std::move(r).error();
    }
    return names;
}

Result<std::int64_t> SqliteVersionRepository::catalog_revision() {
    std::lock_guard lock(reader_mutex_);
    std::optional<std::int64_t> revision;
    auto r = query(
        *reader_,
        sql::kSelectCatalogRevision,
        "reading catalog revision",
        [](Statement&) {},
        [&](Statement& row) { revision = row.int64(0); });
    if (!r) {
        return std::move(r).error();
    }
    if (!revision) {
        return make_error(ErrorCode::Internal, "sqlite: catalog_state has no row");
    }
    return *revision;
}

Result<CatalogSnapshot> SqliteVersionRepository::load_catalog() {
    std::lock_guard lock(reader_mutex_);
    Connection& c = *reader_;
    if (auto r = c.exec(sql::kBeginRead); !r) {
        return std::move(r).error().with_context("loading catalog");
    }
    CatalogSnapshot snapshot;
    bool have_revision = false;
    auto r = query(
        c,
        sql::kSelectCatalogRevision,
        "loading catalog revision",
        [](Statement&) {},
        [&](Statement& row) {
            snapshot.revision = row.int64(0);
            have_revision = true;
        });
    if (r) {
        r = query(
            c,
            sql::kSelectEnabledVersions,
            "loading catalog",
            [](Statement&) {},
            [&](Statement& row) { snapshot.enabled_versions.push_back(read_version(row)); });
    }
    if (r) {
        r = c.exec(sql::kCommit);
    }
    if (!r) {
        if (sqlite3_get_autocommit(c.handle()) == 0) {
            (void)c.exec(sql::kRollback);
        }
        return std::move(r).error();
    }
    if (!have_revision) {
        return make_error(ErrorCode::Internal, "sqlite: catalog_state has no row");
    }
    return snapshot;
}

// --- Artifacts --------------------------------------------------------------

Result<PutArtifactResult> SqliteVersionRepository::put_artifact(const ArtifactRecord& record) {
    std::lock_guard lock(writer_mutex_);
    return in_write_transaction<PutArtifactResult>(
        "recording artifact", [&](Connection& c) -> Result<PutArtifactResult> {
            const std::optional<std::string> detected =
                record.detected ? std::optional<std::string>(releases::detected_package_to_json(*record.detected))
                                : std::nullopt;
            auto inserted = execute(c, sql::kInsertArtifact, "inserting artifact", [&](Statement& s) {
                s.bind(1, record.artifact.key);
                s.bind(2, record.artifact.file_name);
                s.bind(3, record.artifact.file_size);
                s.bind(4, record.artifact.sha256);
                s.bind(5, record.artifact.content_type);
                s.bind(6, record.artifact.package_name);
                s.bind(7, detected);
                s.bind(8, to_epoch_ms(record.created_at));
            });
            if (!inserted) {
                return std::move(inserted).error();
            }
            std::optional<ArtifactRecord> stored;
            auto r = query(
                c,
                sql::kSelectArtifact,
                "reading artifact",
                [&](Statement& s) { s.bind(1, record.artifact.key); },
                [&](Statement& row) { stored = read_artifact(row); });
            if (!r) {
                return std::move(r).error();
            }
            if (!stored) {
                return make_error(ErrorCode::Internal, "sqlite: artifact vanished inside its transaction");
            }
            return PutArtifactResult{std::move(*stored), *inserted > 0};
        });
}

Result<ArtifactRecord> SqliteVersionRepository::get_artifact(std::string_view key) {
    std::lock_guard lock(reader_mutex_);
    auto out = query_one<ArtifactRecord>(
        *reader_, sql::kSelectArtifact, "reading artifact", [&](Statement& s) { s.bind(1, key); }, read_artifact);
    if (!out) {
        return std::move(out).error();
    }
    if (!*out) {
        return releases::artifact_not_found(key);
    }
    return std::move(**out);
}

Result<std::int64_t> SqliteVersionRepository::count_versions_using(std::string_view key) {
    std::lock_guard lock(reader_mutex_);
    std::int64_t n = 0;
    auto r = query(
        *reader_,
        sql::kCountVersionsUsing,
        "counting artifact users",
        [&](Statement& s) { s.bind(1, key); },
        [&](Statement& row) { n = row.int64(0); });
    if (!r) {
        return std::move(r).error();
    }
    return n;
}

Result<std::vector<ArtifactRecord>> SqliteVersionRepository::list_unreferenced_artifacts(TimePoint cutoff, int limit) {
    std::lock_guard lock(reader_mutex_);
    std::vector<ArtifactRecord> out;
    auto r = query(
        *reader_,
        sql::kListUnreferencedArtifacts,
        "listing unreferenced artifacts",
        [&](Statement& s) {
            s.bind(1, to_epoch_ms(cutoff));
            s.bind(2, std::int64_t{limit < 1 ? 1 : limit});
        },
        [&](Statement& row) { out.push_back(read_artifact(row)); });
    if (!r) {
        return std::move(r).error();
    }
    return out;
}

Result<bool> SqliteVersionRepository::remove_unreferenced_artifact(std::string_view key,
                                                                   std::optional<TimePoint> cutoff) {
    std::lock_guard lock(writer_mutex_);
    auto n = execute(*writer_, sql::kDeleteUnreferencedArtifact, "deleting artifact", [&](Statement& s) {
        s.bind(1, key);
        if (cutoff) {
            s.bind(2, to_epoch_ms(*cutoff));
        } else {
            s.bind_null(2);
        }
    });
    if (!n) {
        return std::move(n).error();
    }
    return *n > 0;
}

Result<void> SqliteVersionRepository::ping() {
    auto revision = catalog_revision();
    if (!revision) {
        return std::move(revision).error();
    }
    return ok();
}

}  // namespace beacon::backends::sqlite
