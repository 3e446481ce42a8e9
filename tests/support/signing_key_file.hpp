#pragma once

#include <filesystem>

namespace beacon::test {

// A PKCS#8 PEM Ed25519 private key for beacon servers that need
// BEACON_SIGNING_KEY_FILE (production mode refuses to start without one):
// generated once per test process with OpenSSL into a private temp file
// (mode 0600, removed at exit). Thread-safe.
const std::filesystem::path& test_signing_key_file();

}  // namespace beacon::test
