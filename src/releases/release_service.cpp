#include "releases/release_service.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "releases/rollout_record.hpp"
#include "releases/storable_text.hpp"

namespace beacon::releases {
namespace {

constexpr std::int64_t kMaxInt32 = std::numeric_limits<std::int32_t>::max();
// Concurrent writers without If-Match retry their compare-and-set this often
// before giving up with Conflict (it takes a write storm on one version).
constexpr int kMaxWriteAttempts = 8;
// Artifacts the cleanup removes per repository listing.
constexpr int kCleanupBatch = 100;

// Collects field errors so one 400 names every bad field.
class Validation {
public:
    void fail(std::string field, std::string message) {
        fields_.push_back(FieldError{std::move(field), std::move(message)});
    }
    bool ok() const { return fields_.empty(); }
    Error error() && {
        std::string summary = "invalid version";
        const char* sep = ": ";
        for (const FieldError& f : fields_) {
            summary.append(sep).append(f.field).append(" ").append(f.message);
            sep = "; ";
        }
        return Error{ErrorCode::InvalidArgument, std::move(summary), std::move(fields_)};
    }

private:
    std::vector<FieldError> fields_;
};

Error unprocessable(std::vector<std::string> fields, const std::string& message) {
    Error e{ErrorCode::Unprocessable, message, {}};
    for (std::string& f : fields) {
        e.fields.push_back(FieldError{std::move(f), message});
    }
    return e;
}

std::size_t utf8_chars(std::string_view s) {
    std::size_t n = 0;
    for (char c : s) {
        // Count every byte that does not continue a multi-byte sequence.
        n += (static_cast<unsigned char>(c) & 0xC0u) != 0x80u ? 1 : 0;
    }
    return n;
}

bool iequals_ascii(std::string_view a, std::string_view lower) {
    if (a.size() != lower.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != lower[i]) {
            return false;
        }
    }
    return true;
}

bool is_valid_channel(std::string_view c) {
    if (c.empty() || c.size() > kMaxChannelChars) {
        return false;
    }
    for (char ch : c) {
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) {
            return false;
        }
    }
    return true;
}

// An absolute http(s) URL with a host: "http" or "https" (any case), "://",
// a non-empty authority whose host is not empty. Only printable ASCII without
// spaces (anything else must be percent-encoded), so the value can go into a
// Location header as it is.
bool is_http_url(std::string_view url) {
    for (char c : url) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7F) {
            return false;
        }
    }
    const std::size_t sep = url.find("://");
    if (sep == std::string_view::npos) {
        return false;
    }
    const std::string_view scheme = url.substr(0, sep);
    if (!iequals_ascii(scheme, "http") && !iequals_ascii(scheme, "https")) {
        return false;
    }
    const std::string_view rest = url.substr(sep + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    const std::size_t at = authority.rfind('@');
    const std::string_view host_port = at == std::string_view::npos ? authority : authority.substr(at + 1);
    return !host_port.empty() && host_port.front() != ':';
}

void set_platform(Validation& val, ReleaseVersion& v, std::string_view text) {
    if (auto p = parse_platform(text)) {
        v.platform = *p;
    } else {
        val.fail("platform", "must be android or ios");
    }
}

void set_version_code(Validation& val, ReleaseVersion& v, std::int64_t code) {
    if (code < 0 || code > kMaxInt32) {
        val.fail("versionCode", "must be an integer from 0 to 2147483647");
    } else {
        v.version_code = code;
    }
}

// Text fields reach the database as text parameters, which cannot carry
// U+0000 or invalid UTF-8 (PostgreSQL refuses them, libpq would cut at the
// NUL): refused here, naming the field, so they never turn into a 500.
constexpr const char* kNotStorable = "must be UTF-8 text without U+0000";

void set_version_name(Validation& val, ReleaseVersion& v, std::string_view name) {
    const std::size_t n = utf8_chars(name);
    if (!is_storable_text(name)) {
        val.fail("versionName", kNotStorable);
    } else if (n < 1 || n > kMaxVersionNameChars) {
        val.fail("versionName", "must be 1 to 64 characters");
    } else {
        v.version_name = std::string(name);
    }
}

void set_channel(Validation& val, ReleaseVersion& v, std::string_view channel) {
    if (!is_valid_channel(channel)) {
        val.fail("channel", "must be 1 to 32 characters of [a-z0-9-]");
    } else {
        v.channel = std::string(channel);
    }
}

