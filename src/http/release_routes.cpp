// Handlers of /admin/versions* and /app/version/check: parse and validate,
// call the releases services, map the Result to a response. The upload is
// in artifact_upload.cpp.
#include "http/release_routes.hpp"

#include <charconv>

#include <boost/json.hpp>

#include "core/json_write.hpp"
#include "core/time_format.hpp"
#include "http/entity_tag.hpp"
#include "http/json_fields.hpp"
#include "http/offer_body.hpp"
#include "http/query_params.hpp"
#include "http/release_json.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;
using releases::ReleaseVersion;

Response version_response(bh::status status, const ReleaseVersion& v) {
    Response res = json_response(status, version_json(v));
    res.set(bh::field::etag, "\"" + std::to_string(v.revision) + "\"");
    return res;
}

Result<releases::NewVersion> new_version(const json::object& o) {
    JsonFields f(o);
    releases::NewVersion nv;
    std::optional<std::string> platform, name;
    std::optional<std::int64_t> code;
    releases::Nullable<std::int64_t> force_after_days;
    auto read = first_error({f.string("platform", platform),
                             f.integer("versionCode", code),
                             f.string("versionName", name),
                             f.string("channel", nv.channel),
                             f.string("changelog", nv.changelog),
                             f.boolean("isForceUpdate", nv.is_force_update),
                             f.boolean("isEnabled", nv.is_enabled),
                             f.integer("minSupportedVersionCode", nv.min_supported_version_code),
                             f.integer("rolloutPercent", nv.rollout_percent),
                             f.nullable("forceAfterDays", force_after_days, &JsonFields::integer),
                             f.string("artifactKey", nv.artifact_key),
                             f.string("externalUrl", nv.external_url),
                             f.time("releasedAt", nv.released_at)});
    if (!read) {
        return std::move(read).error();
    }
    if (force_after_days) {
        nv.force_after_days = *force_after_days;  // null is the default
    }
    if (const json::value* plan = o.if_contains("rolloutPlan")) {
        auto parsed = releases::parse_rollout_plan(*plan);
        if (!parsed) {
            return std::move(parsed).error();
        }
        nv.rollout_plan = std::move(*parsed);
    }
    if (!platform) {
        return invalid_field("platform", "is required");
    }
    if (!code) {
        return invalid_field("versionCode", "is required");
    }
    if (!name) {
        return invalid_field("versionName", "is required");
    }
    nv.platform = *platform;
    nv.version_code = *code;
    nv.version_name = *name;
    return nv;
}

Result<releases::VersionPatch> version_patch(const json::object& o) {
    JsonFields f(o);
    releases::VersionPatch p;
    auto read = first_error({f.string("platform", p.platform),
                             f.integer("versionCode", p.version_code),
                             f.string("versionName", p.version_name),
                             f.string("channel", p.channel),
                             f.nullable("changelog", p.changelog, &JsonFields::string),
                             f.boolean("isForceUpdate", p.is_force_update),
                             f.boolean("isEnabled", p.is_enabled),
                             f.nullable("minSupportedVersionCode", p.min_supported_version_code, &JsonFields::integer),
                             f.integer("rolloutPercent", p.rollout_percent),
                             f.nullable("forceAfterDays", p.force_after_days, &JsonFields::integer),
                             f.nullable("artifactKey", p.artifact_key, &JsonFields::string),
                             f.nullable("externalUrl", p.external_url, &JsonFields::string),
                             f.time("releasedAt", p.released_at)});
    if (!read) {
        return std::move(read).error();
    }
    if (const json::value* plan = o.if_contains("rolloutPlan")) {
        auto parsed = releases::parse_rollout_plan(*plan);
        if (!parsed) {
            return std::move(parsed).error();
        }
        p.rollout_plan = std::move(*parsed);
    }
    return p;
}

