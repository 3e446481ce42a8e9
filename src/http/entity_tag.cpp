#include "http/entity_tag.hpp"

#include "releases/sha256_stream.hpp"

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

// The opaque-tag of an entity-tag (`"xyz"` of `W/"xyz"`), or empty when
// `tag` is not one. etagc is %x21 / %x23-7E / obs-text.
std::string_view opaque_tag(std::string_view tag) {
    if (tag.starts_with("W/")) {
        tag.remove_prefix(2);
    }
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') {
        return {};
    }
    for (char c : tag.substr(1, tag.size() - 2)) {
        const auto u = static_cast<unsigned char>(c);
        if (u == '"' || u < 0x21 || u == 0x7F) {
            return {};
        }
    }
    return tag;
}

std::string_view trim_ows(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

}  // namespace

std::string body_etag(std::string_view body) {
    return "\"" + releases::sha256_hex(body).substr(0, 32) + "\"";
}

bool if_none_match_value(std::string_view value, std::string_view etag) {
    const std::string_view ours = opaque_tag(etag);
    value = trim_ows(value);
    if (value == "*") {
        return true;
    }
    // #entity-tag (RFC 9110 5.6.1): elements separated by commas and
    // optional whitespace, empty elements ignored. A tag may hold a comma,
    // so the list is read tag by tag rather than split.
    bool matched = false;
    std::size_t i = 0;
    auto skip = [&] {
        while (i < value.size() && (value[i] == ' ' || value[i] == '\t' || value[i] == ',')) {
            ++i;
        }
    };
    for (skip(); i < value.size(); skip()) {
        const std::size_t start = i;
        if (value.substr(i).starts_with("W/")) {
            i += 2;
        }
        if (i >= value.size() || value[i] != '"') {
            return false;  // not a list of entity tags: the precondition is ignored
        }
        const std::size_t close = value.find('"', i + 1);
        if (close == std::string_view::npos) {
            return false;
        }
        i = close + 1;
        const std::string_view theirs = opaque_tag(value.substr(start, i - start));
        if (theirs.empty()) {
            return false;
        }
        matched = matched || (!ours.empty() && theirs == ours);
        while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) {
            ++i;
        }
        if (i < value.size() && value[i] != ',') {
            return false;
        }
    }
    return matched;
}

bool if_none_match(const RequestHeader& header, std::string_view etag) {
    auto [first, last] = header.equal_range(bh::field::if_none_match);
    for (auto it = first; it != last; ++it) {
        if (if_none_match_value(it->value(), etag)) {
            return true;
        }
    }
    return false;
}

}  // namespace beacon::http
