#include "backends/postgres/pg_version_repository.hpp"

#include <string_view>
#include <utility>

#include "backends/postgres/pg_webhook_outbox.hpp"
#include "backends/postgres/queries.hpp"
#include "backends/postgres/releases_queries.hpp"
#include "backends/postgres/transaction.hpp"
#include "releases/detected_package_json.hpp"

namespace beacon::backends::postgres {

using releases::Artifact;
using releases::ArtifactRecord;
using releases::CatalogSnapshot;
using releases::duplicate_version;
using releases::PutArtifactResult;
using releases::ReleaseVersion;
using releases::stale_revision;
using releases::version_not_found;
using releases::VersionCursor;
using releases::VersionFilter;
using releases::VersionPage;

namespace {

constexpr std::string_view kUniqueViolation = "23505";

// exec() whose unique violations are Conflict.
Result<PgResult> exec_write(PgConnection& c, std::string_view statement, const Params& p, std::string_view what) {
    auto r = c.exec(statement, p, what);
    if (!r && c.usable() && c.last_error_sqlstate() == kUniqueViolation) {
        Error e = std::move(r).error();
        e.code = ErrorCode::Conflict;
        return e;
    }
    return r;
}

bool boolean(const PgResult& r, int row, int column) {
    return r.text(row, column) == "t";
}

std::optional<std::int64_t> optional_int64(const PgResult& r, int row, int column) {
    if (r.is_null(row, column)) {
        return std::nullopt;
    }
    return r.int64(row, column);
}

// Reads the columns of BEACON_PG_VERSION_COLUMNS.
ReleaseVersion read_version(const PgResult& r, int row) {
    ReleaseVersion v;
    v.id = r.int64(row, 0);
    // The CHECK constraint allows nothing else.
    v.platform = releases::parse_platform(r.text(row, 1)).value_or(releases::Platform::Android);
    v.channel = std::string(r.text(row, 2));
    v.version_code = r.int64(row, 3);
    v.version_name = std::string(r.text(row, 4));
    if (!r.is_null(row, 5) && !r.text(row, 5).empty()) {
        v.changelog = std::string(r.text(row, 5));
    }
    v.is_force_update = boolean(r, row, 6);
    v.is_enabled = boolean(r, row, 7);
    v.min_supported_version_code = optional_int64(r, row, 8);
    v.rollout_percent = static_cast<int>(r.int64(row, 9));
    if (!r.is_null(row, 10)) {
        Artifact a;
        a.key = std::string(r.text(row, 10));
        a.file_name = std::string(r.text(row, 11));
        a.file_size = r.is_null(row, 12) ? 0 : r.int64(row, 12);
        a.sha256 = std::string(r.text(row, 13));
        a.content_type = std::string(r.text(row, 14));
        a.package_name = r.optional_text(row, 15);
        v.artifact = std::move(a);
    }
    v.external_url = r.optional_text(row, 16);
    v.created_at = from_epoch_ms(r.int64(row, 18));
    v.released_at = r.is_null(row, 17) ? v.created_at : from_epoch_ms(r.int64(row, 17));
    v.updated_at = from_epoch_ms(r.int64(row, 19));
    v.revision = r.int64(row, 20);
    if (auto days = optional_int64(r, row, 21)) {
        v.force_after_days = static_cast<int>(*days);  // the CHECK keeps it in 1..3650
    }
    // A stored plan that does not parse (never written by Beacon) reads as none.
    if (auto plan = r.optional_text(row, 22)) {
        v.rollout_plan = releases::plan_from_stored_json(*plan);
        v.rollout_progress.state = releases::parse_rollout_state(r.optional_text(row, 23).value_or(""))
                                       .value_or(releases::RolloutState::Paused);
        v.rollout_progress.last_step_at = from_epoch_ms(optional_int64(r, row, 24).value_or(0));
    }
    return v;
}

// $1..$18 of kInsertVersion / kUpdateVersion.
Params version_params(const ReleaseVersion& v) {
    Params p;
    p.add(releases::to_string(v.platform));
    p.add(v.channel);
    p.add(v.version_code);
    p.add(v.version_name);
    p.add(v.changelog ? std::string_view(*v.changelog) : std::string_view());
    p.add(v.is_force_update);
    p.add(v.is_enabled);
    if (v.min_supported_version_code) {
        p.add(*v.min_supported_version_code);
    } else {
        p.add_null();
    }
    p.add(std::int64_t{v.rollout_percent});
    if (v.artifact) {
        p.add(v.artifact->key);
        p.add(v.artifact->file_name);
        p.add(v.artifact->file_size);
        p.add(v.artifact->sha256);
        p.add(v.artifact->content_type);
        p.add(v.artifact->package_name);
    } else {
        for (int i = 0; i < 6; ++i) {
            p.add_null();
        }
    }
    p.add(v.external_url);
    p.add(v.released_at);
    p.add(v.updated_at);
    return p;
}

// force_after_days and the rollout plan, state and last step, after
// version_params()'s and the statement's own parameters.
void add_tail_fields(Params& p, const ReleaseVersion& v) {
    if (v.force_after_days) {
        p.add(std::int64_t{*v.force_after_days});
    } else {
        p.add_null();
    }
    if (v.rollout_plan) {
        p.add(releases::stored_plan_json(*v.rollout_plan));
        p.add(releases::rollout_state_name(v.rollout_progress.state));
        p.add(v.rollout_progress.last_step_at);
    } else {
        p.add_null().add_null().add_null();
    }
}

// Appends the decision of `record` to the history of `stored` and enqueues
// its webhook, on `c` inside the caller's transaction.
Result<void> store_rollout(PgConnection& c, const ReleaseVersion& stored, const releases::RolloutRecord& record) {
    const releases::RolloutDecision& d = record.decision;
    Params p;
    p.add(stored.id).add(d.at).add(releases::rollout_action_name(d.action));
    p.add(std::int64_t{d.from}).add(std::int64_t{d.to}).add(d.by).add(d.reason);
    if (d.health_json.empty()) {
        p.add_null();
    } else {
        p.add(d.health_json);
    }
    if (auto r = c.exec(sql::kInsertRolloutDecision, p, "storing rollout decision"); !r) {
        return std::move(r).error();
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

// Reads the columns of BEACON_PG_ARTIFACT_COLUMNS.
ArtifactRecord read_artifact(const PgResult& r, int row) {
    ArtifactRecord a;
    a.artifact.key = std::string(r.text(row, 0));
    a.artifact.file_name = std::string(r.text(row, 1));
    a.artifact.file_size = r.int64(row, 2);
    a.artifact.sha256 = std::string(r.text(row, 3));
    a.artifact.content_type = std::string(r.text(row, 4));
    a.artifact.package_name = r.optional_text(row, 5);
    if (!r.is_null(row, 6)) {
        a.detected = releases::detected_package_from_json(r.text(row, 6));
    }
    a.created_at = from_epoch_ms(r.int64(row, 7));
    if (auto since = optional_int64(r, row, 8)) {
        a.unreferenced_since = from_epoch_ms(*since);
    }
    return a;
}

Result<void> lock_catalog(PgConnection& c) {
    auto r = c.exec(sql::kLockCatalogState, "locking catalog_state");
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() != 1) {
        return make_error(ErrorCode::Internal, "postgres: catalog_state has no row");
    }
    return ok();
}

// A version takes `key`: Unprocessable when no such artifact is recorded.
Result<void> claim_artifact(PgConnection& c, const std::string& key) {
    Params p;
    p.add(key);
    auto r = c.exec(sql::kClaimArtifact, p, "claiming artifact");
    if (!r) {
        return std::move(r).error();
    }
    if (r->affected() == 0) {
        return releases::unknown_artifact(key);
    }
    return ok();
}

// A version let go of `key` at `at`.
Result<void> release_artifact(PgConnection& c, const std::string& key, TimePoint at) {
    Params p;
    p.add(key).add(at);
    auto r = c.exec(sql::kReleaseArtifact, p, "releasing artifact");
    if (!r) {
        return std::move(r).error();
    }
    return ok();
}

// Why a compare-and-set matched no row: NotFound or PreconditionFailed.
Error explain_no_row(PgConnection& c, std::int64_t id, std::int64_t expected) {
    Params p;
    p.add(id);
    auto r = c.exec(sql::kSelectVersionRevision, p, "reading version revision");
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() == 0) {
        return version_not_found(id);
    }
    return stale_revision(id, r->int64(0, 0), expected);
}

Result<std::int64_t> read_catalog_revision(PgConnection& c, std::string_view what) {
    auto r = c.exec(sql::kSelectCatalogRevision, what);
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() != 1) {
        return make_error(ErrorCode::Internal, "postgres: catalog_state has no row");
    }
    return r->int64(0, 0);
}

}  // namespace

