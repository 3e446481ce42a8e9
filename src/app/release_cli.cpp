// `beacon release publish|status|pause|resume|advance`: a small libcurl
// client of the releases API, for CI pipelines.
#include "app/release_cli.hpp"

#include <curl/curl.h>

#include <filesystem>
#include <iostream>

#include <boost/json.hpp>

namespace beacon::app {
namespace {

namespace json = boost::json;

struct Reply {
    long status = 0;
    std::string body;
    std::string transport_error;  // set when no HTTP response arrived
};

std::size_t collect(char* data, std::size_t size, std::size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
}

// One request: `mime` (multipart) or `json_body` (a POST), else a GET; with
// `if_match`, an If-Match header. The handle is cleaned up here.
Reply perform(const std::string& url,
              const std::string& token,
              curl_mime* mime,
              const std::string* json_body,
              const std::optional<std::int64_t>& if_match = std::nullopt) {
    Reply reply;
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        reply.transport_error = "cannot initialise libcurl";
        return reply;
    }
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_slist* headers = nullptr;
    std::string auth = "Authorization: Bearer " + token;
    headers = curl_slist_append(headers, auth.c_str());
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Expect:");
    if (if_match) {
        const std::string h = "If-Match: \"" + std::to_string(*if_match) + "\"";
        headers = curl_slist_append(headers, h.c_str());
    }
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "beacon-release-cli");
    if (mime != nullptr) {
        curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
    } else if (json_body != nullptr) {
        headers = curl_slist_append(headers, "Content-Type: application/json");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body->c_str());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(json_body->size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK) {
        reply.transport_error = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    } else {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    return reply;
}

// "detail (field: message; ...)" from a problem document, else the raw body's start.
std::string problem_text(const Reply& r) {
    boost::system::error_code ec;
    auto v = json::parse(r.body, ec);
    if (ec || !v.is_object()) {
        return r.body.substr(0, 200);
    }
    const auto& o = v.get_object();
    std::string out;
    if (const auto* d = o.if_contains("detail"); d != nullptr && d->is_string()) {
        out = std::string(d->get_string());
    } else if (const auto* t = o.if_contains("title"); t != nullptr && t->is_string()) {
        out = std::string(t->get_string());
    }
    if (const auto* errs = o.if_contains("errors"); errs != nullptr && errs->is_array()) {
        std::string list;
        for (const auto& e : errs->get_array()) {
            if (!e.is_object()) {
                continue;
            }
            const auto* f = e.get_object().if_contains("field");
            const auto* m = e.get_object().if_contains("message");
            if (!list.empty()) {
                list += "; ";
            }
            if (f != nullptr && f->is_string() && !f->get_string().empty()) {
                list += std::string(f->get_string()) + ": ";
            }
            if (m != nullptr && m->is_string()) {
                list += std::string(m->get_string());
            }
        }
        if (!list.empty()) {
            out += (out.empty() ? "" : " (") + list + (out.empty() ? "" : ")");
        }
    }
    return out;
}

int fail(const std::string& message) {
    std::cerr << "beacon: " << message << "\n";
    return 1;
}

// A failed reply as one line: transport errors and the usual statuses.
int fail_reply(const std::string& what, const std::string& server, const Reply& r) {
    if (!r.transport_error.empty()) {
        return fail("cannot reach " + server + ": " + r.transport_error);
    }
    if (r.status == 401) {
        return fail(what + ": the server refused the token (401 unauthorized): " + problem_text(r));
    }
    if (r.status == 403) {
        return fail(what + ": the token lacks the admin role (403 forbidden)");
    }
    return fail(what + " failed (" + std::to_string(r.status) + "): " + problem_text(r));
}

// The --server value without trailing '/', or nullopt when it is not http(s).
std::optional<std::string> server_base(const std::string& given) {
    std::string server = given;
    while (!server.empty() && server.back() == '/') {
        server.pop_back();
    }
    if (!server.starts_with("http://") && !server.starts_with("https://")) {
        return std::nullopt;
    }
    return server;
}

int bad_server(const std::string& given) {
    return fail("--server must be an http:// or https:// URL, got '" + given + "'");
}

}  // namespace

