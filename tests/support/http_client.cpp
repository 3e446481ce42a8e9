#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>
#include <zlib.h>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

namespace beacon::test {
namespace {

namespace bh = boost::beast::http;
using Clock = std::chrono::steady_clock;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left < 0 ? 0 : static_cast<int>(left);
}

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
        if (iequals(k, name)) {
            return v;
        }
    }
    return std::nullopt;
}

std::size_t HttpResponse::header_count(std::string_view name) const {
    std::size_t n = 0;
    for (const auto& [k, v] : headers) {
        n += iequals(k, name) ? 1 : 0;
    }
    return n;
}

boost::json::value HttpResponse::json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (ec) {
        ADD_FAILURE() << "response body is not JSON (" << ec.message() << "): " << describe();
        return nullptr;
    }
    return v;
}

std::string HttpResponse::describe() const {
    std::string out = "HTTP " + std::to_string(status) + "\n";
    for (const auto& [k, v] : headers) {
        out += k + ": " + v + "\n";
    }
    out += "\n";
    out += body.size() > 2000 ? body.substr(0, 2000) + "...(" + std::to_string(body.size()) + " bytes)" : body;
    return out;
}

RawConnection::RawConnection(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_ = std::string("socket: ") + std::strerror(errno);
        return;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        error_ = std::string("connect: ") + std::strerror(errno);
        ::close(fd);
        return;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
}

RawConnection::~RawConnection() {
    close();
}

void RawConnection::close() {
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

bool RawConnection::send(std::string_view bytes, std::chrono::milliseconds timeout) {
    if (fd_ < 0) {
        error_ = "not connected";
        return false;
    }
    auto deadline = Clock::now() + timeout;
    while (!bytes.empty()) {
        pollfd p{fd_, POLLOUT, 0};
        int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            error_ = rc == 0 ? "send timed out" : std::string("poll: ") + std::strerror(errno);
            return false;
        }
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            error_ = std::string("send: ") + std::strerror(errno);
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

std::optional<HttpResponse> RawConnection::read_response(std::chrono::milliseconds timeout, bool head_request) {
    if (fd_ < 0) {
        error_ = "not connected";
        return std::nullopt;
    }
    auto deadline = Clock::now() + timeout;
    bh::response_parser<bh::string_body> parser;
    parser.eager(true);
    parser.skip(head_request);
    parser.header_limit(1 << 20);
    parser.body_limit(std::uint64_t{256} << 20);
    for (;;) {
        // Feed what we have; the parser takes complete pieces only.
        while (!buffer_.empty() && !parser.is_done()) {
            boost::system::error_code ec;
            std::size_t used = parser.put(boost::asio::buffer(buffer_.data(), buffer_.size()), ec);
            buffer_.erase(0, used);
            if (ec == bh::error::need_more) {
                break;
            }
            if (ec) {
                error_ = "malformed response: " + ec.message();
                return std::nullopt;
            }
            if (used == 0) {
                break;
            }
        }
        if (parser.is_done()) {
            break;
        }
        pollfd p{fd_, POLLIN, 0};
        int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            error_ = rc == 0 ? "timed out waiting for a response" : std::string("poll: ") + std::strerror(errno);
            return std::nullopt;
        }
        char chunk[16384];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n <= 0) {
            if (n == 0 && parser.is_header_done() && parser.need_eof()) {
                boost::system::error_code ec;
                parser.put_eof(ec);
                if (!ec) {
                    break;
                }
            }
            error_ =
                n == 0 ? "connection closed before a complete response" : std::string("recv: ") + std::strerror(errno);
            return std::nullopt;
        }
        buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    auto msg = parser.release();
    HttpResponse r;
    r.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) {
        r.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    r.keep_alive = msg.keep_alive();
    r.body = std::move(msg.body());
    return r;
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
    if (fd_ < 0) {
        return true;
    }
    auto deadline = Clock::now() + timeout;
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        int rc = ::poll(&p, 1, remaining_ms(deadline));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            return false;
        }
        char chunk[4096];
        ssize_t n = ::recv(fd_, chunk, sizeof chunk, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            return true;
        }
        if (n > 0) {
            buffer_.append(chunk, static_cast<std::size_t>(n));
        }
        if (remaining_ms(deadline) == 0) {
            return false;
        }
    }
}

HttpResponse HttpClient::request(const HttpRequest& req) {
    // A kept-alive connection the server has closed in the meantime: reconnect.
    if (conn_ && conn_->connected()) {
        if (conn_->wait_closed(std::chrono::milliseconds(0))) {
            conn_.reset();
        }
    }
    if (!conn_ || !conn_->connected()) {
        conn_.emplace(port_);
        ++opened_;
        if (!conn_->connected()) {
            ADD_FAILURE() << "connecting to port " << port_ << ": " << conn_->error();
            conn_.reset();
            return {};
        }
    }
    std::string wire = req.method + " " + req.target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
    bool has_length = false;
    for (const auto& [k, v] : req.headers) {
        wire += k + ": " + v + "\r\n";
        has_length = has_length || iequals(k, "Content-Length") || iequals(k, "Transfer-Encoding");
    }
    if (!has_length && (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")) {
        wire += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
    }
    wire += "\r\n";
    wire += req.body;
    if (!conn_->send(wire)) {
        ADD_FAILURE() << req.method << " " << req.target << ": " << conn_->error();
        conn_.reset();
        return {};
    }
    auto res = conn_->read_response(kIoTimeout, req.method == "HEAD");
    if (!res) {
        ADD_FAILURE() << req.method << " " << req.target << ": " << conn_->error();
        conn_.reset();
        return {};
    }
    if (!res->keep_alive) {
        conn_.reset();
    }
    return std::move(*res);
}

HttpResponse HttpClient::get(std::string target, Headers headers) {
    return request({"GET", std::move(target), std::move(headers), {}});
}

HttpResponse HttpClient::head(std::string target, Headers headers) {
    return request({"HEAD", std::move(target), std::move(headers), {}});
}

HttpResponse HttpClient::post(std::string target, std::string body, Headers headers) {
    return request({"POST", std::move(target), std::move(headers), std::move(body)});
}

HttpResponse HttpClient::post_json(std::string target, std::string body, Headers headers) {
    headers.emplace_back("Content-Type", "application/json");
    return post(std::move(target), std::move(body), std::move(headers));
}

HttpResponse HttpClient::post_json(std::string target, const boost::json::object& body, Headers headers) {
    return post_json(std::move(target), boost::json::serialize(body), std::move(headers));
}

void HttpClient::close() {
    conn_.reset();
}

Headers bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
}

std::string gzip_compress(std::string_view data) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        ADD_FAILURE() << "deflateInit2 failed";
        return {};
    }
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    int rc = deflate(&zs, Z_FINISH);
    if (rc != Z_STREAM_END) {
        ADD_FAILURE() << "deflate failed: " << rc;
    }
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

}  // namespace beacon::test
