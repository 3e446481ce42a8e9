// Handlers of /admin/versions*, /app/version/check and /files/*: parse and
// validate, call the releases services, map the Result to a response.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <charconv>
#include <cstdio>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/time_format.hpp"
#include "http/byte_range.hpp"
#include "http/multipart.hpp"
#include "http/problem.hpp"
#include "http/release_routes.hpp"
#include "releases/artifact_key.hpp"
#include "releases/detected_package_json.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;
using releases::ReleaseVersion;

json::value opt(const std::optional<std::string>& s) { return s ? json::value(*s) : json::value(nullptr); }
json::value opt(const std::optional<std::int64_t>& v) { return v ? json::value(*v) : json::value(nullptr); }

json::object artifact_json(const releases::Artifact& a) {
    return json::object{{"key", a.key},           {"fileName", a.file_name},       {"fileSize", a.file_size},
                        {"sha256", a.sha256},     {"contentType", a.content_type}, {"packageName", opt(a.package_name)}};
}

json::object version_json(const ReleaseVersion& v) {
    json::object o;
    o["id"] = v.id;
    o["platform"] = std::string(releases::to_string(v.platform));
    o["channel"] = v.channel;
    o["versionCode"] = v.version_code;
    o["versionName"] = v.version_name;
    o["changelog"] = opt(v.changelog);
    o["isForceUpdate"] = v.is_force_update;
    o["isEnabled"] = v.is_enabled;
    o["minSupportedVersionCode"] = opt(v.min_supported_version_code);
    o["rolloutPercent"] = v.rollout_percent;
    o["artifact"] = v.artifact ? json::value(artifact_json(*v.artifact)) : json::value(nullptr);
    o["externalUrl"] = opt(v.external_url);
    o["releasedAt"] = format_iso8601(v.released_at);
    o["createdAt"] = format_iso8601(v.created_at);
    o["updatedAt"] = format_iso8601(v.updated_at);
    o["revision"] = v.revision;
    return o;
}

Response version_response(bh::status status, const ReleaseVersion& v) {
    Response res = json_response(status, version_json(v));
    res.set(bh::field::etag, "\"" + std::to_string(v.revision) + "\"");
    return res;
}

// The Host header as host and optional port: host lower-cased, an IPv6
// literal without its brackets. nullopt when it is not host[:port] of the
// characters a host name or literal may have.
struct HostPort {
    std::string host;
    std::optional<std::uint16_t> port;
};
std::optional<HostPort> parse_host(std::string_view h) {
    if (h.empty() || h.size() > 255) {
        return std::nullopt;
    }
    HostPort out;
    std::string_view port;
    if (h.front() == '[') {
        const std::size_t close = h.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        out.host = std::string(h.substr(1, close - 1));
        const std::string_view rest = h.substr(close + 1);
        if (!rest.empty() && rest.front() != ':') {
            return std::nullopt;
        }
        port = rest.empty() ? rest : rest.substr(1);
        if (rest.size() == 1) {
            return std::nullopt;
        }
        for (char c : out.host) {
            if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
                return std::nullopt;
            }
        }
    } else {
        const std::size_t colon = h.find(':');
        out.host = std::string(h.substr(0, colon));
        if (colon != std::string_view::npos) {
            port = h.substr(colon + 1);
            if (port.empty()) {
                return std::nullopt;
            }
        }
        for (char c : out.host) {
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) {
                return std::nullopt;
            }
        }
    }
    if (out.host.empty()) {
        return std::nullopt;
    }
    for (auto& c : out.host) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (!port.empty()) {
        unsigned v = 0;
        auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
        if (ec != std::errc{} || p != port.data() + port.size() || v > 65535) {
            return std::nullopt;
        }
        out.port = static_cast<std::uint16_t>(v);
    }
    return out;
}

