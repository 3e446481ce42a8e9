#pragma once

// releases::VersionRepository in memory: the unit-test fake of the releases
// service, held to the same contract suite as the database adapters
// (memory_version_repository_contract.cpp), so a service test that passes
// against it means the same against SQLite or PostgreSQL.
//
// fail_next_for_test(n) makes the next n calls fail with Unavailable, for
// tests of the service's error paths. Thread-safe (one recursive mutex).

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "releases/version_repository.hpp"

namespace beacon::test {

class MemoryVersionRepository final : public releases::VersionRepository {
public:
    using ReleaseVersion = releases::ReleaseVersion;
    using ArtifactRecord = releases::ArtifactRecord;

    Result<ReleaseVersion> create(const ReleaseVersion& version) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        if (find_duplicate(version, 0)) {
            return make_error(ErrorCode::Conflict, "memory: duplicate version");
        }
        if (version.artifact) {
            auto it = artifacts_.find(version.artifact->key);
            if (it == artifacts_.end()) {
                return make_error(ErrorCode::Unprocessable, "memory: unknown artifact");
            }
            it->second.unreferenced_since.reset();
        }
        ReleaseVersion v = normalized(version);
        v.id = ++last_id_;
        v.revision = 1;
        versions_[v.id] = v;
        ++catalog_revision_;
        return v;
    }

    Result<ReleaseVersion> get(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        auto it = versions_.find(id);
        if (it == versions_.end()) {
            return make_error(ErrorCode::NotFound, "memory: no version " + std::to_string(id));
        }
        return it->second;
    }

