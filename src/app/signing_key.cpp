#include "app/signing_key.hpp"

#include <openssl/crypto.h>

#include <string>
#include <system_error>

#include "app/private_file.hpp"

namespace beacon::app {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kSetting = "BEACON_SIGNING_KEY_FILE";
// A PEM Ed25519 key is 119 bytes; anything this long is not one.
constexpr std::size_t kMaxKeyFileBytes = 64 * 1024;

// Wipes a private key's text when it goes out of scope.
struct WipedText {
    std::string text;
    ~WipedText() { OPENSSL_cleanse(text.data(), text.size()); }
};

Result<releases::Ed25519Signer> read_key(const fs::path& path, std::string_view hint) {
    auto pem = read_whole_file(path, kMaxKeyFileBytes);
    if (!pem) {
        Error e = std::move(pem).error();
        e.message = std::string(kSetting) + ": " + e.message + std::string(hint);
        return e;
    }
    WipedText text{std::move(pem).value()};
    auto signer = releases::Ed25519Signer::from_pem(text.text);
    if (!signer) {
        Error e = std::move(signer).error();
        e.message = std::string(kSetting) + ": " + path.string() + " " + e.message + std::string(hint);
        return e;
    }
    return signer;
}

}  // namespace

Result<releases::Ed25519Signer> load_signing_key(const Config& config) {
    if (!config.signing_key_file.empty()) {
        return read_key(config.signing_key_file, "");
    }
    if (is_production(config)) {
        return make_error(ErrorCode::InvalidArgument,
                          std::string(kSetting) +
                              " is required when BEACON_DATABASE_URL is PostgreSQL: every replica signs update "
                              "offers with the same key (make one with: openssl genpkey -algorithm ed25519 "
                              "-out signing-key.pem)");
    }
    const fs::path path = config.data_dir / kGeneratedSigningKeyName;
    const std::string_view hint = " (delete it to generate a new key, or set BEACON_SIGNING_KEY_FILE)";
    std::error_code ec;
    if (fs::exists(path, ec)) {
        return read_key(path, hint);
    }
    fs::create_directories(config.data_dir, ec);
    if (ec) {
        return make_error(ErrorCode::Unavailable,
                          std::string(kSetting) + ": creating " + config.data_dir.string() + ": " + ec.message());
    }
    auto generated = releases::Ed25519Signer::generate_pem();
    if (!generated) {
        return std::move(generated).error().with_context(kSetting);
    }
    WipedText pem{std::move(generated).value()};
    auto created = create_private_file(path, pem.text);
    if (!created) {
        return std::move(created).error().with_context(kSetting);
    }
    if (!*created) {
        return read_key(path, hint);  // another process made it first: use theirs
    }
    return releases::Ed25519Signer::from_pem(pem.text);
}

Result<std::vector<releases::PublicSigningKey>> load_published_keys(const Config& config) {
    constexpr std::string_view kPublished = "BEACON_SIGNING_PUBLIC_KEYS";
    std::vector<releases::PublicSigningKey> keys;
    for (const fs::path& path : config.signing_public_keys) {
        auto pem = read_whole_file(path, kMaxKeyFileBytes);
        if (!pem) {
            Error e = std::move(pem).error();
            e.message = std::string(kPublished) + ": " + e.message;
            return e;
        }
        WipedText text{std::move(pem).value()};  // it may be a private key
        auto key = releases::ed25519_public_key_from_pem(text.text);
        if (!key) {
            Error e = std::move(key).error();
            e.message = std::string(kPublished) + ": " + path.string() + " " + e.message;
            return e;
        }
        keys.push_back(std::move(key).value());
    }
    return keys;
}

}  // namespace beacon::app