bool is_ip_literal(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

std::string authority(std::string_view host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string_view::npos;
    return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

// The scheme://host[:port] base of links for this request when
// BEACON_PUBLIC_URL is unset (links are then host-relative). The Host header
// is used only when it names the address we listen on: the same port (80
// when it has none), and the listening host, or, on a wildcard address, a
// client's natural names for us: `localhost` or an IP literal. Anything
// else (a Host chosen by whoever sends the request, to plant links to their
// own site) gives the listening address itself, loopback for a wildcard.
std::string request_base(const ReleaseApi& api, const Request& req) {
    std::string listen = api.listen_host;
    for (auto& c : listen) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    const bool wildcard = listen == "0.0.0.0" || listen == "::";
    if (auto hp = parse_host(req.header[bh::field::host])) {
        const bool same_port = hp->port.value_or(80) == api.listen_port;
        const bool same_host = hp->host == listen || (wildcard && (hp->host == "localhost" || is_ip_literal(hp->host)));
        if (same_port && same_host) {
            const bool v6 = hp->host.find(':') != std::string::npos;
            const std::string host = v6 ? "[" + hp->host + "]" : hp->host;
            return "http://" + (hp->port ? host + ":" + std::to_string(*hp->port) : host);
        }
    }
    if (wildcard) {
        return "http://" + authority(listen == "::" ? "::1" : "127.0.0.1", api.listen_port);
    }
    return "http://" + authority(api.listen_host, api.listen_port);
}

// Links made without a configured public URL are host-relative ("/files/...").
std::string absolute_url(const ReleaseApi& api, const Request& req, const std::string& url) {
    return !url.empty() && url.front() == '/' ? request_base(api, req) + url : url;
}

// Field readers: each returns false and sets `bad` to a 400 naming the field.
struct Fields {
    const json::object& o;
    std::optional<Response> bad;

    bool fail(std::string field, std::string msg) {
        bad = field_problem(std::move(field), std::move(msg));
        return false;
    }
    const json::value* get(std::string_view k) const { return o.if_contains(k); }

    bool string(std::string_view k, std::optional<std::string>& out) {
        const json::value* v = get(k);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        if (!v->is_string()) {
            return fail(std::string(k), "must be a string");
        }
        out = std::string(v->get_string());
        return true;
    }
    bool integer(std::string_view k, std::optional<std::int64_t>& out) {
        const json::value* v = get(k);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        if (v->is_int64()) {
            out = v->get_int64();
        } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
            out = static_cast<std::int64_t>(v->get_uint64());
        } else {
            return fail(std::string(k), "must be an integer");
        }
        return true;
    }
    bool boolean(std::string_view k, std::optional<bool>& out) {
        const json::value* v = get(k);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        if (!v->is_bool()) {
            return fail(std::string(k), "must be true or false");
        }
        out = v->get_bool();
        return true;
    }
    bool time(std::string_view k, std::optional<TimePoint>& out) {
        const json::value* v = get(k);
        if (v == nullptr || v->is_null()) {
            return true;
        }
        if (v->is_string()) {
            out = parse_iso8601(std::string_view(v->get_string()));
        } else if (v->is_int64() && v->get_int64() >= 0) {
            out = from_epoch_ms(v->get_int64());
        }
        return out ? true : fail(std::string(k), "must be ISO-8601 with a zone or epoch milliseconds");
    }
    // PATCH: absent -> nullopt; null -> optional(nullopt); value -> optional(value).
    template <typename T, typename Reader>
    bool nullable(std::string_view k, releases::Nullable<T>& out, Reader read) {
        const json::value* v = get(k);
        if (v == nullptr) {
            return true;
        }
        if (v->is_null()) {
            out = std::optional<T>{};
            return true;
        }
        std::optional<T> value;
        if (!(this->*read)(k, value)) {
            return false;
        }
        out = value;
        return true;
    }
};

std::optional<std::int64_t> parse_id(std::string_view s) {
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
    if (ec != std::errc{} || p != s.data() + s.size() || id <= 0) {
        return std::nullopt;
    }
    return id;
}

// If-Match: "<revision>" (quotes optional, W/ tolerated); `*` or absent -> no check.
bool parse_if_match(const Request& req, std::optional<std::int64_t>& out, std::optional<Response>& bad) {
    std::string_view v = req.header[bh::field::if_match];
    if (v.empty() || v == "*") {
        return true;
    }
    if (v.starts_with("W/")) {
        v.remove_prefix(2);
    }
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') {
        v = v.substr(1, v.size() - 2);
    }
    out = parse_id(v);
    if (!out) {
        bad = field_problem("If-Match", "must be the version's ETag, e.g. \"3\"");
        return false;
    }
    return true;
}