// An empty changelog is stored as none (see VersionRepository).
void set_changelog(Validation& val, ReleaseVersion& v, const std::optional<std::string>& text) {
    if (text && text->size() > kMaxChangelogBytes) {
        val.fail("changelog", "must be at most 16 KiB");
    } else if (text && !is_storable_text(*text)) {
        val.fail("changelog", kNotStorable);
    } else if (text && !text->empty()) {
        v.changelog = *text;
    } else {
        v.changelog.reset();
    }
}

void set_min_supported(Validation& val, ReleaseVersion& v, std::optional<std::int64_t> code) {
    if (code && (*code < 0 || *code > kMaxInt32)) {
        val.fail("minSupportedVersionCode", "must be an integer from 0 to 2147483647");
    } else {
        v.min_supported_version_code = code;
    }
}

void set_rollout(Validation& val, ReleaseVersion& v, std::int64_t percent) {
    if (percent < 0 || percent > 100) {
        val.fail("rolloutPercent", "must be an integer from 0 to 100");
    } else {
        v.rollout_percent = static_cast<int>(percent);
    }
}

void set_force_after_days(Validation& val, ReleaseVersion& v, std::optional<std::int64_t> days) {
    if (days && (*days < kMinForceAfterDays || *days > kMaxForceAfterDays)) {
        val.fail("forceAfterDays", "must be an integer from 1 to 3650, or null");
    } else {
        v.force_after_days = days ? std::optional<int>(static_cast<int>(*days)) : std::nullopt;
    }
}

void set_external_url(Validation& val, ReleaseVersion& v, const std::optional<std::string>& url) {
    if (url && url->size() > kMaxExternalUrlBytes) {
        val.fail("externalUrl", "must be at most 2048 characters");
    } else if (url && !is_http_url(*url)) {
        val.fail("externalUrl", "must be an absolute http or https URL");
    } else {
        v.external_url = url;
    }
}

std::string actor_name(std::string_view actor) {
    return actor.empty() ? std::string(kUnnamedAdmin) : std::string(actor);
}

// The start of the reuse window `now` falls in (whole multiples of `reuse`
// since the epoch). Precondition: reuse > 0.
TimePoint window_start(TimePoint now, std::chrono::seconds reuse) {
    const auto since_epoch = std::chrono::floor<std::chrono::seconds>(now.time_since_epoch());
    return TimePoint{since_epoch - since_epoch % reuse};
}

// Where the links_ cache keeps the link and offers of `v` (see the header).
std::string link_cache_key(const ReleaseVersion& v) {
    if (v.artifact) {
        return v.artifact->key + '\n' + v.artifact->file_name;
    }
    return '\n' + v.external_url.value_or("");
}

// A signed link's offers per window: more than a few means many link bases
// (Host headers); past this many the oldest are dropped rather than grow.
constexpr std::size_t kMaxOffersPerLink = 16;

Error conflict_for(const ReleaseVersion& v) {
    return make_error(ErrorCode::Conflict,
                      "a version with platform " + std::string(to_string(v.platform)) + ", channel " + v.channel +
                          " and versionCode " + std::to_string(v.version_code) + " exists already");
}

// Repository errors on a version write, as the contract words them.
Error write_error(Error e, const ReleaseVersion& v, std::string_view what) {
    switch (e.code) {
        case ErrorCode::Conflict:
            return conflict_for(v);
        case ErrorCode::NotFound:
        case ErrorCode::PreconditionFailed:
            return e;
        case ErrorCode::Unprocessable:
            // The artifact record went away between our check and the write.
            return unprocessable({"artifactKey"}, "unknown artifact");
        default:
            return std::move(e).with_context(what);
    }
}

}  // namespace

ReleaseService::ReleaseService(VersionRepository& repository,
                               ArtifactStore& artifacts,
                               const Clock& clock,
                               ReleaseServiceOptions options)
    : repository_(repository),
      artifacts_(artifacts),
      clock_(clock),
      options_(std::move(options)),
      snapshot_(std::make_shared<const Snapshot>(std::nullopt, std::vector<ReleaseVersion>{})) {}

// --- Admin -------------------------------------------------------------------

