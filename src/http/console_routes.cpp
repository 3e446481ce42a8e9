// The web console's routes (console_routes.hpp).
#include "http/console_routes.hpp"

#include <algorithm>

#include "http/entity_tag.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;

// Whether an Accept-Encoding value admits gzip: a "gzip" (or "*") coding not
// refused with q=0. Enough for browsers, which all send "gzip, deflate, br".
bool accepts_gzip(std::string_view accept) {
    bool star = false;
    while (!accept.empty()) {
        auto comma = accept.find(',');
        std::string_view item = accept.substr(0, comma);
        accept = comma == std::string_view::npos ? std::string_view() : accept.substr(comma + 1);
        auto semi = item.find(';');
        std::string_view coding = item.substr(0, semi);
        while (!coding.empty() && (coding.front() == ' ' || coding.front() == '\t')) {
            coding.remove_prefix(1);
        }
        while (!coding.empty() && (coding.back() == ' ' || coding.back() == '\t')) {
            coding.remove_suffix(1);
        }
        bool refused = false;
        if (semi != std::string_view::npos) {
            std::string params(item.substr(semi + 1));
            params.erase(std::remove(params.begin(), params.end(), ' '), params.end());
            refused = params == "q=0" || params == "q=0.0" || params == "q=0.00" || params == "q=0.000";
        }
        std::string lower(coding);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) {
            return static_cast<char>(std::tolower(c));
        });
        if (lower == "gzip" || lower == "x-gzip") {
            return !refused;
        }
        if (lower == "*") {
            star = !refused;
        }
    }
    return star;
}

const ConsoleAsset* find(std::span<const ConsoleAsset> assets, std::string_view path) {
    for (const auto& a : assets) {
        if (a.path == path) {
            return &a;
        }
    }
    return nullptr;
}

// The last segment has a dot: a file, not a page ("favicon.ico", "x.js").
bool names_a_file(std::string_view rest) {
    auto slash = rest.rfind('/');
    std::string_view last = slash == std::string_view::npos ? rest : rest.substr(slash + 1);
    return last.find('.') != std::string_view::npos;
}

Response serve(const ConsoleAsset& asset, const RequestHeader& header, std::string_view cache_control) {
    Response res;
    res.version(11);
    res.set(bh::field::cache_control, cache_control);
    res.set(bh::field::etag, asset.etag);
    res.set(bh::field::vary, "Accept-Encoding");
    if (if_none_match(header, asset.etag)) {
        res.result(bh::status::not_modified);
        return res;
    }
    res.result(bh::status::ok);
    res.set(bh::field::content_type, asset.media_type);
    if (accepts_gzip(header[bh::field::accept_encoding])) {
        res.set(bh::field::content_encoding, "gzip");
        res.body() = std::string(asset.gzip);
    } else {
        res.body() = std::string(asset.bytes);
    }
    res.prepare_payload();
    return res;
}

// A "." or ".." segment: no page or file is named so, and a path that
// climbs is refused outright rather than served the index.
bool climbs(std::string_view rest) {
    while (true) {
        auto slash = rest.find('/');
        std::string_view seg = rest.substr(0, slash);
        if (seg == "." || seg == "..") {
            return true;
        }
        if (slash == std::string_view::npos) {
            return false;
        }
        rest.remove_prefix(slash + 1);
    }
}

}  // namespace

Response console_response(std::span<const ConsoleAsset> assets, std::string_view rest, const RequestHeader& header) {
    if (climbs(rest)) {
        return problem_response(bh::status::not_found, "no such console file");
    }
    if (rest.starts_with("assets/")) {
        // Only names in the table: "assets/../x" or any other spelling is a
        // miss, never a path on disk.
        if (const ConsoleAsset* a = find(assets, rest); a != nullptr && rest != "index.html") {
            return serve(*a, header, "public, max-age=31536000, immutable");
        }
        return problem_response(bh::status::not_found, "no such console file");
    }
    if (names_a_file(rest)) {
        return problem_response(bh::status::not_found, "no such console file");
    }
    const ConsoleAsset* index = find(assets, "index.html");
    if (index == nullptr) {
        return problem_response(bh::status::not_found, "this build has no console");
    }
    return serve(*index, header, "no-store");
}

void add_console_routes(Router& router) {
    router.add("GET", "/console", {.access = Access::Public}, [](Request&) -> asio::awaitable<Response> {
        Response res{bh::status::permanent_redirect, 11};
        res.set(bh::field::location, "/console/");
        res.set(bh::field::cache_control, "no-store");
        res.prepare_payload();
        co_return res;
    });
    router.add("GET", "/console/{rest*}", {.access = Access::Public}, [](Request& req) -> asio::awaitable<Response> {
        co_return console_response(console_assets(), req.params.empty() ? "" : req.params.front(), req.header);
    });
}

}  // namespace beacon::http
