#include "core/redact.hpp"

#include <algorithm>
#include <optional>
#include <utility>

#include "core/percent_encoding.hpp"
#include "core/text.hpp"

// How credentials are found in free text
// --------------------------------------
// Messages about connections quote what they were given: our own config
// errors quote a bad BEACON_DATABASE_URL, and libpq's parse errors quote the
// whole URI ("unexpected character ... in URI: "postgres://u:p@h...") or a
// fragment of it. So redaction works on text of any shape, not on a parsed
// URL: it marks byte ranges to hide, found three ways (userinfo passwords,
// credential key=value pairs, known secrets), merges them and writes "***"
// over each. Every search is linear in the text.

namespace beacon {
namespace {

using Span = std::pair<std::size_t, std::size_t>;  // [begin, end)

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
bool is_key_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '.';
}

// Where a token that may hold a URL starts or ends in prose.
bool token_delimiter(char c) {
    return is_space(c) || c == '"' || c == '\'' || c == '`' || c == '(' || c == ')' || c == '<' || c == '>' ||
           c == ',' || c == ';';
}

bool is_credential_key(std::string_view key) {
    std::string k;
    k.reserve(key.size());
    for (char c : key) {
        k.push_back(lower_ascii(c));
    }
    for (std::string_view word : {"pass", "pwd", "secret", "token", "key", "auth", "signature", "credential"}) {
        if (k.find(word) != std::string::npos) {
            return true;
        }
    }
    return false;
}

// The length of a scheme-like prefix to skip before a userinfo: "postgres://",
// and the mistyped "postgres:/", "postgres:", "postgres//". 0 when none.
std::size_t scheme_prefix(std::string_view token) {
    if (token.empty() || !is_alpha(token[0])) {
        return 0;
    }
    std::size_t k = 1;
    while (k < token.size() &&
           (is_alpha(token[k]) || is_digit(token[k]) || token[k] == '+' || token[k] == '-' || token[k] == '.')) {
        ++k;
    }
    if (k < token.size() && token[k] == ':') {
        std::size_t slashes = k + 1;
        while (slashes < token.size() && token[slashes] == '/') {
            ++slashes;
        }
        // "user:password@" has no slash after its colon: not a scheme.
        return slashes > k + 1 ? slashes : 0;
    }
    if (k + 1 < token.size() && token[k] == '/' && token[k + 1] == '/') {
        while (k < token.size() && token[k] == '/') {
            ++k;
        }
        return k;
    }
    return 0;
}

// Userinfo passwords: in each token holding an '@', what lies between the
// first ':' after any scheme and the token's last '@' (a raw '@' or '/' in a
// password must not end it early).
void find_userinfo_passwords(std::string_view text, std::vector<Span>& out) {
    std::size_t i = 0;
    while ((i = text.find('@', i)) != std::string_view::npos) {
        std::size_t start = i;
        while (start > 0 && !token_delimiter(text[start - 1])) {
            --start;
        }
        std::size_t end = i;
        while (end < text.size() && !token_delimiter(text[end])) {
            ++end;
        }
        const std::string_view token = text.substr(start, end - start);
        const std::size_t from = scheme_prefix(token);
        const std::size_t last_at = token.rfind('@');
        const std::size_t colon = token.find(':', from);
        if (colon != std::string_view::npos && colon < last_at && last_at > from) {
            out.emplace_back(start + colon + 1, start + last_at);
        }
        i = end;
    }
}

// The value of a credential key=value pair; calls `found(span, value as
// meant)` for each (the value unquoted, for secrets_in).
template <typename Found>
void find_credential_values(std::string_view text, Found&& found) {
    for (std::size_t eq = text.find('='); eq != std::string_view::npos; eq = text.find('=', eq + 1)) {
        std::size_t key_end = eq;
        while (key_end > 0 && (text[key_end - 1] == ' ' || text[key_end - 1] == '\t')) {
            --key_end;
        }
        std::size_t key_start = key_end;
        while (key_start > 0 && is_key_char(text[key_start - 1])) {
            --key_start;
        }
        if (key_start == key_end || !is_credential_key(text.substr(key_start, key_end - key_start))) {
            continue;
        }
        const bool query = key_start > 0 && (text[key_start - 1] == '?' || text[key_start - 1] == '&');
        std::size_t v = eq + 1;
        if (!query) {
            while (v < text.size() && (text[v] == ' ' || text[v] == '\t')) {
                ++v;
            }
        }
        std::size_t end = v;
        std::string value;
        if (!query && v < text.size() && text[v] == '\'') {
            // libpq quoting: '...' with \' and \\ escapes. Unterminated: to the end.
            end = v + 1;
            while (end < text.size() && text[end] != '\'') {
                if (text[end] == '\\' && end + 1 < text.size()) {
                    ++end;
                }
                value.push_back(text[end]);
                ++end;
            }
            end = std::min(end + 1, text.size());
        } else {
            while (end < text.size() && !is_space(text[end]) && !(query && (text[end] == '&' || text[end] == '#'))) {
                ++end;
            }
            value = std::string(text.substr(v, end - v));
        }
        if (end > v) {
            found(Span{v, end}, std::move(value));
        }
        eq = end > eq ? end - 1 : eq;
    }
}

void add_with_decoded(std::vector<std::string>& out, std::string value) {
    if (value.empty()) {
        return;
    }
    if (auto decoded = percent_decode(value); decoded && *decoded != value && !decoded->empty()) {
        out.push_back(std::move(*decoded));
    }
    out.push_back(std::move(value));
}

}  // namespace

std::string redact_secrets(std::string_view text, std::span<const std::string> known) {
    std::vector<Span> spans;
    find_userinfo_passwords(text, spans);
    find_credential_values(text, [&spans](Span s, std::string&&) { spans.push_back(s); });
    for (const std::string& secret : known) {
        if (secret.size() < 3) {
            continue;  // would hide every such letter; the shapes above still apply
        }
        for (std::size_t at = text.find(secret); at != std::string_view::npos; at = text.find(secret, at + 1)) {
            spans.emplace_back(at, at + secret.size());
        }
    }
    if (spans.empty()) {
        return std::string(text);
    }
    std::sort(spans.begin(), spans.end());
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    for (std::size_t i = 0; i < spans.size();) {
        std::size_t begin = spans[i].first;
        std::size_t end = spans[i].second;
        for (++i; i < spans.size() && spans[i].first <= end; ++i) {
            end = std::max(end, spans[i].second);
        }
        if (begin < pos) {
            begin = pos;
        }
        out.append(text.substr(pos, begin - pos)).append("***");
        pos = std::max(pos, end);
    }
    out.append(text.substr(std::min(pos, text.size())));
    return out;
}

std::vector<std::string> secrets_in(std::string_view connection) {
    std::vector<std::string> out;
    std::vector<Span> spans;
    find_userinfo_passwords(connection, spans);
    for (const Span& s : spans) {
        add_with_decoded(out, std::string(connection.substr(s.first, s.second - s.first)));
    }
    find_credential_values(connection, [&out](Span, std::string&& value) { add_with_decoded(out, std::move(value)); });
    // Longest first, so a secret that contains another is hidden whole.
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
        return a.size() != b.size() ? a.size() > b.size() : a < b;
    });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace beacon