Result<ReleaseVersion> ReleaseService::create(const NewVersion& request) {
    Validation val;
    ReleaseVersion v;
    set_platform(val, v, request.platform);
    set_version_code(val, v, request.version_code);
    set_version_name(val, v, request.version_name);
    set_channel(val, v, request.channel.value_or("stable"));
    set_changelog(val, v, request.changelog);
    v.is_force_update = request.is_force_update.value_or(false);
    v.is_enabled = request.is_enabled.value_or(true);
    set_min_supported(val, v, request.min_supported_version_code);
    set_rollout(val, v, request.rollout_percent.value_or(100));
    set_force_after_days(val, v, request.force_after_days);
    set_external_url(val, v, request.external_url);
    if (!val.ok()) {
        return std::move(val).error();
    }
    if (auto r = apply_artifact_and_rules(v, request.artifact_key); !r) {
        return std::move(r).error();
    }
    const TimePoint now = clock_.now();
    v.released_at = request.released_at.value_or(now);
    v.created_at = now;
    v.updated_at = now;
    v.revision = 1;
    std::optional<RolloutRecord> started;
    if (request.rollout_plan) {
        // A new version was offered to no one before: "from" 0.
        RolloutTransition t = start_plan(*request.rollout_plan, 0, now, actor_name(request.actor));
        v.rollout_plan = request.rollout_plan;
        v.rollout_percent = t.percent;
        v.rollout_progress = t.progress;
        started = make_rollout_record(std::move(t.decision), options_.webhooks);
    }
    auto stored = started ? repository_.create_with_rollout(v, *started) : repository_.create(v);
    if (!stored) {
        return write_error(std::move(stored).error(), v, "creating version");
    }
    rebuild_after_write();
    return stored;
}

Result<ReleaseVersion> ReleaseService::get(std::int64_t id) {
    auto v = repository_.get(id);
    if (!v && v.error().code != ErrorCode::NotFound) {
        return std::move(v).error().with_context("reading version " + std::to_string(id));
    }
    return v;
}

Result<VersionListing> ReleaseService::list(const VersionListQuery& query) {
    Validation val;
    VersionFilter filter;
    if (query.platform) {
        filter.platform = parse_platform(*query.platform);
        if (!filter.platform) {
            val.fail("platform", "must be android or ios");
        }
    }
    if (query.channel) {
        if (is_valid_channel(*query.channel)) {
            filter.channel = *query.channel;
        } else {
            val.fail("channel", "must be 1 to 32 characters of [a-z0-9-]");
        }
    }
    filter.is_enabled = query.is_enabled;
    const std::int64_t limit = query.limit.value_or(kDefaultListLimit);
    if (limit < 1 || limit > kMaxListLimit) {
        val.fail("limit", "must be an integer from 1 to 500");
    }
    std::optional<VersionCursor> after;
    if (query.cursor) {
        after = decode_version_cursor(*query.cursor);
        if (!after) {
            val.fail("cursor", "is not a cursor this server handed out");
        }
    }
    if (!val.ok()) {
        Error e = std::move(val).error();
        e.message.replace(0, std::string_view("invalid version").size(), "invalid query");
        return e;
    }
    auto page = repository_.list(filter, static_cast<int>(limit), after);
    if (!page) {
        return std::move(page).error().with_context("listing versions");
    }
    VersionListing out;
    out.versions = std::move(page->versions);
    if (page->next) {
        out.next_cursor = encode_version_cursor(*page->next);
    }
    return out;
}

Result<ReleaseVersion> ReleaseService::patch(std::int64_t id,
                                             const VersionPatch& patch,
                                             std::optional<std::int64_t> if_match) {
    return write_with_retry(id, if_match, "updating version", &patch);
}

Result<ReleaseVersion> ReleaseService::toggle(std::int64_t id, std::optional<std::int64_t> if_match) {
    return write_with_retry(id, if_match, "toggling version", nullptr);
}

