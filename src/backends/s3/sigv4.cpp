#include "backends/s3/sigv4.hpp"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>

#include "core/percent_encoding.hpp"
#include "core/time_format.hpp"
#include "releases/sha256_stream.hpp"

namespace beacon::backends::s3 {

using releases::hmac_sha256;
using releases::hmac_sha256_hex;
using releases::sha256_hex;
using releases::Sha256Digest;

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
    return out;
}

// Trims spaces and tabs at both ends and collapses inner runs of spaces into
// one, as the canonical header rules require.
std::string normalize_header_value(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    bool pending_space = false;
    for (char c : v) {
        if (c == ' ' || c == '\t') {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out.push_back(' ');
            pending_space = false;
        }
        out.push_back(c);
    }
    return out;
}

std::string_view as_view(const Sha256Digest& d) {
    return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string signature_for(std::string_view string_to_sign,
                          std::string_view secret,
                          std::string_view date,
                          const SigV4Scope& scope) {
    const std::string k_secret = "AWS4" + std::string(secret);
    const Sha256Digest k_date = hmac_sha256(k_secret, date);
    const Sha256Digest k_region = hmac_sha256(as_view(k_date), scope.region);
    const Sha256Digest k_service = hmac_sha256(as_view(k_region), scope.service);
    const Sha256Digest k_signing = hmac_sha256(as_view(k_service), "aws4_request");
    return hmac_sha256_hex(as_view(k_signing), string_to_sign);
}

struct Canonical {
    std::string request;
    std::string signed_headers;
};

// `headers` are already (lower-case name, normalized value); sorted here and
// same-named ones joined with ','.
Canonical canonical_request(std::string_view method,
                            std::string_view encoded_path,
                            std::string_view encoded_query,
                            HeaderList headers,
                            std::string_view payload_hash) {
    std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string canonical_headers;
    std::string signed_headers;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        if (i > 0 && headers[i].first == headers[i - 1].first) {
            canonical_headers.pop_back();  // the '\n' of the previous value
            canonical_headers += ',';
            canonical_headers += headers[i].second;
            canonical_headers += '\n';
            continue;
        }
        canonical_headers += headers[i].first;
        canonical_headers += ':';
        canonical_headers += headers[i].second;
        canonical_headers += '\n';
        if (!signed_headers.empty()) {
            signed_headers += ';';
        }
        signed_headers += headers[i].first;
    }
    Canonical c;
    c.request.reserve(256 + canonical_headers.size() + encoded_query.size() + encoded_path.size());
    c.request += method;
    c.request += '\n';
    c.request += encoded_path;
    c.request += '\n';
    c.request += encoded_query;
    c.request += '\n';
    c.request += canonical_headers;
    c.request += '\n';
    c.request += signed_headers;
    c.request += '\n';
    c.request += payload_hash;
    c.signed_headers = std::move(signed_headers);
    return c;
}

std::string string_to_sign(std::string_view amz_date, std::string_view credential_scope, std::string_view request) {
    std::string s;
    s += kAlgorithm;
    s += '\n';
    s += amz_date;
    s += '\n';
    s += credential_scope;
    s += '\n';
    s += sha256_hex(request);
    return s;
}

std::string credential_scope(std::string_view date, const SigV4Scope& scope) {
    std::string s(date);
    s += '/';
    s += scope.region;
    s += '/';
    s += scope.service;
    s += "/aws4_request";
    return s;
}

}  // namespace

std::string canonical_uri(std::string_view path) {
    if (path.empty()) {
        return "/";
    }
    return uri_encode(path, /*encode_slash=*/false);
}

std::string canonical_query_string(const QueryParams& query) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(query.size());
    for (const auto& [name, value] : query) {
        encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
    }
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty()) {
            out += '&';
        }
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

std::string format_amz_date(TimePoint t) {
    return format_iso8601_basic(t);
}

SignedRequest sign_request(const SigV4Request& request,
                           const AwsCredentials& credentials,
                           const SigV4Scope& scope,
                           TimePoint now) {
    SignedRequest out;
    out.amz_date = format_amz_date(now);
    const std::string date = out.amz_date.substr(0, 8);
    out.content_sha256 = request.payload_sha256;
    out.encoded_path = canonical_uri(request.path);
    out.encoded_query = canonical_query_string(request.query);

    HeaderList headers;
    headers.reserve(request.headers.size() + 4);
    for (const auto& [name, value] : request.headers) {
        std::string n = lower(name);
        assert(n != "host" && n != "x-amz-date" && n != "x-amz-content-sha256" && n != "x-amz-security-token");
        headers.emplace_back(std::move(n), normalize_header_value(value));
    }
    headers.emplace_back("host", normalize_header_value(request.host));
    headers.emplace_back("x-amz-date", out.amz_date);
    headers.emplace_back("x-amz-content-sha256", out.content_sha256);
    if (!credentials.session_token.empty()) {
        out.security_token = credentials.session_token;
        headers.emplace_back("x-amz-security-token", credentials.session_token);
    }

    const Canonical canonical = canonical_request(
        request.method, out.encoded_path, out.encoded_query, std::move(headers), request.payload_sha256);
    out.canonical_request = canonical.request;
    const std::string scope_text = credential_scope(date, scope);
    out.string_to_sign = string_to_sign(out.amz_date, scope_text, out.canonical_request);
    out.signature = signature_for(out.string_to_sign, credentials.secret_access_key, date, scope);

    out.authorization = std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" + scope_text +
                        ",SignedHeaders=" + canonical.signed_headers + ",Signature=" + out.signature;
    return out;
}

std::string presign_url(const PresignRequest& request,
                        const AwsCredentials& credentials,
                        const SigV4Scope& scope,
                        TimePoint now) {
    const std::string amz_date = format_amz_date(now);
    const std::string date = amz_date.substr(0, 8);
    const std::string scope_text = credential_scope(date, scope);
    const std::int64_t expires = std::clamp<std::int64_t>(request.expires_seconds, 1, kMaxPresignSeconds);

    QueryParams query = request.query;
    query.emplace_back("X-Amz-Algorithm", std::string(kAlgorithm));
    query.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + scope_text);
    query.emplace_back("X-Amz-Date", amz_date);
    query.emplace_back("X-Amz-Expires", std::to_string(expires));
    query.emplace_back("X-Amz-SignedHeaders", "host");
    if (!credentials.session_token.empty()) {
        query.emplace_back("X-Amz-Security-Token", credentials.session_token);
    }
    const std::string encoded_path = canonical_uri(request.path);
    const std::string encoded_query = canonical_query_string(query);

    const Canonical canonical = canonical_request(request.method,
                                                  encoded_path,
                                                  encoded_query,
                                                  HeaderList{{"host", normalize_header_value(request.host)}},
                                                  kUnsignedPayload);
    const std::string to_sign = string_to_sign(amz_date, scope_text, canonical.request);
    const std::string signature = signature_for(to_sign, credentials.secret_access_key, date, scope);

    return request.scheme + "://" + request.host + encoded_path + "?" + encoded_query + "&X-Amz-Signature=" + signature;
}

}  // namespace beacon::backends::s3