// The version a /admin/versions/{id}... request names, and its If-Match
// revision when `with_if_match`; or the 404/400 to answer.
struct VersionTarget {
    std::int64_t id = 0;
    std::optional<std::int64_t> if_match;
};
std::variant<VersionTarget, Response> version_target(const Request& req, bool with_if_match) {
    auto id = parse_id(req.params[0]);
    if (!id) {
        return problem_response(bh::status::not_found, "no version with that id");
    }
    VersionTarget t{*id, std::nullopt};
    std::optional<Response> bad;
    if (with_if_match && !parse_if_match(req, t.if_match, bad)) {
        return std::move(*bad);
    }
    return t;
}

std::variant<json::object, Response> body_object(const Request& req) {
    auto parsed = parse_json_body(req.body);
    if (auto* r = std::get_if<Response>(&parsed)) {
        return std::move(*r);
    }
    auto& v = std::get<json::value>(parsed);
    if (!v.is_object()) {
        return field_problem("", "the body must be a JSON object");
    }
    return std::move(v.get_object());
}

asio::awaitable<Response> create_version(ReleaseApi& api, Request& req) {
    auto body = body_object(req);
    if (auto* r = std::get_if<Response>(&body)) {
        co_return std::move(*r);
    }
    Fields f{std::get<json::object>(body), {}};
    releases::NewVersion nv;
    std::optional<std::string> platform, name;
    std::optional<std::int64_t> code;
    bool ok = f.string("platform", platform) && f.integer("versionCode", code) && f.string("versionName", name) &&
              f.string("channel", nv.channel) && f.string("changelog", nv.changelog) &&
              f.boolean("isForceUpdate", nv.is_force_update) && f.boolean("isEnabled", nv.is_enabled) &&
              f.integer("minSupportedVersionCode", nv.min_supported_version_code) &&
              f.integer("rolloutPercent", nv.rollout_percent) && f.string("artifactKey", nv.artifact_key) &&
              f.string("externalUrl", nv.external_url) && f.time("releasedAt", nv.released_at);
    if (!ok) {
        co_return std::move(*f.bad);
    }
    if (!platform) {
        co_return field_problem("platform", "is required");
    }
    if (!code) {
        co_return field_problem("versionCode", "is required");
    }
    if (!name) {
        co_return field_problem("versionName", "is required");
    }
    nv.platform = *platform;
    nv.version_code = *code;
    nv.version_name = *name;
    auto created = api.service.create(nv);
    if (!created) {
        co_return problem_response(created.error());
    }
    Response res = version_response(bh::status::created, *created);
    res.set(bh::field::location, "/admin/versions/" + std::to_string(created->id));
    co_return res;
}

asio::awaitable<Response> patch_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, true);
    if (auto* r = std::get_if<Response>(&target)) {
        co_return std::move(*r);
    }
    const std::int64_t id = std::get<VersionTarget>(target).id;
    const std::optional<std::int64_t> if_match = std::get<VersionTarget>(target).if_match;
    auto body = body_object(req);
    if (auto* r = std::get_if<Response>(&body)) {
        co_return std::move(*r);
    }
    Fields f{std::get<json::object>(body), {}};
    releases::VersionPatch p;
    std::optional<std::int64_t> code, rollout;
    bool ok = f.string("platform", p.platform) && f.integer("versionCode", code) &&
              f.string("versionName", p.version_name) && f.string("channel", p.channel) &&
              f.nullable("changelog", p.changelog, &Fields::string) &&
              f.boolean("isForceUpdate", p.is_force_update) && f.boolean("isEnabled", p.is_enabled) &&
              f.nullable("minSupportedVersionCode", p.min_supported_version_code, &Fields::integer) &&
              f.integer("rolloutPercent", rollout) && f.nullable("artifactKey", p.artifact_key, &Fields::string) &&
              f.nullable("externalUrl", p.external_url, &Fields::string) && f.time("releasedAt", p.released_at);
    if (!ok) {
        co_return std::move(*f.bad);
    }
    p.version_code = code;
    p.rollout_percent = rollout;
    auto updated = api.service.patch(id, p, if_match);
    if (!updated) {
        co_return problem_response(updated.error());
    }
    co_return version_response(bh::status::ok, *updated);
}

asio::awaitable<Response> get_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, false);
    if (auto* r = std::get_if<Response>(&target)) {
        co_return std::move(*r);
    }
    std::int64_t id = std::get<VersionTarget>(target).id;
    auto v = api.service.get(id);
    if (!v) {
        co_return problem_response(v.error());
    }
    co_return version_response(bh::status::ok, *v);
}