Result<ReleaseVersion> ReleaseService::write_with_retry(std::int64_t id,
                                                        std::optional<std::int64_t> if_match,
                                                        std::string_view what,
                                                        const VersionPatch* patch) {
    for (int attempt = 1;; ++attempt) {
        const TimePoint now = clock_.now();
        auto current = repository_.get(id);
        if (!current) {
            Error e = std::move(current).error();
            return e.code == ErrorCode::NotFound ? e : std::move(e).with_context(what);
        }
        if (if_match && current->revision != *if_match) {
            return stale_revision(id, current->revision, *if_match);
        }
        ReleaseVersion v = *current;
        std::optional<RolloutRecord> started;
        if (patch == nullptr) {
            v.is_enabled = !v.is_enabled;
        } else {
            const VersionPatch& p = *patch;
            Validation val;
            if (p.platform) {
                set_platform(val, v, *p.platform);
            }
            if (p.version_code) {
                set_version_code(val, v, *p.version_code);
            }
            if (p.version_name) {
                set_version_name(val, v, *p.version_name);
            }
            if (p.channel) {
                set_channel(val, v, *p.channel);
            }
            if (p.changelog) {
                set_changelog(val, v, *p.changelog);
            }
            if (p.is_force_update) {
                v.is_force_update = *p.is_force_update;
            }
            if (p.is_enabled) {
                v.is_enabled = *p.is_enabled;
            }
            if (p.min_supported_version_code) {
                set_min_supported(val, v, *p.min_supported_version_code);
            }
            if (p.rollout_percent) {
                set_rollout(val, v, *p.rollout_percent);
            }
            // After rolloutPercent: a plan that starts sets it.
            if (p.rollout_plan && *p.rollout_plan != current->rollout_plan) {
                if (const auto& plan = *p.rollout_plan) {
                    RolloutTransition t = start_plan(*plan, v.rollout_percent, now, actor_name(p.actor));
                    v.rollout_plan = plan;
                    v.rollout_percent = t.percent;
                    v.rollout_progress = t.progress;
                    started = make_rollout_record(std::move(t.decision), options_.webhooks);
                } else {
                    v.rollout_plan.reset();
                    v.rollout_progress = RolloutProgress{};
                }
            } else if (p.rollout_percent && v.rollout_plan && v.rollout_progress.state == RolloutState::Running) {
                return make_error(ErrorCode::Conflict,
                                  "version " + std::to_string(id) +
                                      " has a running rollout plan, which sets rolloutPercent; pause it first or "
                                      "change the plan");
            }
            if (p.force_after_days) {
                set_force_after_days(val, v, *p.force_after_days);
            }
            if (p.external_url) {
                set_external_url(val, v, *p.external_url);
            }
            if (p.released_at) {
                v.released_at = *p.released_at;
            }
            if (!val.ok()) {
                return std::move(val).error();
            }
            const std::optional<std::string> artifact_key =
                p.artifact_key ? *p.artifact_key
                               : (v.artifact ? std::optional<std::string>(v.artifact->key) : std::nullopt);
            if (auto r = apply_artifact_and_rules(v, artifact_key); !r) {
                return std::move(r).error();
            }
        }
        v.updated_at = now;
        auto stored = started ? repository_.update_with_rollout(v, current->revision, *started)
                              : repository_.update(v, current->revision);
        if (!stored && stored.error().code == ErrorCode::PreconditionFailed && !if_match &&
            attempt < kMaxWriteAttempts) {
            continue;  // someone else wrote since our read: merge onto theirs
        }
        if (!stored) {
            Error e = std::move(stored).error();
            if (e.code == ErrorCode::PreconditionFailed && !if_match) {
                return make_error(ErrorCode::Conflict,
                                  "version " + std::to_string(id) + " keeps changing concurrently; try again");
            }
            return write_error(std::move(e), v, what);
        }
        rebuild_after_write();
        return stored;
    }
}

Result<void> ReleaseService::apply_artifact_and_rules(ReleaseVersion& v,
                                                      const std::optional<std::string>& artifact_key) {
    if (artifact_key && v.external_url) {
        return unprocessable({"artifactKey", "externalUrl"}, "give either artifactKey or externalUrl, not both");
    }
    if (v.min_supported_version_code && *v.min_supported_version_code > v.version_code) {
        return unprocessable({"minSupportedVersionCode"}, "must not be above versionCode");
    }
    if (!artifact_key) {
        v.artifact.reset();
        return ok();
    }
    // A key the database could not even be asked about (U+0000 in it, say)
    // is unknown without a query.
    if (!is_storable_text(*artifact_key)) {
        return unprocessable({"artifactKey"}, "unknown artifact");
    }
    auto record = repository_.get_artifact(*artifact_key);
    if (!record) {
        Error e = std::move(record).error();
        if (e.code == ErrorCode::NotFound) {
            return unprocessable({"artifactKey"}, "unknown artifact");
        }
        return std::move(e).with_context("reading artifact");
    }
    if (const auto& detected = record->detected) {
        if (detected->platform != v.platform) {
            return unprocessable({"artifactKey"},
                                 "the artifact is an " + std::string(to_string(detected->platform)) + " package, not " +
                                     std::string(to_string(v.platform)));
        }
        if (detected->version_code && *detected->version_code != v.version_code) {
            return unprocessable({"artifactKey"},
                                 "the artifact's version code is " + std::to_string(*detected->version_code) +
                                     ", not " + std::to_string(v.version_code));
        }
    }
    v.artifact = std::move(record->artifact);
    return ok();
}