Result<std::unique_ptr<PgVersionRepository>> PgVersionRepository::open(std::string url, PgOptions options) {
    // Brings the schema up to date (a read when PgDatabase did it already).
    if (auto migrated = PgDatabase::migrate(url, options); !migrated) {
        return std::move(migrated).error();
    }
    auto pool = std::make_unique<ConnectionPool>(pool_settings(std::move(url), options));
    std::unique_ptr<PgVersionRepository> repo(new PgVersionRepository(std::move(pool)));
    // A database we cannot read fails the start, not the first request.
    if (auto r = repo->ping(); !r) {
        return std::move(r).error();
    }
    return repo;
}

// --- Versions ---------------------------------------------------------------

Result<ReleaseVersion> PgVersionRepository::create(const ReleaseVersion& version) {
    return create_version(version, nullptr);
}

Result<ReleaseVersion> PgVersionRepository::create_with_rollout(const ReleaseVersion& version,
                                                                const releases::RolloutRecord& record) {
    return create_version(version, &record);
}

Result<ReleaseVersion> PgVersionRepository::create_version(const ReleaseVersion& version,
                                                           const releases::RolloutRecord* record) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    return in_transaction(c, sql::kBegin, "creating version", [&]() -> Result<ReleaseVersion> {
        if (auto r = lock_catalog(c); !r) {
            return std::move(r).error();
        }
        if (version.artifact) {
            if (auto r = claim_artifact(c, version.artifact->key); !r) {
                return std::move(r).error();
            }
        }
        Params p = version_params(version);
        p.add(version.created_at);
        add_tail_fields(p, version);
        auto r = exec_write(c, sql::kInsertVersion, p, "inserting version");
        if (!r) {
            if (r.error().code == ErrorCode::Conflict) {
                return duplicate_version(version);
            }
            return std::move(r).error();
        }
        if (r->rows() != 1) {
            return make_error(ErrorCode::Internal, "postgres: inserting version returned no row");
        }
        ReleaseVersion stored = read_version(*r, 0);
        if (record != nullptr) {
            if (auto rolled = store_rollout(c, stored, *record); !rolled) {
                return std::move(rolled).error();
            }
        }
        return stored;
    });
}

