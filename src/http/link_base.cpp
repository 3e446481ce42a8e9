#include "http/link_base.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cctype>
#include <charconv>
#include <optional>

#include "core/text.hpp"

namespace beacon::http {
namespace {

namespace bh = boost::beast::http;

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
    out.host = to_lower(out.host);
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

// The scheme://host[:port] base of links for this request (see absolute_link).
std::string request_base(const ListenAddress& address, const RequestHeader& header) {
    const std::string listen = to_lower(address.host);
    const bool wildcard = listen == "0.0.0.0" || listen == "::";
    if (auto hp = parse_host(header[bh::field::host])) {
        const bool same_port = hp->port.value_or(80) == address.port;
        const bool same_host = hp->host == listen || (wildcard && (hp->host == "localhost" || is_ip_literal(hp->host)));
        if (same_port && same_host) {
            const bool v6 = hp->host.find(':') != std::string::npos;
            const std::string host = v6 ? "[" + hp->host + "]" : hp->host;
            return "http://" + (hp->port ? host + ":" + std::to_string(*hp->port) : host);
        }
    }
    if (wildcard) {
        return "http://" + authority(listen == "::" ? "::1" : "127.0.0.1", address.port);
    }
    return "http://" + authority(address.host, address.port);
}

}  // namespace

std::string link_base(const ListenAddress& listen, const RequestHeader& header) {
    return request_base(listen, header);
}

std::string absolute_link(const ListenAddress& listen, const RequestHeader& header, const std::string& url) {
    return !url.empty() && url.front() == '/' ? request_base(listen, header) + url : url;
}

}  // namespace beacon::http