Result<RemovedVersion> ReleaseService::remove(std::int64_t id, std::optional<std::int64_t> if_match) {
    auto removed = repository_.remove(id, if_match, clock_.now());
    if (!removed) {
        Error e = std::move(removed).error();
        if (e.code == ErrorCode::NotFound || e.code == ErrorCode::PreconditionFailed) {
            return e;
        }
        return std::move(e).with_context("deleting version " + std::to_string(id));
    }
    rebuild_after_write();
    RemovedVersion out{std::move(*removed), false, std::nullopt};
    if (!out.version.artifact) {
        return out;
    }
    auto record = repository_.get_artifact(out.version.artifact->key);
    if (!record) {
        if (record.error().code != ErrorCode::NotFound) {
            out.artifact_error = std::move(record).error().with_context("reading artifact");
        }
        return out;
    }
    auto gone = remove_artifact(*record, std::nullopt);
    if (gone) {
        out.artifact_removed = *gone;
    } else {
        out.artifact_error = std::move(gone).error();
    }
    return out;
}

Result<bool> ReleaseService::remove_artifact(const ArtifactRecord& record, std::optional<TimePoint> cutoff) {
    const std::string& key = record.artifact.key;
    // Record first: from here on no version can take the key, so the bytes
    // can go without a version ever pointing at missing bytes.
    auto removed = repository_.remove_unreferenced_artifact(key, cutoff);
    if (!removed) {
        return std::move(removed).error().with_context("removing artifact record " + key);
    }
    if (!*removed) {
        return false;
    }
    auto gone = artifacts_.remove(key);
    if (!gone) {
        // Put the record back (unreferenced since its creation), so the
        // cleanup job tries the bytes again.
        std::string context = "removing artifact " + key;
        if (auto restored = repository_.put_artifact(record); !restored) {
            context += " (and restoring its record: " + restored.error().message + ")";
        }
        return std::move(gone).error().with_context(context);
    }
    return true;
}

Result<ArtifactCleanup> ReleaseService::remove_unreferenced_artifacts(std::chrono::seconds grace) {
    const TimePoint cutoff = clock_.now() - grace;
    ArtifactCleanup out;
    for (;;) {
        auto batch = repository_.list_unreferenced_artifacts(cutoff, kCleanupBatch);
        if (!batch) {
            return std::move(batch).error().with_context("listing unreferenced artifacts");
        }
        bool failed = false;
        for (const ArtifactRecord& record : *batch) {
            auto r = remove_artifact(record, cutoff);
            if (!r) {
                out.errors.push_back(std::move(r).error());
                failed = true;
            } else if (*r) {
                ++out.removed;
            }
        }
        // A failed artifact is listed again (its record is restored): leave
        // the rest for the next run rather than spin on it.
        if (failed || batch->size() < static_cast<std::size_t>(kCleanupBatch)) {
            return out;
        }
    }
}

Result<DownloadLink> ReleaseService::download(std::int64_t id) {
    auto v = get(id);
    if (!v) {
        return std::move(v).error();
    }
    return link_for(*v, clock_.now());
}

std::chrono::seconds ReleaseService::link_reuse() const {
    return std::min(std::chrono::seconds{60}, options_.presign_ttl / 100);
}

