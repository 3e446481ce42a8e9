#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace beacon::http {

// An IP address as the 16 bytes of IPv6; IPv4 is held IPv4-mapped
// (::ffff:a.b.c.d), so one type, one comparison and one CIDR match serve both
// families. A value type; the default is ::.
struct IpAddress {
    std::array<std::uint8_t, 16> bytes{};

    bool is_v4() const;  // IPv4-mapped
    // "192.0.2.1" for IPv4 (mapped or not), "2001:db8::1" for IPv6.
    std::string to_string() const;
    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

struct IpAddressHash {
    std::size_t operator()(const IpAddress& a) const;
};

// A literal address: dotted IPv4 ("192.0.2.1", no leading zeros) or IPv6
// ("2001:db8::1", "::ffff:192.0.2.1"); no brackets, ports or zone ids.
std::optional<IpAddress> parse_ip(std::string_view text);

// An address block. IPv4 blocks are kept on the mapped form (prefix + 96).
struct Cidr {
    IpAddress network;  // host bits zero
    int prefix = 128;   // of the 128-bit form

    bool contains(const IpAddress& a) const;
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (one host: /32 or /128).
// InvalidArgument, saying what is wrong, for anything else: a bad address,
// a prefix out of range (0-32 for IPv4, 0-128 for IPv6), or host bits set
// ("10.0.0.1/8": the block was probably mistyped).
Result<Cidr> parse_cidr(std::string_view text);

// A comma-separated list of parse_cidr()s (spaces around entries allowed); an
// empty or blank string is the empty list; an empty entry is an error.
Result<std::vector<Cidr>> parse_cidr_list(std::string_view text);

// The proxies whose X-Forwarded-For the server believes (BEACON_TRUSTED_PROXIES).
class TrustedProxies {
public:
    TrustedProxies() = default;
    explicit TrustedProxies(std::vector<Cidr> blocks) : blocks_(std::move(blocks)) {}

    bool empty() const { return blocks_.empty(); }
    bool contains(const IpAddress& a) const;

private:
    std::vector<Cidr> blocks_;
};

// One X-Forwarded-For entry: an address, optionally with a port
// ("192.0.2.1:4711", "[2001:db8::1]:443", "[2001:db8::1]"). Anything else
// ("unknown", an obfuscated RFC 7239 identifier, garbage) is nullopt.
std::optional<IpAddress> parse_forwarded_for_entry(std::string_view entry);

// Who the client is. When the TCP peer is not a trusted proxy, the peer.
// Otherwise the X-Forwarded-For entries (every field value in order,
// comma-separated) are walked from the right, each having been appended by
// the hop to its right: the first entry that is not a trusted proxy is the
// client. When every entry is trusted, the leftmost one is the best known;
// without the header, the peer. An entry that is not an address stops the
// walk (no trusted proxy writes one, so it came from the client): the
// client is then the last trusted hop seen. So a client can never choose
// its own address by sending the header, and a trusted proxy's own hop is
// skipped.
IpAddress client_address(const IpAddress& peer,
                         std::span<const std::string_view> forwarded_for,
                         const TrustedProxies& trusted);

// The identity rate limits and per-address connection caps count under: an
// IPv4 address itself, an IPv6 address by its /64 (one subscriber's
// allocation, which a single host can fill with addresses at will).
IpAddress limit_key(const IpAddress& a);

}  // namespace beacon::http
