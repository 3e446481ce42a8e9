#include "http/offer_body.hpp"

#include <unordered_map>

#include <boost/json.hpp>

#include "core/json_write.hpp"
#include "core/time_format.hpp"
#include "http/entity_tag.hpp"
#include "http/release_json.hpp"

namespace beacon::http {

namespace json = boost::json;

OfferBody build_offer_body(const releases::UpdateCheck& check) {
    json::value latest = nullptr;
    if (check.latest) {
        const releases::ReleaseVersion& v = *check.latest;
        json::object l{{"id", v.id},
                       {"versionCode", v.version_code},
                       {"versionName", v.version_name},
                       {"changelog", json_or_null(v.changelog)},
                       {"releasedAt", format_iso8601(v.released_at)}};
        l["downloadUrl"] = check.download ? json::value(check.download->url) : json::value(nullptr);
        l["downloadUrlExpiresAt"] = check.download && check.download->expires_at
                                        ? json::value(format_iso8601(*check.download->expires_at))
                                        : json::value(nullptr);
        l["fileSize"] = v.artifact ? json::value(v.artifact->file_size) : json::value(nullptr);
        l["sha256"] = v.artifact ? json::value(v.artifact->sha256) : json::value(nullptr);
        if (const auto& s = check.signature) {
            l["signature"] =
                json::object{{"keyId", s->key_id}, {"signedAt", format_iso8601(s->signed_at)}, {"value", s->value}};
        } else {
            l["signature"] = nullptr;
        }
        latest = std::move(l);
    }
    OfferBody out;
    out.body = json_write(json::object{
        {"needUpdate", check.need_update}, {"forceUpdate", check.force_update}, {"latest", std::move(latest)}});
    out.etag = body_etag(out.body);
    return out;
}

namespace {

// What a cached body was built from, beyond the version's id and the flags
// (its key). A version's fields change only with its revision; the link and
// the signature change once a window.
struct Built {
    std::int64_t revision = 0;
    TimePoint updated_at;
    bool has_download = false;
    std::string url;
    std::int64_t expires_ms = -1;  // the link's expiry in ms since the epoch; -1: none
    std::string signature;         // the value, empty when unsigned
    OfferBody offer;
};

std::int64_t expires_ms(const releases::UpdateCheck& c) {
    return c.download && c.download->expires_at ? c.download->expires_at->time_since_epoch().count() : -1;
}

bool same_source(const Built& b, const releases::UpdateCheck& c) {
    const std::string_view sig = c.signature ? std::string_view(c.signature->value) : std::string_view();
    return b.revision == c.latest->revision && b.updated_at == c.latest->updated_at &&
           b.has_download == c.download.has_value() && (!c.download || b.url == c.download->url) &&
           b.expires_ms == expires_ms(c) && b.signature == sig;
}

// Bounded: a catalog offers a handful of versions at a time; past this many
// (a catalog churning through many), the thread starts over.
constexpr std::size_t kMaxBodies = 256;

}  // namespace

const OfferBody& offer_body(const releases::UpdateCheck& check) {
    if (!check.latest) {
        // No update: always the same bytes (flags are never set without a version).
        thread_local const OfferBody none = build_offer_body(releases::UpdateCheck{});
        if (!check.need_update && !check.force_update) {
            return none;
        }
        thread_local OfferBody other;
        other = build_offer_body(check);
        return other;
    }
    thread_local std::unordered_map<std::int64_t, Built> bodies;
    const std::int64_t key = check.latest->id * 4 + (check.need_update ? 2 : 0) + (check.force_update ? 1 : 0);
    auto it = bodies.find(key);
    if (it != bodies.end() && same_source(it->second, check)) {
        return it->second.offer;
    }
    if (it == bodies.end()) {
        if (bodies.size() >= kMaxBodies) {
            bodies.clear();
        }
        it = bodies.emplace(key, Built{}).first;
    }
    Built& b = it->second;
    b.revision = check.latest->revision;
    b.updated_at = check.latest->updated_at;
    b.has_download = check.download.has_value();
    b.url = check.download ? check.download->url : std::string();
    b.expires_ms = expires_ms(check);
    b.signature = check.signature ? check.signature->value : std::string();
    b.offer = build_offer_body(check);
    return b.offer;
}

}  // namespace beacon::http