    Result<releases::VersionPage> list(const releases::VersionFilter& filter,
                                       int limit,
                                       const std::optional<releases::VersionCursor>& after) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        std::vector<const ReleaseVersion*> rows;
        for (const auto& [id, v] : versions_) {
            if (filter.platform && v.platform != *filter.platform) {
                continue;
            }
            if (filter.channel && v.channel != *filter.channel) {
                continue;
            }
            if (filter.is_enabled && v.is_enabled != *filter.is_enabled) {
                continue;
            }
            if (after && std::tie(v.version_code, v.id) >= std::tie(after->version_code, after->id)) {
                continue;
            }
            rows.push_back(&v);
        }
        std::sort(rows.begin(), rows.end(), [](const auto* a, const auto* b) {
            return std::tie(a->version_code, a->id) > std::tie(b->version_code, b->id);
        });
        releases::VersionPage page;
        const auto wanted = static_cast<std::size_t>(std::max(limit, 1));
        for (std::size_t i = 0; i < rows.size() && i < wanted; ++i) {
            page.versions.push_back(*rows[i]);
        }
        if (rows.size() > wanted) {
            page.next = releases::VersionCursor{page.versions.back().version_code, page.versions.back().id};
        }
        return page;
    }

    Result<ReleaseVersion> update(const ReleaseVersion& version, std::int64_t expected_revision) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        auto it = versions_.find(version.id);
        if (it == versions_.end()) {
            return make_error(ErrorCode::NotFound, "memory: no version " + std::to_string(version.id));
        }
        if (it->second.revision != expected_revision) {
            return make_error(ErrorCode::PreconditionFailed, "memory: stale revision");
        }
        if (find_duplicate(version, version.id)) {
            return make_error(ErrorCode::Conflict, "memory: duplicate version");
        }
        const std::optional<std::string> old_key = key_of(it->second);
        const std::optional<std::string> new_key = key_of(version);
        if (new_key && new_key != old_key) {
            auto a = artifacts_.find(*new_key);
            if (a == artifacts_.end()) {
                return make_error(ErrorCode::Unprocessable, "memory: unknown artifact");
            }
            a->second.unreferenced_since.reset();
        }
        ReleaseVersion v = normalized(version);
        v.created_at = it->second.created_at;
        v.revision = expected_revision + 1;
        it->second = v;
        if (old_key && old_key != new_key) {
            release(*old_key, version.updated_at);
        }
        ++catalog_revision_;
        return v;
    }

    // create() and update(), then the decision and the webhook, under one
    // hold of the (recursive) lock; when the webhook callback fails, the
    // state is put back as it was (as a rollback would).
    Result<ReleaseVersion> create_with_rollout(const ReleaseVersion& version,
                                               const releases::RolloutRecord& record) override {
        std::lock_guard lock(mutex_);
        return with_rollback([&] { return create(version); }, record);
    }

    Result<ReleaseVersion> update_with_rollout(const ReleaseVersion& version,
                                               std::int64_t expected_revision,
                                               const releases::RolloutRecord& record) override {
        std::lock_guard lock(mutex_);
        return with_rollback([&] { return update(version, expected_revision); }, record);
    }

    Result<std::vector<releases::RolloutDecision>> list_rollout_decisions(std::int64_t id, int limit) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        std::vector<releases::RolloutDecision> out;
        auto it = decisions_.find(id);
        if (it == decisions_.end()) {
            return out;
        }
        // Stored oldest first; newest first by time, then by insertion.
        std::vector<releases::RolloutDecision> all(it->second.rbegin(), it->second.rend());
        std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.at > b.at; });
        all.resize(std::min<std::size_t>(all.size(), static_cast<std::size_t>(limit < 1 ? 1 : limit)));
        return all;
    }

    // The webhook deliveries the rollout records made, oldest first.
    std::vector<webhooks::Delivery> deliveries_for_test() const {
        std::lock_guard lock(mutex_);
        return deliveries_;
    }

    Result<ReleaseVersion> remove(std::int64_t id,
                                  std::optional<std::int64_t> expected_revision,
                                  TimePoint now) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        auto it = versions_.find(id);
        if (it == versions_.end()) {
            return make_error(ErrorCode::NotFound, "memory: no version " + std::to_string(id));
        }
        if (expected_revision && it->second.revision != *expected_revision) {
            return make_error(ErrorCode::PreconditionFailed, "memory: stale revision");
        }
        ReleaseVersion v = std::move(it->second);
        versions_.erase(it);
        decisions_.erase(id);
        if (auto key = key_of(v)) {
            release(*key, now);
        }
        ++catalog_revision_;
        return v;
    }

    Result<std::map<std::int64_t, std::string>> version_names(releases::Platform platform,
                                                              std::span<const std::int64_t> codes) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        std::map<std::int64_t, std::string> names;
        std::map<std::int64_t, const releases::ReleaseVersion*> best;
        for (const auto& [id, v] : versions_) {
            if (v.platform != platform || std::find(codes.begin(), codes.end(), v.version_code) == codes.end()) {
                continue;
            }
            const releases::ReleaseVersion*& b = best[v.version_code];
            auto rank = [](const releases::ReleaseVersion& x) {
                return std::make_pair(x.channel != "stable", x.channel);
            };
            if (b == nullptr || rank(v) < rank(*b)) {
                b = &v;
            }
        }
        for (const auto& [code, v] : best) {
            names.emplace(code, v->version_name);
        }
        return names;
    }

    Result<std::int64_t> catalog_revision() override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        ++catalog_revision_reads_;
        return catalog_revision_;
    }

    Result<releases::CatalogSnapshot> load_catalog() override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        ++catalog_loads_;
        releases::CatalogSnapshot s;
        s.revision = catalog_revision_;
        for (const auto& [id, v] : versions_) {
            if (v.is_enabled) {
                s.enabled_versions.push_back(v);
            }
        }
        return s;
    }

    Result<releases::PutArtifactResult> put_artifact(const ArtifactRecord& record) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        auto [it, created] = artifacts_.try_emplace(record.artifact.key, record);
        if (created) {
            it->second.unreferenced_since =
                users(record.artifact.key) > 0 ? std::nullopt : std::optional<TimePoint>(record.created_at);
        }
        return releases::PutArtifactResult{it->second, created};
    }

    Result<ArtifactRecord> get_artifact(std::string_view key) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        auto it = artifacts_.find(key);
        if (it == artifacts_.end()) {
            return make_error(ErrorCode::NotFound, "memory: no artifact " + std::string(key));
        }
        return it->second;
    }

    Result<std::int64_t> count_versions_using(std::string_view key) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        return users(key);
    }

    Result<std::vector<ArtifactRecord>> list_unreferenced_artifacts(TimePoint cutoff, int limit) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        std::vector<ArtifactRecord> out;
        for (const auto& [key, a] : artifacts_) {
            if (a.unreferenced_since && *a.unreferenced_since <= cutoff) {
                out.push_back(a);
            }
        }
        std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
            return std::tie(*a.unreferenced_since, a.artifact.key) < std::tie(*b.unreferenced_since, b.artifact.key);
        });
        if (out.size() > static_cast<std::size_t>(std::max(limit, 1))) {
            out.resize(static_cast<std::size_t>(std::max(limit, 1)));
        }
        return out;
    }

    Result<bool> remove_unreferenced_artifact(std::string_view key, std::optional<TimePoint> cutoff) override {
        std::lock_guard lock(mutex_);
        if (auto e = injected()) {
            return *e;
        }
        auto it = artifacts_.find(key);
        if (it == artifacts_.end() || users(key) > 0) {
            return false;
        }
        if (cutoff && !(it->second.unreferenced_since && *it->second.unreferenced_since <= *cutoff)) {
            return false;
        }
        artifacts_.erase(it);
        return true;
    }

    // The next `n` calls fail with Unavailable.
    void fail_next_for_test(int n) { fail_next_.store(n); }
    int catalog_loads_for_test() {
        std::lock_guard lock(mutex_);
        return catalog_loads_;
    }
    int catalog_revision_reads_for_test() {
        std::lock_guard lock(mutex_);
        return catalog_revision_reads_;
    }

