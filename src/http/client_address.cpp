#include "http/client_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "core/text.hpp"

namespace beacon::http {
namespace {

bool all_digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

Error bad_cidr(std::string_view text, std::string_view why) {
    return make_error(ErrorCode::InvalidArgument,
                      "'" + std::string(text) + "' is not a CIDR block: " + std::string(why));
}

}  // namespace

bool IpAddress::is_v4() const {
    return std::memcmp(bytes.data(), kMappedPrefix.data(), kMappedPrefix.size()) == 0;
}

std::string IpAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    if (is_v4()) {
        ::inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf);
    } else {
        ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
    }
    return buf;
}

std::size_t IpAddressHash::operator()(const IpAddress& a) const {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;
    std::memcpy(&hi, a.bytes.data(), 8);
    std::memcpy(&lo, a.bytes.data() + 8, 8);
    // (splitmix64's finalizer over both halves: the keys are chosen by clients.)
    std::uint64_t x = hi ^ (lo + 0x9e3779b97f4a7c15ULL + (hi << 6) + (hi >> 2));
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return static_cast<std::size_t>(x ^ (x >> 31));
}

std::optional<IpAddress> parse_ip(std::string_view text) {
    // inet_pton wants a NUL-terminated string; addresses are short.
    if (text.empty() || text.size() >= INET6_ADDRSTRLEN) {
        return std::nullopt;
    }
    char buf[INET6_ADDRSTRLEN] = {};
    std::memcpy(buf, text.data(), text.size());
    IpAddress a;
    if (text.find(':') == std::string_view::npos) {
        std::memcpy(a.bytes.data(), kMappedPrefix.data(), kMappedPrefix.size());
        if (::inet_pton(AF_INET, buf, a.bytes.data() + 12) != 1) {
            return std::nullopt;
        }
        return a;
    }
    if (::inet_pton(AF_INET6, buf, a.bytes.data()) != 1) {
        return std::nullopt;
    }
    return a;
}

bool Cidr::contains(const IpAddress& a) const {
    const int full = prefix / 8;
    if (std::memcmp(a.bytes.data(), network.bytes.data(), static_cast<std::size_t>(full)) != 0) {
        return false;
    }
    const int rest = prefix % 8;
    if (rest == 0) {
        return true;
    }
    const auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a.bytes[static_cast<std::size_t>(full)] & mask) == network.bytes[static_cast<std::size_t>(full)];
}

Result<Cidr> parse_cidr(std::string_view text) {
    std::string_view addr_text = text;
    std::optional<int> bits;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        addr_text = text.substr(0, slash);
        std::string_view len = text.substr(slash + 1);
        int n = -1;
        auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), n);
        if (len.empty() || len.size() > 3 || ec != std::errc{} || end != len.data() + len.size() || n < 0) {
            return bad_cidr(text, "the prefix length must be a number");
        }
        bits = n;
    }
    auto addr = parse_ip(addr_text);
    if (!addr) {
        return bad_cidr(text, "not an IPv4 or IPv6 address");
    }
    const bool v4 = addr_text.find(':') == std::string_view::npos;
    const int max_bits = v4 ? 32 : 128;
    if (bits && *bits > max_bits) {
        return bad_cidr(text, "the prefix length must be 0 to " + std::to_string(max_bits));
    }
    Cidr c{*addr, (v4 ? 96 : 0) + bits.value_or(max_bits)};
    IpAddress masked = c.network;
    for (int i = 0; i < 16; ++i) {
        const int keep = std::clamp(c.prefix - i * 8, 0, 8);
        masked.bytes[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(keep == 0 ? 0 : 0xff << (8 - keep));
    }
    if (masked != c.network) {
        return bad_cidr(text,
                        "host bits are set (did you mean " + masked.to_string() + "/" +
                            std::to_string(bits.value_or(max_bits)) + "?)");
    }
    return c;
}

Result<std::vector<Cidr>> parse_cidr_list(std::string_view text) {
    std::vector<Cidr> out;
    if (trim(text).empty()) {
        return out;
    }
    while (true) {
        auto comma = text.find(',');
        std::string_view item = trim(text.substr(0, comma));
        if (item.empty()) {
            return make_error(ErrorCode::InvalidArgument, "an empty entry in the list of CIDR blocks");
        }
        auto c = parse_cidr(item);
        if (!c) {
            return std::move(c).error();
        }
        out.push_back(*c);
        if (comma == std::string_view::npos) {
            break;
        }
        text = text.substr(comma + 1);
    }
    return out;
}

bool TrustedProxies::contains(const IpAddress& a) const {
    for (const auto& b : blocks_) {
        if (b.contains(a)) {
            return true;
        }
    }
    return false;
}

std::optional<IpAddress> parse_forwarded_for_entry(std::string_view entry) {
    entry = trim(entry);
    if (!entry.empty() && entry.front() == '[') {
        auto close = entry.find(']');
        if (close == std::string_view::npos) {
            return std::nullopt;
        }
        std::string_view rest = entry.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || rest.size() == 1 || !all_digits(rest.substr(1)))) {
            return std::nullopt;
        }
        std::string_view inner = entry.substr(1, close - 1);
        if (inner.find(':') == std::string_view::npos) {
            return std::nullopt;  // brackets are for IPv6
        }
        return parse_ip(inner);
    }
    if (auto colon = entry.find(':');
        colon != std::string_view::npos && entry.find(':', colon + 1) == std::string_view::npos) {
        // One colon: IPv4 with a port.
        std::string_view port = entry.substr(colon + 1);
        if (!all_digits(port)) {
            return std::nullopt;
        }
        return parse_ip(entry.substr(0, colon));
    }
    return parse_ip(entry);
}

IpAddress client_address(const IpAddress& peer,
                         std::span<const std::string_view> forwarded_for,
                         const TrustedProxies& trusted) {
    if (trusted.empty() || !trusted.contains(peer)) {
        return peer;
    }
    // The entries, rightmost first.
    std::vector<std::string_view> entries;
    for (auto value : forwarded_for) {
        while (true) {
            auto comma = value.find(',');
            entries.push_back(value.substr(0, comma));
            if (comma == std::string_view::npos) {
                break;
            }
            value = value.substr(comma + 1);
        }
    }
    IpAddress last_trusted = peer;
    for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
        if (trim(*it).empty()) {
            continue;  // "a, , b": an empty element, which RFC 9110 lists allow
        }
        auto hop = parse_forwarded_for_entry(*it);
        if (!hop) {
            return last_trusted;
        }
        if (!trusted.contains(*hop)) {
            return *hop;
        }
        last_trusted = *hop;
    }
    return last_trusted;
}

IpAddress limit_key(const IpAddress& a) {
    if (a.is_v4()) {
        return a;
    }
    IpAddress key = a;
    std::fill(key.bytes.begin() + 8, key.bytes.end(), std::uint8_t{0});
    return key;
}

}  // namespace beacon::http