Result<ReleaseVersion> PgVersionRepository::get(std::int64_t id) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    Params p;
    p.add(id);
    auto r = (*lease)->exec(sql::kSelectVersion, p, "reading version");
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() == 0) {
        return version_not_found(id);
    }
    return read_version(*r, 0);
}

Result<VersionPage> PgVersionRepository::list(const VersionFilter& filter,
                                              int limit,
                                              const std::optional<VersionCursor>& after) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    const std::int64_t page_size = limit < 1 ? 1 : limit;
    Params p;
    if (filter.platform) {
        p.add(releases::to_string(*filter.platform));
    } else {
        p.add_null();
    }
    p.add(filter.channel);
    if (filter.is_enabled) {
        p.add(*filter.is_enabled);
    } else {
        p.add_null();
    }
    if (after) {
        p.add(after->version_code).add(after->id);
    } else {
        p.add_null().add_null();
    }
    p.add(page_size + 1);  // one more tells whether another page follows
    auto r = (*lease)->exec(sql::kListVersions, p, "listing versions");
    if (!r) {
        return std::move(r).error();
    }
    VersionPage page;
    const int rows = r->rows();
    for (int i = 0; i < rows && i < page_size; ++i) {
        page.versions.push_back(read_version(*r, i));
    }
    if (rows > page_size && !page.versions.empty()) {
        const ReleaseVersion& last = page.versions.back();
        page.next = VersionCursor{last.version_code, last.id};
    }
    return page;
}

Result<ReleaseVersion> PgVersionRepository::update(const ReleaseVersion& version, std::int64_t expected_revision) {
    return update_version(version, expected_revision, nullptr);
}

Result<ReleaseVersion> PgVersionRepository::update_with_rollout(const ReleaseVersion& version,
                                                                std::int64_t expected_revision,
                                                                const releases::RolloutRecord& record) {
    return update_version(version, expected_revision, &record);
}

