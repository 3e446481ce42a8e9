#include "http/connections_per_address.hpp"

#include <cassert>

namespace beacon::http {

bool ConnectionsPerAddress::try_open(const IpAddress& key) {
    std::lock_guard lock(mu_);
    auto& n = open_[key];
    if (limit_ > 0 && n >= limit_) {
        if (n == 0) {
            open_.erase(key);
        }
        return false;
    }
    ++n;
    return true;
}

void ConnectionsPerAddress::open_uncapped(const IpAddress& key) {
    std::lock_guard lock(mu_);
    ++open_[key];
}

void ConnectionsPerAddress::close(const IpAddress& key) {
    std::lock_guard lock(mu_);
    auto it = open_.find(key);
    assert(it != open_.end() && it->second > 0);
    if (it == open_.end()) {
        return;
    }
    if (--it->second == 0) {
        open_.erase(it);
    }
}

std::size_t ConnectionsPerAddress::open(const IpAddress& key) const {
    std::lock_guard lock(mu_);
    auto it = open_.find(key);
    return it == open_.end() ? 0 : it->second;
}

}  // namespace beacon::http
