#pragma once

#include <cstddef>
#include <mutex>
#include <unordered_map>

#include "http/client_address.hpp"

namespace beacon::http {

// Open connections by client key (http::limit_key of the TCP peer), with a
// cap per key (BEACON_MAX_CONNECTIONS_PER_IP). Only keys with a connection
// open have an entry, so memory follows the open connections. Thread-safe.
class ConnectionsPerAddress {
public:
    // 0: no cap.
    explicit ConnectionsPerAddress(std::size_t per_key_limit) : limit_(per_key_limit) {}

    // Counts one more connection of `key`, unless it already has the limit
    // open (then false, and nothing is counted).
    bool try_open(const IpAddress& key);
    // Counts one connection of `key` (opened with try_open or open_uncapped) as closed.
    void close(const IpAddress& key);
    // Counts a connection without the cap (a trusted proxy's: all its
    // clients arrive through it).
    void open_uncapped(const IpAddress& key);

    std::size_t open(const IpAddress& key) const;
    std::size_t limit() const { return limit_; }

private:
    std::size_t limit_;
    mutable std::mutex mu_;
    std::unordered_map<IpAddress, std::size_t, IpAddressHash> open_;
};

}  // namespace beacon::http