asio::awaitable<Response> toggle_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, true);
    if (auto* r = std::get_if<Response>(&target)) {
        co_return std::move(*r);
    }
    const std::int64_t id = std::get<VersionTarget>(target).id;
    const std::optional<std::int64_t> if_match = std::get<VersionTarget>(target).if_match;
    auto v = api.service.toggle(id, if_match);
    if (!v) {
        co_return problem_response(v.error());
    }
    co_return version_response(bh::status::ok, *v);
}

asio::awaitable<Response> delete_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, true);
    if (auto* r = std::get_if<Response>(&target)) {
        co_return std::move(*r);
    }
    const std::int64_t id = std::get<VersionTarget>(target).id;
    const std::optional<std::int64_t> if_match = std::get<VersionTarget>(target).if_match;
    auto removed = api.service.remove(id, if_match);
    if (!removed) {
        co_return problem_response(removed.error());
    }
    co_return empty_response(bh::status::no_content);
}

asio::awaitable<Response> list_versions(ReleaseApi& api, Request& req) {
    releases::VersionListQuery q;
    if (auto v = req.query_param("platform"); v && !v->empty()) {
        q.platform = std::string(*v);
    }
    if (auto v = req.query_param("channel"); v && !v->empty()) {
        q.channel = std::string(*v);
    }
    if (auto v = req.query_param("isEnabled"); v && !v->empty()) {
        if (*v != "true" && *v != "false") {
            co_return field_problem("isEnabled", "must be true or false");
        }
        q.is_enabled = *v == "true";
    }
    if (auto v = req.query_param("limit")) {
        std::int64_t limit = 0;
        auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
        if (ec != std::errc{} || p != v->data() + v->size()) {
            co_return field_problem("limit", "must be an integer from 1 to 500");
        }
        q.limit = limit;
    }
    if (auto v = req.query_param("cursor"); v && !v->empty()) {
        q.cursor = std::string(*v);
    }
    auto page = api.service.list(q);
    if (!page) {
        co_return problem_response(page.error());
    }
    json::array out;
    for (const auto& v : page->versions) {
        out.push_back(version_json(v));
    }
    co_return json_response(bh::status::ok, json::object{{"versions", std::move(out)},
                                                         {"nextCursor", opt(page->next_cursor)}});
}

asio::awaitable<Response> download_version(ReleaseApi& api, Request& req) {
    auto target = version_target(req, false);
    if (auto* r = std::get_if<Response>(&target)) {
        co_return std::move(*r);
    }
    std::int64_t id = std::get<VersionTarget>(target).id;
    auto link = api.service.download(id);
    if (!link) {
        co_return problem_response(link.error());
    }
    Response res = empty_response(bh::status::found);
    res.set(bh::field::location, absolute_url(api, req, link->url));
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
    auto decision = api.service.check(*platform, channel, code, install);
    if (!decision) {
        co_return problem_response(decision.error());
    }
    json::value latest = nullptr;
    if (decision->latest) {
        const ReleaseVersion& v = *decision->latest;
        json::object l{{"id", v.id},
                       {"versionCode", v.version_code},
                       {"versionName", v.version_name},
                       {"changelog", opt(v.changelog)},
                       {"releasedAt", format_iso8601(v.released_at)}};
        l["downloadUrl"] = decision->download ? json::value(absolute_url(api, req, decision->download->url)) : nullptr;
        l["downloadUrlExpiresAt"] = decision->download && decision->download->expires_at
                                        ? json::value(format_iso8601(*decision->download->expires_at))
                                        : json::value(nullptr);
        l["fileSize"] = v.artifact ? json::value(v.artifact->file_size) : json::value(nullptr);
        l["sha256"] = v.artifact ? json::value(v.artifact->sha256) : json::value(nullptr);
        latest = std::move(l);
    }
    co_return json_response(bh::status::ok, json::object{{"needUpdate", decision->need_update},
                                                         {"forceUpdate", decision->force_update},
                                                         {"latest", std::move(latest)}});
}

bool is_raw_artifact_type(const std::string& mt) {
    return mt == "application/octet-stream" || mt == "application/vnd.android.package-archive" ||
           mt == "application/zip" || mt == "application/x-zip-compressed" || mt == "application/x-itunes-ipa" ||
           mt == "application/x-ios-app";
}

