#pragma once

#include <cstdint>
#include <string>

#include "http/request.hpp"

namespace beacon::http {

// The address the server listens on ("0.0.0.0", "::1", "localhost"; IPv6
// without brackets); the port is set once the socket is bound.
struct ListenAddress {
    std::string host;
    std::uint16_t port = 0;
};

// `url` as a client can follow it. Links are host-relative ("/files/...")
// when BEACON_PUBLIC_URL is unset; they are then made absolute from the
// request's Host header only when it names the address we listen on (the
// same port, 80 when it has none; and the listening host, or on a wildcard
// address `localhost` or an IP literal), else from the listening address
// itself (loopback for a wildcard), so that a Host chosen by whoever sends
// the request cannot plant links to their own site. Always http: production
// sets BEACON_PUBLIC_URL. Absolute links are returned as they are.
std::string absolute_link(const ListenAddress& listen, const RequestHeader& header, const std::string& url);

// The scheme://host[:port] that absolute_link puts before a host-relative link
// for this request ("http://127.0.0.1:8080").
std::string link_base(const ListenAddress& listen, const RequestHeader& header);

}  // namespace beacon::http