Result<ReleaseVersion> PgVersionRepository::update_version(const ReleaseVersion& version,
                                                           std::int64_t expected_revision,
                                                           const releases::RolloutRecord* record) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    return in_transaction(c, sql::kBegin, "updating version", [&]() -> Result<ReleaseVersion> {
        if (auto r = lock_catalog(c); !r) {
            return std::move(r).error();
        }
        // The artifact it used before (to release it when it changes).
        Params id;
        id.add(version.id);
        auto before = c.exec(sql::kSelectVersionRevision, id, "reading version revision");
        if (!before) {
            return std::move(before).error();
        }
        if (before->rows() == 0) {
            return version_not_found(version.id);
        }
        if (before->int64(0, 0) != expected_revision) {
            return stale_revision(version.id, before->int64(0, 0), expected_revision);
        }
        const std::optional<std::string> old_key = before->optional_text(0, 1);
        const std::optional<std::string> new_key =
            version.artifact ? std::optional<std::string>(version.artifact->key) : std::nullopt;
        if (new_key) {
            if (auto r = claim_artifact(c, *new_key); !r) {
                return std::move(r).error();
            }
        }
        Params p = version_params(version);
        p.add(version.id).add(expected_revision);
        add_tail_fields(p, version);
        auto r = exec_write(c, sql::kUpdateVersion, p, "updating version");
        if (!r) {
            if (r.error().code == ErrorCode::Conflict) {
                return duplicate_version(version);
            }
            return std::move(r).error();
        }
        if (r->rows() == 0) {
            return explain_no_row(c, version.id, expected_revision);
        }
        ReleaseVersion stored = read_version(*r, 0);
        if (old_key && old_key != new_key) {
            if (auto released = release_artifact(c, *old_key, version.updated_at); !released) {
                return std::move(released).error();
            }
        }
        if (record != nullptr) {
            if (auto rolled = store_rollout(c, stored, *record); !rolled) {
                return std::move(rolled).error();
            }
        }
        return stored;
    });
}

Result<ReleaseVersion> PgVersionRepository::remove(std::int64_t id,
                                                   std::optional<std::int64_t> expected_revision,
                                                   TimePoint now) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    return in_transaction(c, sql::kBegin, "removing version", [&]() -> Result<ReleaseVersion> {
        if (auto r = lock_catalog(c); !r) {
            return std::move(r).error();
        }
        Params p;
        p.add(id);
        if (expected_revision) {
            p.add(*expected_revision);
        } else {
            p.add_null();
        }
        auto r = c.exec(sql::kDeleteVersion, p, "deleting version");
        if (!r) {
            return std::move(r).error();
        }
        if (r->rows() == 0) {
            return explain_no_row(c, id, expected_revision.value_or(0));
        }
        ReleaseVersion removed = read_version(*r, 0);
        if (removed.artifact) {
            if (auto released = release_artifact(c, removed.artifact->key, now); !released) {
                return std::move(released).error();
            }
        }
        return removed;
    });
}

Result<std::map<std::int64_t, std::string>> PgVersionRepository::version_names(releases::Platform platform,
                                                                               std::span<const std::int64_t> codes) {
    std::map<std::int64_t, std::string> names;
    if (codes.empty()) {
        return names;
    }
    std::string list = "{";
    for (std::int64_t code : codes) {
        list += (list.size() > 1 ? "," : "") + std::to_string(code);
    }
    list += '}';
    Params p;
    p.add(releases::to_string(platform)).add(list);
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto r = (*lease)->exec(sql::kSelectVersionNames, p, "reading version names");
    if (!r) {
        return std::move(r).error();
    }
    for (int i = 0; i < r->rows(); ++i) {
        names.try_emplace(r->int64(i, 0), std::string(r->text(i, 1)));
    }
    return names;
}

Result<std::vector<releases::RolloutDecision>> PgVersionRepository::list_rollout_decisions(std::int64_t id, int limit) {
    Params p;
    p.add(id).add(std::int64_t{limit < 1 ? 1 : limit});
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    auto r = (*lease)->exec(sql::kListRolloutDecisions, p, "listing rollout decisions");
    if (!r) {
        return std::move(r).error();
    }
    std::vector<releases::RolloutDecision> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) {
        releases::RolloutDecision d;
        d.at = from_epoch_ms(r->int64(i, 0));
        // The CHECK constraint allows nothing else.
        d.action = releases::parse_rollout_action(r->text(i, 1)).value_or(releases::RolloutAction::Start);
        d.from = static_cast<int>(r->int64(i, 2));
        d.to = static_cast<int>(r->int64(i, 3));
        d.by = std::string(r->text(i, 4));
        d.reason = std::string(r->text(i, 5));
        d.health_json = r->optional_text(i, 6).value_or("");
        out.push_back(std::move(d));
    }
    return out;
}

Result<std::int64_t> PgVersionRepository::catalog_revision() {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    return read_catalog_revision(**lease, "reading catalog revision");
}

