#include "releases/rollout.hpp"

#include <string>

#include "releases/sha256_stream.hpp"

namespace beacon::releases {

int rollout_bucket(std::string_view install_id, std::int64_t version_id) {
    std::string key;
    key.reserve(install_id.size() + 21);
    key.append(install_id);
    key.push_back(':');
    key.append(std::to_string(version_id));
    const Sha256Digest d = sha256(key);
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) {
        v = (v << 8) | d[static_cast<std::size_t>(i)];
    }
    return static_cast<int>(v % 100);
}

}  // namespace beacon::releases