asio::awaitable<Response> create_version(ReleaseApi& api, Request& req) {
    auto body = parse_json_object(req.body);
    if (!body) {
        co_return problem_response(body.error());
    }
    auto nv = new_version(*body);
    if (!nv) {
        co_return problem_response(nv.error());
    }
    nv->actor = admin_subject(req);
    auto created = api.service.create(*nv);
    if (!created) {
        co_return problem_response(created.error());
    }
    Response res = version_response(bh::status::created, *created);
    res.set(bh::field::location, "/admin/versions/" + std::to_string(created->id));
    co_return res;
}

asio::awaitable<Response> patch_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, true);
    if (!target) {
        co_return problem_response(target.error());
    }
    auto body = parse_json_object(req.body);
    if (!body) {
        co_return problem_response(body.error());
    }
    auto patch = version_patch(*body);
    if (!patch) {
        co_return problem_response(patch.error());
    }
    patch->actor = admin_subject(req);
    auto updated = api.service.patch(target->id, *patch, target->if_match);
    if (!updated) {
        co_return problem_response(updated.error());
    }
    co_return version_response(bh::status::ok, *updated);
}

asio::awaitable<Response> get_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, false);
    if (!target) {
        co_return problem_response(target.error());
    }
    auto v = api.service.get(target->id);
    if (!v) {
        co_return problem_response(v.error());
    }
    co_return version_response(bh::status::ok, *v);
}

asio::awaitable<Response> toggle_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, true);
    if (!target) {
        co_return problem_response(target.error());
    }
    auto v = api.service.toggle(target->id, target->if_match);
    if (!v) {
        co_return problem_response(v.error());
    }
    co_return version_response(bh::status::ok, *v);
}

asio::awaitable<Response> delete_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, true);
    if (!target) {
        co_return problem_response(target.error());
    }
    auto removed = api.service.remove(target->id, target->if_match);
    if (!removed) {
        co_return problem_response(removed.error());
    }
    co_return empty_response(bh::status::no_content);
}

Result<releases::VersionListQuery> version_list_query(const Request& req) {
    releases::VersionListQuery q;
    q.platform = text_param(req, "platform");
    q.channel = text_param(req, "channel");
    if (auto v = text_param(req, "isEnabled")) {
        if (*v != "true" && *v != "false") {
            return invalid_field("isEnabled", "must be true or false");
        }
        q.is_enabled = *v == "true";
    }
    auto limit = integer_param(req, "limit", "must be an integer from 1 to 500");
    if (!limit) {
        return std::move(limit).error();
    }
    if (*limit) {
        q.limit = **limit;
    }
    q.cursor = text_param(req, "cursor");
    return q;
}

asio::awaitable<Response> list_versions(ReleaseApi& api, Request& req) {
    auto q = version_list_query(req);
    if (!q) {
        co_return problem_response(q.error());
    }
    auto page = api.service.list(*q);
    if (!page) {
        co_return problem_response(page.error());
    }
    json::array out;
    for (const auto& v : page->versions) {
        out.push_back(version_json(v));
    }
    co_return json_response(
        bh::status::ok, json::object{{"versions", std::move(out)}, {"nextCursor", json_or_null(page->next_cursor)}});
}

asio::awaitable<Response> download_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, false);
    if (!target) {
        co_return problem_response(target.error());
    }
    auto link = api.service.download(target->id);
    if (!link) {
        co_return problem_response(link.error());
    }
    Response res = empty_response(bh::status::found);
    res.set(bh::field::location, absolute_link(api.listen, req.header, link->url));
    res.set(bh::field::cache_control, "no-store");
    co_return res;
}