Result<CatalogSnapshot> PgVersionRepository::load_catalog() {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    return in_transaction(c, sql::kBeginSnapshot, "loading catalog", [&]() -> Result<CatalogSnapshot> {
        CatalogSnapshot snapshot;
        auto revision = read_catalog_revision(c, "loading catalog revision");
        if (!revision) {
            return std::move(revision).error();
        }
        snapshot.revision = *revision;
        auto r = c.exec(sql::kSelectEnabledVersions, "loading catalog");
        if (!r) {
            return std::move(r).error();
        }
        snapshot.enabled_versions.reserve(static_cast<std::size_t>(r->rows()));
        for (int i = 0; i < r->rows(); ++i) {
            snapshot.enabled_versions.push_back(read_version(*r, i));
        }
        return snapshot;
    });
}

// --- Artifacts --------------------------------------------------------------

Result<PutArtifactResult> PgVersionRepository::put_artifact(const ArtifactRecord& record) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    return in_transaction(c, sql::kBegin, "recording artifact", [&]() -> Result<PutArtifactResult> {
        Params p;
        p.add(record.artifact.key)
            .add(record.artifact.file_name)
            .add(record.artifact.file_size)
            .add(record.artifact.sha256)
            .add(record.artifact.content_type)
            .add(record.artifact.package_name);
        if (record.detected) {
            p.add(releases::detected_package_to_json(*record.detected));
        } else {
            p.add_null();
        }
        p.add(record.created_at);
        auto inserted = c.exec(sql::kInsertArtifact, p, "inserting artifact");
        if (!inserted) {
            return std::move(inserted).error();
        }
        Params key;
        key.add(record.artifact.key);
        auto r = c.exec(sql::kSelectArtifact, key, "reading artifact");
        if (!r) {
            return std::move(r).error();
        }
        if (r->rows() == 0) {
            return make_error(ErrorCode::Internal, "postgres: artifact vanished inside its transaction");
        }
        return PutArtifactResult{read_artifact(*r, 0), inserted->rows() > 0};
    });
}

Result<ArtifactRecord> PgVersionRepository::get_artifact(std::string_view key) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    Params p;
    p.add(key);
    auto r = (*lease)->exec(sql::kSelectArtifact, p, "reading artifact");
    if (!r) {
        return std::move(r).error();
    }
    if (r->rows() == 0) {
        return releases::artifact_not_found(key);
    }
    return read_artifact(*r, 0);
}

Result<std::int64_t> PgVersionRepository::count_versions_using(std::string_view key) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    Params p;
    p.add(key);
    auto r = (*lease)->exec(sql::kCountVersionsUsing, p, "counting artifact users");
    if (!r) {
        return std::move(r).error();
    }
    return r->rows() > 0 ? r->int64(0, 0) : 0;
}

Result<std::vector<ArtifactRecord>> PgVersionRepository::list_unreferenced_artifacts(TimePoint cutoff, int limit) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    Params p;
    p.add(cutoff).add(std::int64_t{limit < 1 ? 1 : limit});
    auto r = (*lease)->exec(sql::kListUnreferencedArtifacts, p, "listing unreferenced artifacts");
    if (!r) {
        return std::move(r).error();
    }
    std::vector<ArtifactRecord> out;
    out.reserve(static_cast<std::size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) {
        out.push_back(read_artifact(*r, i));
    }
    return out;
}

Result<bool> PgVersionRepository::remove_unreferenced_artifact(std::string_view key, std::optional<TimePoint> cutoff) {
    auto lease = pool_->acquire();
    if (!lease) {
        return std::move(lease).error();
    }
    PgConnection& c = **lease;
    return in_transaction(c, sql::kBegin, "deleting artifact", [&]() -> Result<bool> {
        Params k;
        k.add(key);
        auto locked = c.exec(sql::kLockArtifactForDelete, k, "locking artifact");
        if (!locked) {
            return std::move(locked).error();
        }
        if (locked->rows() == 0) {
            return false;
        }
        Params p;
        p.add(key);
        if (cutoff) {
            p.add(*cutoff);
        } else {
            p.add_null();
        }
        auto r = c.exec(sql::kDeleteUnreferencedArtifact, p, "deleting artifact");
        if (!r) {
            return std::move(r).error();
        }
        return r->affected() > 0;
    });
}

Result<void> PgVersionRepository::ping() {
    auto revision = catalog_revision();
    if (!revision) {
        return std::move(revision).error();
    }
    return ok();
}

}  // namespace beacon::backends::postgres