Result<DownloadLink> ReleaseService::link_for(const ReleaseVersion& v, TimePoint now) const {
    if (v.artifact) {
        // Signing (an HMAC, or SigV4's five) was a quarter of an update
        // check's instructions (callgrind), and every client of a release
        // gets the same link. So a link is signed once per reuse window (a
        // minute, or 1% of a shorter TTL), valid from the window's start for
        // presign_ttl plus one window: any link handed out is valid for at
        // least presign_ttl and at most one window more.
        // (Under 100 s of TTL there is no reuse: reuse is 0 and links are
        // signed from now for exactly presign_ttl.)
        using std::chrono::seconds;
        const seconds reuse = link_reuse();
        TimePoint from = now;
        std::string cache_key;
        if (reuse > seconds{0}) {
            from = window_start(now, reuse);
            cache_key = link_cache_key(v);
            std::lock_guard lock(links_mutex_);
            if (auto it = links_.find(cache_key); it != links_.end() && it->second.window == from) {
                return it->second.link;
            }
        }
        auto signed_url = artifacts_.signed_url(
            v.artifact->key, v.artifact->file_name, options_.presign_ttl + reuse, from, options_.public_base_url);
        if (!signed_url) {
            return std::move(signed_url).error().with_context("signing download of " + v.artifact->key);
        }
        DownloadLink link{std::move(signed_url->url), signed_url->expires_at};
        if (reuse > seconds{0}) {
            std::lock_guard lock(links_mutex_);
            if (links_.size() >= 4096) {
                links_.clear();  // old windows' links; the live ones are re-signed on demand
            }
            links_.insert_or_assign(std::move(cache_key), CachedLink{from, link, {}});
        }
        return link;
    }
    if (v.external_url) {
        return DownloadLink{*v.external_url, std::nullopt};
    }
    return make_error(ErrorCode::NotFound, "version " + std::to_string(v.id) + " is a draft: nothing to download");
}

std::optional<OfferSignature> ReleaseService::sign_offer(const ReleaseVersion& v,
                                                         const DownloadLink& link,
                                                         TimePoint now) const {
    if (options_.signer == nullptr) {
        return std::nullopt;
    }
    // Ed25519 costs more than the rest of a check together, and every client
    // of a release in one window gets the same offer: signed once per window
    // and kept with the window's link, so the signature, signedAt and the
    // link change together. signedAt is the window's start (Ed25519 is
    // deterministic: replicas sharing a key give identical answers). Without
    // reuse (a TTL under 100 s) every offer is signed at the check.
    const std::chrono::seconds reuse = link_reuse();
    const bool reused = reuse > std::chrono::seconds{0};
    const TimePoint signed_at = reused ? window_start(now, reuse) : now;
    OfferFields fields;
    fields.platform = v.platform;
    fields.channel = v.channel;
    fields.version_code = v.version_code;
    if (v.artifact) {
        fields.sha256 = v.artifact->sha256;
        fields.file_size = v.artifact->file_size;
    }
    fields.download_url = link.url;
    std::string text = offer_text(fields, signed_at);
    const std::string cache_key = link_cache_key(v);
    if (reused) {
        std::lock_guard lock(links_mutex_);
        if (auto it = links_.find(cache_key); it != links_.end() && it->second.window == signed_at) {
            for (const CachedOffer& offer : it->second.offers) {
                if (offer.text == text) {
                    return offer.signature;
                }
            }
        }
    }
    OfferSignature signature{options_.signer->public_key().key_id, signed_at, options_.signer->sign(text)};
    if (reused) {
        std::lock_guard lock(links_mutex_);
        auto it = links_.find(cache_key);
        if ((it == links_.end() || it->second.window < signed_at) && !v.artifact) {
            // An external URL's entry holds its offers only (link_for never reads it).
            if (links_.size() >= 4096) {
                links_.clear();
            }
            it = links_.insert_or_assign(cache_key, CachedLink{signed_at, DownloadLink{link.url, std::nullopt}, {}})
                     .first;
        }
        // An artifact's entry is this window's link (link_for stored it);
        // when it is gone or another window's, the offer is not kept.
        if (it != links_.end() && it->second.window == signed_at) {
            auto& offers = it->second.offers;
            if (offers.size() >= kMaxOffersPerLink) {
                offers.erase(offers.begin());
            }
            offers.push_back(CachedOffer{std::move(text), signature});
        }
    }
    return signature;
}

std::vector<PublicSigningKey> ReleaseService::signing_keys() const {
    std::vector<PublicSigningKey> keys;
    if (options_.signer != nullptr) {
        keys.push_back(options_.signer->public_key());
    }
    for (const PublicSigningKey& k : options_.published_keys) {
        if (std::none_of(keys.begin(), keys.end(), [&](const PublicSigningKey& o) { return o.key_id == k.key_id; })) {
            keys.push_back(k);
        }
    }
    return keys;
}

