#include "telemetry/actor_hash.hpp"

#include <array>
#include <cassert>

#include <openssl/evp.h>

#include "telemetry/model.hpp"

namespace beacon::telemetry {

std::int64_t actor_hash(std::string_view actor_key) {
    std::array<unsigned char, 16> digest{};
    unsigned int len = 0;
    const int ok = EVP_Digest(actor_key.data(), actor_key.size(), digest.data(), &len, EVP_md5(), nullptr);
    assert(ok == 1 && len == digest.size());
    (void)ok;
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        v = (v << 8) | digest[i];
    }
    return static_cast<std::int64_t>(v);
}

std::int64_t actor_hash(std::string_view install_id, const std::optional<std::string>& user_id) {
    return actor_hash(actor_key(install_id, user_id));
}

}  // namespace beacon::telemetry
