#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace beacon {

// Credentials never reach a message or a log line. These two functions are
// the one place that knows their shapes.
//
// redact_secrets() returns `text` with "***" in place of:
//   - the password of every userinfo, "user:PASSWORD@host", with a scheme
//     (postgres://u:p@h), a mistyped one (postgres:/u:p@h, postgres//u:p@h)
//     or none (u:p@h); the user name stays;
//   - the value of every key=value pair whose key names a credential
//     (contains pass, pwd, secret, token, key, auth, signature or credential,
//     in any case): libpq keyword strings ("host=db password=s3cret",
//     "password = 'a b'") and URL query parameters (?sslpassword=...&...);
//   - every occurrence of each `known` secret of 3 or more bytes, as given
//     and percent-decoded (for messages that quote a fragment of the
//     connection string, as libpq's parse errors do: "invalid
//     percent-encoded token: "p%zz"").
// Over-redacting is preferred to a leak: an unusual shape may lose more text
// than its password.
std::string redact_secrets(std::string_view text, std::span<const std::string> known = {});

// The secrets that a connection string or URL carries, for redact_secrets'
// `known`: its userinfo password, and the values of credential keys (keyword
// pairs or query parameters), each as written and percent-decoded. Works on
// any text, valid or not (it is for the messages about invalid ones too).
std::vector<std::string> secrets_in(std::string_view connection);

}  // namespace beacon
