#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/value.hpp>

#include "auth/jwt.hpp"
#include "core/result.hpp"
#include "http/body.hpp"
#include "http/client_address.hpp"

namespace beacon::http {

using Response = boost::beast::http::response<TextOrFileBody>;
using RequestHeader = boost::beast::http::request_header<>;

// What a handler sees: the parsed request, already routed, authenticated,
// size-checked and (for JSON routes) decompressed. Never touches a socket.
struct Request {
    const RequestHeader& header;
    std::string_view path;
    std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
    std::vector<std::string> params;                         // path parameters, decoded
    std::string body;                                        // decompressed body
    std::optional<auth::Principal> principal;                // from a valid bearer token
    std::string request_id;
    // Stream routes only: reads the next chunk of the body into `out`
    // (replacing its contents); returns false once the body is complete.
    // PayloadTooLarge past the route's limit; InvalidArgument when the client
    // stops sending or the framing is broken. Memory use is one chunk.
    std::function<boost::asio::awaitable<Result<bool>>(std::string& out)> read_body_chunk;
    // Who sent it: the TCP peer, or the client a trusted proxy names in
    // X-Forwarded-For (http/client_address.hpp). What rate limits count by.
    IpAddress client{};

    // The first value of query parameter `name`, if present.
    std::optional<std::string_view> query_param(std::string_view name) const;
    // The userId a client token asserts (its sub), if any.
    std::optional<std::string> token_user() const;
};

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

// Response builders. Each sets Content-Type and Content-Length. A JSON value
// is written by json_write (core/json_write.hpp): numbers as plain decimals.
Response json_response(boost::beast::http::status status, const boost::json::value& body);
Response json_response(boost::beast::http::status status, std::string body);
Response problem_response(const Error& e);
Response problem_response(boost::beast::http::status status, std::string detail);
Response field_problem(std::string field, std::string message);  // 400 validation naming one field
Response empty_response(boost::beast::http::status status);

// Decodes a JSON request body. Malformed JSON or invalid UTF-8 is
// ErrorCode::InvalidJson (a 400 `invalid-json` problem).
Result<boost::json::value> parse_json_body(std::string_view body);
// parse_json_body, and the document must be an object (else a 400 naming no field).
Result<boost::json::object> parse_json_object(std::string_view body);

}  // namespace beacon::http