// Runs `fn` on `pool` and resumes on the caller's executor with its result.
// (co_spawn needs a default-constructible result, hence the optional.)
template <typename Fn>
asio::awaitable<std::invoke_result_t<Fn&>> run_on(asio::thread_pool& pool, Fn fn) {
    using R = std::invoke_result_t<Fn&>;
    auto r = co_await asio::co_spawn(
        pool, [&fn]() -> asio::awaitable<std::optional<R>> { co_return fn(); }, asio::use_awaitable);
    co_return std::move(*r);
}

// Bytes gathered from the socket before one hand-off to the spool pool: a
// few chunks, so a hand-off per chunk does not dominate, and memory per
// upload stays bounded whatever the artifact's size.
constexpr std::size_t kSpoolBatchBytes = 256 * 1024;

// Reads the body into `spool` and stores it. Disk writes happen on
// api.spool_io, never on this (I/O) thread; one batch is in memory at a time.
asio::awaitable<Response> receive_upload(ReleaseApi& api,
                                         Request& req,
                                         releases::ArtifactIntake::Upload& spool,
                                         std::optional<std::string> boundary) {
    std::string file_name;
    std::optional<MultipartFileReader> multipart;
    if (boundary) {
        multipart.emplace(*boundary, [&spool](std::string_view bytes) { return spool.write(bytes); });
    } else {
        file_name = std::string(req.header["X-File-Name"]);
    }
    std::string chunk;
    std::string batch;
    bool more = true;
    while (more) {
        auto read = co_await req.read_body_chunk(chunk);
        if (!read) {
            co_return problem_response(read.error());
        }
        more = *read;
        batch += chunk;
        if ((batch.size() < kSpoolBatchBytes && more) || batch.empty()) {
            continue;
        }
        auto written = co_await run_on(
            api.spool_io, [&]() -> Result<void> { return multipart ? multipart->feed(batch) : spool.write(batch); });
        if (!written) {
            co_return problem_response(written.error());
        }
        batch.clear();
    }
    if (multipart) {
        if (auto r = multipart->finish(); !r) {
            co_return problem_response(r.error());
        }
        file_name = multipart->file_name();
    }
    // Inspecting and storing (maybe a multipart upload to S3) blocks: do it
    // on the blocking pool, which never touches the socket.
    auto outcome = co_await run_on(api.blocking, [&] { return api.intake.finish(spool, file_name); });
    if (!outcome) {
        co_return problem_response(outcome.error());
    }
    json::value detected = outcome->record.detected
                               ? json::value(releases::detected_package_to_json_object(*outcome->record.detected))
                               : json::value(nullptr);
    co_return json_response(outcome->created ? bh::status::created : bh::status::ok,
                            json::object{{"artifact", artifact_json(outcome->record.artifact)},
                                         {"detected", std::move(detected)}});
}

asio::awaitable<Response> upload(ReleaseApi& api, Request& req) {
    std::string ct(req.header[bh::field::content_type]);
    std::string mt = ct.substr(0, ct.find(';'));
    for (auto& c : mt) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    while (!mt.empty() && mt.back() == ' ') {
        mt.pop_back();
    }
    auto boundary = multipart_boundary(ct);
    if (!boundary && !is_raw_artifact_type(mt)) {
        co_return problem_response(bh::status::unsupported_media_type,
                                   "send the artifact as multipart/form-data (field `file`) or as "
                                   "application/octet-stream with X-File-Name");
    }
    auto begun = co_await run_on(api.spool_io, [&] { return api.intake.begin(); });
    if (!begun) {
        co_return problem_response(begun.error());
    }
    std::unique_ptr<releases::ArtifactIntake::Upload> spool = std::move(*begun);
    Response res = co_await receive_upload(api, req, *spool, std::move(boundary));
    // Removing the spool file is disk work too. (Should the above throw, the
    // unique_ptr still removes it, here.)
    co_await run_on(api.spool_io, [&] {
        spool.reset();
        return true;
    });
    co_return res;
}