private:
    // The caller holds mutex_.
    // Runs `write`, then stores `record` for the version it wrote; restores
    // the versions, artifacts and catalog revision when either fails.
    // Called with the lock held.
    template <typename Write>
    Result<ReleaseVersion> with_rollback(Write write, const releases::RolloutRecord& record) {
        auto versions = versions_;
        auto artifacts = artifacts_;
        const std::int64_t catalog_revision = catalog_revision_;
        auto stored = write();
        if (!stored) {
            return stored;
        }
        if (auto r = store_rollout(*stored, record); !r) {
            versions_ = std::move(versions);
            artifacts_ = std::move(artifacts);
            catalog_revision_ = catalog_revision;
            return std::move(r).error();
        }
        return stored;
    }

    Result<void> store_rollout(const ReleaseVersion& stored, const releases::RolloutRecord& record) {
        std::optional<webhooks::Delivery> delivery;
        if (record.webhook) {
            auto made = record.webhook(stored);
            if (!made) {
                return std::move(made).error();
            }
            delivery = std::move(*made);
        }
        decisions_[stored.id].push_back(record.decision);
        if (delivery) {
            deliveries_.push_back(std::move(*delivery));
        }
        return ok();
    }

    std::optional<Error> injected() {
        if (fail_next_.load() > 0 && fail_next_.fetch_sub(1) > 0) {
            return make_error(ErrorCode::Unavailable, "memory: injected failure");
        }
        return std::nullopt;
    }

    bool find_duplicate(const ReleaseVersion& v, std::int64_t except_id) const {
        return std::any_of(versions_.begin(), versions_.end(), [&](const auto& kv) {
            const ReleaseVersion& o = kv.second;
            return o.id != except_id && o.platform == v.platform && o.channel == v.channel &&
                   o.version_code == v.version_code;
        });
    }

    static std::optional<std::string> key_of(const ReleaseVersion& v) {
        return v.artifact ? std::optional<std::string>(v.artifact->key) : std::nullopt;
    }

    static ReleaseVersion normalized(ReleaseVersion v) {
        if (v.changelog && v.changelog->empty()) {
            v.changelog.reset();
        }
        return v;
    }

    std::int64_t users(std::string_view key) const {
        return std::count_if(versions_.begin(), versions_.end(), [&](const auto& kv) {
            return kv.second.artifact && kv.second.artifact->key == key;
        });
    }

    void release(const std::string& key, TimePoint at) {
        auto it = artifacts_.find(key);
        if (it != artifacts_.end() && !it->second.unreferenced_since && users(key) == 0) {
            it->second.unreferenced_since = at;
        }
    }

    mutable std::recursive_mutex mutex_;  // recursive: the *_with_rollout writes hold it across create / update
    std::map<std::int64_t, ReleaseVersion> versions_;
    std::map<std::int64_t, std::vector<releases::RolloutDecision>> decisions_;  // oldest first
    std::vector<webhooks::Delivery> deliveries_;
    std::map<std::string, ArtifactRecord, std::less<>> artifacts_;
    std::int64_t last_id_ = 0;
    std::int64_t catalog_revision_ = 0;
    int catalog_loads_ = 0;
    int catalog_revision_reads_ = 0;
    std::atomic<int> fail_next_{0};
};

}  // namespace beacon::test
