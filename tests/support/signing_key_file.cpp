#include "support/signing_key_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/evp.h>
#include <openssl/pem.h>

namespace beacon::test {
namespace {

std::filesystem::path generate() {
    EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (key == nullptr) {
        throw std::runtime_error("generating a test Ed25519 key failed");
    }
    const char* tmp = std::getenv("TMPDIR");
    std::string path = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/beacon-test-signing-key.XXXXXX";
    const int fd = ::mkstemp(path.data());  // mode 0600
    FILE* f = fd < 0 ? nullptr : ::fdopen(fd, "w");
    const bool written = f != nullptr && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    if (f != nullptr) {
        std::fclose(f);
    }
    EVP_PKEY_free(key);
    if (!written) {
        throw std::runtime_error("writing the test signing key to " + path + " failed");
    }
    static const std::string removed_at_exit = path;
    std::atexit([] { ::unlink(removed_at_exit.c_str()); });
    return path;
}

}  // namespace

const std::filesystem::path& test_signing_key_file() {
    static const std::filesystem::path path = generate();
    return path;
}

}  // namespace beacon::test