int publish_release(const PublishOptions& opt) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(opt.file, ec)) {
        return fail("cannot read " + opt.file + ": no such file");
    }
    if (opt.rollout && (*opt.rollout < 0 || *opt.rollout > 100)) {
        return fail("--rollout must be an integer from 0 to 100");
    }
    const auto base = server_base(opt.server);
    if (!base) {
        return bad_server(opt.server);
    }
    const std::string& server = *base;
    curl_global_init(CURL_GLOBAL_DEFAULT);

    // 1. Upload (streamed from the file by libcurl).
    Reply up;
    {
        CURL* scratch = curl_easy_init();
        curl_mime* mime = curl_mime_init(scratch);
        curl_mimepart* part = curl_mime_addpart(mime);
        curl_mime_name(part, "file");
        curl_mime_filedata(part, opt.file.c_str());
        curl_mime_filename(part, std::filesystem::path(opt.file).filename().string().c_str());
        curl_mime_type(part, "application/octet-stream");
        up = perform(server + "/admin/versions/upload", opt.token, mime, nullptr);
        curl_mime_free(mime);
        curl_easy_cleanup(scratch);
    }
    if (up.status != 200 && up.status != 201) {
        return fail_reply("upload", server, up);
    }
    boost::system::error_code jec;
    auto uploaded = json::parse(up.body, jec);
    if (jec || !uploaded.is_object()) {
        return fail("upload: the server's answer is not JSON");
    }
    const auto* artifact = uploaded.get_object().if_contains("artifact");
    const auto* detected = uploaded.get_object().if_contains("detected");
    const json::value* key =
        artifact != nullptr && artifact->is_object() ? artifact->get_object().if_contains("key") : nullptr;
    if (key == nullptr || !key->is_string()) {
        return fail("upload: the server's answer has no artifact key");
    }
    const json::object* d = detected != nullptr && detected->is_object() ? &detected->get_object() : nullptr;
    const json::value* platform = d != nullptr ? d->if_contains("platform") : nullptr;
    const json::value* code = d != nullptr ? d->if_contains("versionCode") : nullptr;
    const json::value* name = d != nullptr ? d->if_contains("versionName") : nullptr;
    if (platform == nullptr || !platform->is_string() || code == nullptr || !code->is_int64() || name == nullptr ||
        !name->is_string()) {
        return fail("cannot read the package's version; is it an APK or IPA?");
    }

    // 2. Create the version.
    json::object body{{"platform", *platform}, {"versionCode", *code}, {"versionName", *name}, {"artifactKey", *key}};
    if (opt.channel) {
        body["channel"] = *opt.channel;
    }
    if (opt.changelog) {
        body["changelog"] = *opt.changelog;
    }
    if (opt.force) {
        body["isForceUpdate"] = true;
    }
    if (opt.rollout) {
        body["rolloutPercent"] = *opt.rollout;
    }
    std::string text = json::serialize(body);
    Reply created = perform(server + "/admin/versions", opt.token, nullptr, &text);
    if (created.status == 409) {
        return fail("version " + std::to_string(code->get_int64()) + " of " + std::string(platform->get_string()) +
                    "/" + opt.channel.value_or("stable") + " exists already");
    }
    if (created.status == 422) {
        return fail("the server refused the version (422): " + problem_text(created));
    }
    if (created.status != 201) {
        return fail_reply("creating the version", server, created);
    }
    std::cout << created.body << std::endl;
    return 0;
}

int rollout_command(const RolloutOptions& opt) {
    const auto base = server_base(opt.server);
    if (!base) {
        return bad_server(opt.server);
    }
    if (opt.version_id <= 0) {
        return fail("the version id must be a positive integer");
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const std::string url = *base + "/admin/versions/" + std::to_string(opt.version_id) + "/rollout";
    const bool status = opt.verb == "status";
    const std::string empty;
    Reply r = status ? perform(url, opt.token, nullptr, nullptr)
                     : perform(url + "/" + opt.verb, opt.token, nullptr, &empty, opt.if_match);
    if (r.status == 404) {
        return fail("version " + std::to_string(opt.version_id) + " not found on " + *base);
    }
    if (r.status == 409) {
        return fail(opt.verb + " refused (409): " + problem_text(r));
    }
    if (r.status == 412) {
        return fail(opt.verb + " refused (412): the version changed since revision " +
                    std::to_string(opt.if_match.value_or(0)) + "; read it again with `beacon release status`");
    }
    if (r.status != 200) {
        return fail_reply(status ? "reading the rollout" : opt.verb, *base, r);
    }
    std::cout << r.body << std::endl;
    return 0;
}

}  // namespace beacon::app