// --- Update check ------------------------------------------------------------

Result<UpdateCheck> ReleaseService::check(std::string_view platform,
                                          std::optional<std::string_view> channel,
                                          std::int64_t current_code,
                                          std::optional<std::string_view> install_id,
                                          std::string_view link_base) const {
    const std::optional<Platform> p = parse_platform(platform);
    if (!p) {
        return invalid_field("platform", "must be android or ios");
    }
    if (current_code < 0) {
        return invalid_field("current_version_code", "must be a non-negative integer");
    }
    const std::shared_ptr<const Snapshot> snapshot = snapshot_.load(std::memory_order_acquire);
    const TimePoint now = clock_.now();
    const UpdateDecision d = snapshot->index.decide(*p, channel.value_or("stable"), current_code, install_id, now);
    UpdateCheck out;
    out.need_update = d.need_update;
    out.force_update = d.force_update;
    if (d.latest != nullptr) {
        auto link = link_for(*d.latest, now);
        if (!link) {
            return std::move(link).error();
        }
        if (!link->url.empty() && link->url.front() == '/') {
            link->url.insert(0, link_base);
        }
        out.signature = sign_offer(*d.latest, *link, now);
        out.download = std::move(*link);
        // Aliasing pointer: shares ownership of the whole snapshot.
        out.latest = std::shared_ptr<const ReleaseVersion>(snapshot, d.latest);
    }
    return out;
}

// --- Snapshot ----------------------------------------------------------------

ReleaseService::Snapshot::Snapshot(std::optional<std::int64_t> r, std::vector<ReleaseVersion> versions)
    : revision(r), index(std::move(versions)) {}

Result<void> ReleaseService::reload() {
    std::lock_guard lock(rebuild_mutex_);
    return rebuild_locked();
}

Result<bool> ReleaseService::refresh_if_stale() {
    std::lock_guard lock(rebuild_mutex_);
    auto revision = repository_.catalog_revision();
    if (!revision) {
        return std::move(revision).error().with_context("polling catalog revision");
    }
    if (snapshot_.load(std::memory_order_acquire)->revision == *revision) {
        return false;
    }
    if (auto r = rebuild_locked(); !r) {
        return std::move(r).error();
    }
    return true;
}

Result<std::map<std::int64_t, std::string>> ReleaseService::version_names(Platform platform,
                                                                          std::span<const std::int64_t> codes) {
    return repository_.version_names(platform, codes);
}

std::optional<std::int64_t> ReleaseService::snapshot_revision() const {
    return snapshot_.load(std::memory_order_acquire)->revision;
}

Result<void> ReleaseService::rebuild_locked() {
    auto catalog = repository_.load_catalog();
    if (!catalog) {
        return std::move(catalog).error().with_context("loading release catalog");
    }
    snapshot_.store(std::make_shared<const Snapshot>(catalog->revision, std::move(catalog->enabled_versions)),
                    std::memory_order_release);
    return ok();
}

void ReleaseService::rebuild_after_write() {
    std::lock_guard lock(rebuild_mutex_);
    // A failure leaves the previous snapshot, tagged with the previous
    // revision: the next refresh_if_stale() sees the difference and retries,
    // so the write (already committed) reaches checks within one poll.
    (void)rebuild_locked();
}

// --- Cursor ------------------------------------------------------------------

std::string encode_version_cursor(const VersionCursor& cursor) {
    return std::to_string(cursor.version_code) + "." + std::to_string(cursor.id);
}

std::optional<VersionCursor> decode_version_cursor(std::string_view text) {
    auto number = [](std::string_view digits) -> std::optional<std::int64_t> {
        if (digits.empty() || digits.size() > 19) {
            return std::nullopt;
        }
        for (char c : digits) {
            if (c < '0' || c > '9') {
                return std::nullopt;
            }
        }
        std::int64_t value = 0;
        auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
        if (ec != std::errc() || end != digits.data() + digits.size()) {
            return std::nullopt;
        }
        return value;
    };
    const std::size_t dot = text.find('.');
    if (dot == std::string_view::npos) {
        return std::nullopt;
    }
    auto code = number(text.substr(0, dot));
    auto id = number(text.substr(dot + 1));
    if (!code || !id) {
        return std::nullopt;
    }
    return VersionCursor{*code, *id};
}

}  // namespace beacon::releases