asio::awaitable<Response> check_update(ReleaseApi& api, Request& req) {
    auto platform = req.query_param("platform");
    if (!platform) {
        co_return field_problem("platform", "is required");
    }
    auto code_text = req.query_param("current_version_code");
    if (!code_text) {
        code_text = req.query_param("currentVersionCode");
    }
    if (!code_text) {
        co_return field_problem("current_version_code", "is required");
    }
    std::int64_t code = -1;
    auto [p, ec] = std::from_chars(code_text->data(), code_text->data() + code_text->size(), code);
    if (ec != std::errc{} || p != code_text->data() + code_text->size() || code < 0) {
        co_return field_problem("current_version_code", "must be a non-negative integer");
    }
    std::optional<std::string_view> channel = req.query_param("channel");
    if (channel && channel->empty()) {
        channel.reset();
    }
    std::optional<std::string_view> install = req.query_param("installId");
    if (install && install->empty()) {
        install.reset();
    }
    auto decision = api.service.check(*platform, channel, code, install, link_base(api.listen, req.header));
    if (!decision) {
        co_return problem_response(decision.error());
    }
    // Clients poll this: a strong tag of the body lets them revalidate
    // (private: the answer depends on the install; no-cache: always ask).
    const OfferBody& offer = offer_body(*decision);
    Response res = if_none_match(req.header, offer.etag) ? empty_response(bh::status::not_modified)
                                                         : json_response(bh::status::ok, std::string(offer.body));
    res.set(bh::field::etag, offer.etag);
    res.set(bh::field::cache_control, "private, no-cache");
    co_return res;
}

// GET /app/version/signing-keys: the keys that verify signed offers.
asio::awaitable<Response> signing_keys(ReleaseApi& api, Request&) {
    json::array keys;
    for (const releases::PublicSigningKey& k : api.service.signing_keys()) {
        keys.push_back(json::object{{"keyId", k.key_id}, {"algorithm", k.algorithm}, {"publicKey", k.public_key}});
    }
    co_return json_response(bh::status::ok, json::object{{"keys", std::move(keys)}});
}

}  // namespace

std::string admin_subject(const Request& req) {
    return req.principal ? req.principal->subject : std::string();
}

std::optional<std::int64_t> parse_version_id(std::string_view s) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc{} || p != s.data() + s.size() || id <= 0) {
        return std::nullopt;
    }
    return id;
}

Result<VersionTarget> version_target(const Request& req, bool with_if_match) {
    auto id = parse_version_id(req.params[0]);
    if (!id) {
        return make_error(ErrorCode::NotFound, "no version with that id");
    }
    VersionTarget t{*id, std::nullopt};
    std::string_view v = req.header[bh::field::if_match];
    if (!with_if_match || v.empty() || v == "*") {
        return t;
    }
    if (v.starts_with("W/")) {
        v.remove_prefix(2);
    }
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        v = v.substr(1, v.size() - 2);
    }
    t.if_match = parse_version_id(v);
    if (!t.if_match) {
        return invalid_field("If-Match", "must be the version's ETag, e.g. \"3\"");
    }
    return t;
}

void add_release_routes(Router& router, ReleaseApi& api) {
    auto bind = [&api](auto fn) { return [&api, fn](Request& r) { return fn(api, r); }; };
    const RouteOptions admin_read{.access = Access::Admin, .executor = Executor::Blocking};
    const RouteOptions admin_json{
        .access = Access::Admin, .body = BodyKind::Json, .body_limit = kJsonLimit, .executor = Executor::Blocking};
    router.add("POST",
               "/admin/versions/upload",
               {.access = Access::Admin, .body = BodyKind::Stream, .body_limit = api.intake.max_bytes()},
               bind(upload_artifact));
    router.add("POST", "/admin/versions", admin_json, bind(create_version));
    router.add("GET", "/admin/versions", admin_read, bind(list_versions));
    router.add("GET", "/admin/versions/{id}", admin_read, bind(get_version));
    router.add("PATCH", "/admin/versions/{id}", admin_json, bind(patch_version));
    router.add("DELETE", "/admin/versions/{id}", admin_read, bind(delete_version));
    router.add("POST", "/admin/versions/{id}/toggle", admin_read, bind(toggle_version));
    router.add("GET", "/admin/versions/{id}/download", admin_read, bind(download_version));
    router.add("GET", "/app/version/check", {.access = Access::OptionalUser}, bind(check_update));
    router.add("GET", "/app/version/signing-keys", {.access = Access::Public}, bind(signing_keys));
}

}  // namespace beacon::http