asio::awaitable<Response> serve_file(LocalFilesApi& files, Request& req) {
    std::string key = req.params[0] + "/" + req.params[1];
    auto expires = req.query_param("expires").value_or("");
    auto name = req.query_param("name").value_or("");
    auto sig = req.query_param("sig").value_or("");
    auto check = files.verify(key, expires, name, sig);
    if (check != FileLinkCheck::Valid) {
        co_return problem_response(bh::status::forbidden, check == FileLinkCheck::Expired
                                                              ? "the download link has expired"
                                                              : "the download link's signature is not valid");
    }
    auto path = files.path_for(key);
    if (!path) {
        co_return problem_response(bh::status::not_found, "no such file");
    }
    std::FILE* f = std::fopen(path->c_str(), "rb");
    if (f == nullptr) {
        co_return problem_response(bh::status::not_found, "no such file");
    }
    std::fseek(f, 0, SEEK_END);
    auto size = static_cast<std::uint64_t>(std::ftell(f));
    // Everything below comes from the signed link and the file: no database
    // query, so downloads go on while the database is slow or down. The key
    // is valid (verify() refuses others), so it has a content type; a link
    // without a name (made before names were carried) saves as the key's
    // file name.
    const std::string file_name(name.empty() ? std::string_view(req.params[1]) : name);
    const std::string content_type(releases::artifact_content_type(key));
    std::string etag = "\"" + std::string(releases::artifact_key_sha256(key)) + "\"";
    RangeDecision decision;
    std::string_view range_header = req.header[bh::field::range];
    std::string_view if_range = req.header[bh::field::if_range];
    if (!range_header.empty() && (if_range.empty() || if_range == etag)) {
        decision = decide_range(range_header, size);
    }
    if (decision.outcome == RangeOutcome::Unsatisfiable) {
        std::fclose(f);
        // 416 is not in the problem table (make_problem would turn it into a
        // 500 `internal`): build the document here.
        Problem p{bh::status::range_not_satisfiable, "range-not-satisfiable", "Range not satisfiable",
                  "the range is outside the file", {}};
        Response res{bh::status::range_not_satisfiable, 11};
        res.set(bh::field::content_type, "application/problem+json");
        res.body() = problem_body(p);
        res.set(bh::field::content_range, "bytes */" + std::to_string(size));
        res.prepare_payload();
        co_return res;
    }
    const std::optional<ByteRange> range =
        decision.outcome == RangeOutcome::Partial ? std::optional<ByteRange>(decision.range) : std::nullopt;
    Response res{range ? bh::status::partial_content : bh::status::ok, 11};
    std::uint64_t first = range ? range->first : 0;
    std::uint64_t length = range ? range->last - range->first + 1 : size;
    res.body().file = std::make_shared<FileSlice>(f, first, length);
    res.set(bh::field::content_type, content_type);
    res.set(bh::field::etag, etag);
    res.set(bh::field::accept_ranges, "bytes");
    res.set(bh::field::content_disposition, releases::attachment_content_disposition(file_name));
    if (range) {
        res.set(bh::field::content_range,
                "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" +
                    std::to_string(size));
    }
    res.prepare_payload();
    co_return res;
}

}  // namespace

void add_release_routes(Router& router, ReleaseApi& api, LocalFilesApi* files) {
    auto bind = [&api](auto fn) { return [&api, fn](Request& r) { return fn(api, r); }; };
    RouteOptions admin_read{.access = Access::Admin, .executor = Executor::Blocking};
    RouteOptions admin_json{
        .access = Access::Admin, .body = BodyKind::Json, .body_limit = kJsonLimit, .executor = Executor::Blocking};
    RouteOptions admin_action{.access = Access::Admin, .executor = Executor::Blocking};
    router.add("POST", "/admin/versions/upload", {.access = Access::Admin, .body = BodyKind::Stream, .body_limit = api.intake.max_bytes()},
               bind(upload));
    router.add("POST", "/admin/versions", admin_json, bind(create_version));
    router.add("GET", "/admin/versions", admin_read, bind(list_versions));
    router.add("GET", "/admin/versions/{id}", admin_read, bind(get_version));
    router.add("PATCH", "/admin/versions/{id}", admin_json, bind(patch_version));
    router.add("DELETE", "/admin/versions/{id}", admin_action, bind(delete_version));
    router.add("POST", "/admin/versions/{id}/toggle", admin_action, bind(toggle_version));
    router.add("GET", "/admin/versions/{id}/download", admin_read, bind(download_version));
    router.add("GET", "/app/version/check", {.access = Access::OptionalUser}, bind(check_update));
    if (files != nullptr) {
        router.add(
            "GET", "/files/{kind}/{name}", {.access = Access::Public, .executor = Executor::Ops}, [files](Request& r) {
                return serve_file(*files, r);
            });
    }
}

}  // namespace beacon::http
