#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace beacon::test {

using Headers = std::vector<std::pair<std::string, std::string>>;

// A parsed HTTP/1.1 response.
struct HttpResponse {
    int status = 0;
    Headers headers;
    std::string body;
    bool keep_alive = false;  // what the response allows for the connection

    // The first value of header `name` (case-insensitive), if present.
    std::optional<std::string> header(std::string_view name) const;
    // How many times header `name` appears (case-insensitive).
    std::size_t header_count(std::string_view name) const;
    // The body as JSON; a failed parse is a test failure and gives null.
    boost::json::value json() const;
    // Status line, headers and body (truncated), for failure messages.
    std::string describe() const;
};

struct HttpRequest {
    std::string method = "GET";
    std::string target = "/";
    Headers headers;
    std::string body;
};

// How long any single socket operation may block before it counts as failed.
inline constexpr std::chrono::milliseconds kIoTimeout{20000};

// A blocking TCP connection to 127.0.0.1:port with timeouts on every
// operation, for exact bytes and for observing what the server does with the
// connection (malformed requests, slow clients, draining).
class RawConnection {
public:
    explicit RawConnection(std::uint16_t port);
    ~RawConnection();
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    bool connected() const { return fd_ >= 0; }
    const std::string& error() const { return error_; }

    // Sends all of `bytes`; false when the peer closed or the send timed out.
    bool send(std::string_view bytes, std::chrono::milliseconds timeout = kIoTimeout);
    // Reads one response (headers and body). `head_request`: the response to a
    // HEAD has no body whatever Content-Length says. nullopt on timeout, on a
    // close before a whole response, or on a malformed response; see error().
    std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout = kIoTimeout,
                                              bool head_request = false);
    // Waits until the server closes the connection (EOF or reset), discarding
    // any bytes that arrive. True when it closed within `timeout`.
    bool wait_closed(std::chrono::milliseconds timeout);
    // Bytes received but not consumed by read_response().
    const std::string& pending() const { return buffer_; }
    void close();

private:
    int fd_ = -1;
    std::string buffer_;
    std::string error_;
};

// A small blocking HTTP/1.1 client that keeps its connection alive between
// requests and reconnects when the server closed it.
class HttpClient {
public:
    explicit HttpClient(std::uint16_t port) : port_(port) {}

    // Sends the request (adding Host and Content-Length) and reads the
    // response. A transport failure is a test failure and gives status 0.
    HttpResponse request(const HttpRequest& req);

    HttpResponse get(std::string target, Headers headers = {});
    HttpResponse head(std::string target, Headers headers = {});
    HttpResponse post(std::string target, std::string body, Headers headers = {});
    // POST with Content-Type: application/json.
    HttpResponse post_json(std::string target, std::string body, Headers headers = {});
    HttpResponse post_json(std::string target, const boost::json::object& body, Headers headers = {});

    // Connections opened so far (1 after any number of kept-alive requests).
    int connections_opened() const { return opened_; }
    void close();

private:
    std::uint16_t port_;
    std::optional<RawConnection> conn_;
    int opened_ = 0;
};

// Headers helper: {"Authorization", "Bearer <token>"}.
Headers bearer(const std::string& token);

// gzip-compresses `data` (for Content-Encoding: gzip bodies).
std::string gzip_compress(std::string_view data);

}  // namespace beacon::test
