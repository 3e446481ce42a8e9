#include "app/signing_key.hpp"

#include <sys/stat.h>

#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "support/temp_dir.hpp"

namespace beacon::app {
namespace {

namespace fs = std::filesystem;

// openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:512 (a throwaway test key)
constexpr std::string_view kRsaPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEAt+fSXQvRg5ww+GsP\n"
    "laF1DLChVSkClrVO6w1Mw+Ts2/KCaYymUUPtfAw8kn60uiDfA1dlQbda1lzYhwow\n"
    "+rR5rwIDAQABAkEAhV354X5bn20a2lyRvbqMLvq81Qxbkz3DEJThkcKnvszA8Gpb\n"
    "OBio09SlKfaLvlrwc74+7l6jO4S3c67WQCSJ6QIhAOrwj10L129PS9T3qMomOQhe\n"
    "KjvYG6PewVPTov9MFhJdAiEAyGQe7+W8HuAyhXE4xPLljj+H85UyirIJcGRReJVj\n"
    "03sCIC/KHS9tIDZ5J9C7S+9K1SEZnner3vt3bVXy394UiQzVAiEAhIaiZylaBllj\n"
    "UBkW4Dl7U130vUT4jf08fNX7g3HY+S0CIFiYquDd+o/w/mybrAZIbXR6vh7kfHPu\n"
    "aqX2xy8OsvGc\n"
    "-----END PRIVATE KEY-----\n";
// RFC 8032 TEST 1's key as PKCS#8 PEM.
constexpr std::string_view kEd25519Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";

fs::path write_file(const fs::path& path, std::string_view text) {
    std::ofstream(path, std::ios::binary) << text;
    return path;
}

Config embedded(const fs::path& data_dir) {
    Config c;
    c.data_dir = data_dir;
    return c;
}

std::string load_error(const Config& c) {
    auto r = load_signing_key(c);
    return r.ok() ? "(loaded)" : r.error().message;
}

TEST(SigningKey, ReadsThePkcs8FileTheSettingNames) {
    test::TempDir dir;
    Config c = embedded(dir.path() / "data");
    c.signing_key_file = write_file(dir.path() / "key.pem", kEd25519Pem);
    auto signer = load_signing_key(c);
    ASSERT_TRUE(signer.ok()) << signer.error().message;
    EXPECT_EQ(signer->public_key().key_id, "21fe31dfa154a261");
    EXPECT_FALSE(fs::exists(dir.path() / "data" / kGeneratedSigningKeyName)) << "nothing generated";
}

TEST(SigningKey, MissingFileStopsTheStartNamingTheSetting) {
    test::TempDir dir;
    Config c = embedded(dir.path());
    c.signing_key_file = dir.path() / "absent.pem";
    const std::string message = load_error(c);
    EXPECT_TRUE(message.starts_with("BEACON_SIGNING_KEY_FILE")) << message;
    EXPECT_NE(message.find("absent.pem"), std::string::npos) << message;
    EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(SigningKey, UnreadableFileStopsTheStart) {
    test::TempDir dir;
    Config c = embedded(dir.path());
    c.signing_key_file = dir.path();  // a directory
    EXPECT_TRUE(load_error(c).starts_with("BEACON_SIGNING_KEY_FILE")) << load_error(c);
}

TEST(SigningKey, FileThatIsNotPemStopsTheStartWithoutQuotingIt) {
    test::TempDir dir;
    Config c = embedded(dir.path());
    c.signing_key_file = write_file(dir.path() / "key.pem", "secret-looking-bytes-0123456789");
    const std::string message = load_error(c);
    EXPECT_TRUE(message.starts_with("BEACON_SIGNING_KEY_FILE")) << message;
    EXPECT_NE(message.find("not a PEM"), std::string::npos) << message;
    EXPECT_EQ(message.find("secret-looking"), std::string::npos) << message;
}

TEST(SigningKey, RsaKeyIsRefusedNamingWhatItIs) {
    test::TempDir dir;
    Config c = embedded(dir.path());
    c.signing_key_file = write_file(dir.path() / "rsa.pem", kRsaPem);
    const std::string message = load_error(c);
    EXPECT_TRUE(message.starts_with("BEACON_SIGNING_KEY_FILE")) << message;
    EXPECT_NE(message.find("RSA"), std::string::npos) << message;
    EXPECT_NE(message.find("Ed25519"), std::string::npos) << message;
    EXPECT_EQ(message.find("MIIBVQ"), std::string::npos) << message;
}

TEST(SigningKey, ProductionRefusesToStartWithoutTheSetting) {
    test::TempDir dir;
    Config c = embedded(dir.path());
    c.database_url = "postgres://beacon@127.0.0.1:1/beacon";
    const std::string message = load_error(c);
    EXPECT_TRUE(message.starts_with("BEACON_SIGNING_KEY_FILE is required")) << message;
    EXPECT_FALSE(fs::exists(dir.path() / kGeneratedSigningKeyName));
}

TEST(SigningKey, EmbeddedModeGeneratesAPrivateKeyOnceAndReusesIt) {
    test::TempDir dir;
    const Config c = embedded(dir.path() / "data");  // created on demand
    auto first = load_signing_key(c);
    ASSERT_TRUE(first.ok()) << first.error().message;
    const fs::path path = dir.path() / "data" / kGeneratedSigningKeyName;
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);

    auto second = load_signing_key(c);
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(second->public_key().key_id, first->public_key().key_id);
    EXPECT_EQ(second->public_key().public_key, first->public_key().public_key);
    EXPECT_EQ(second->sign("m"), first->sign("m"));
}

TEST(SigningKey, DamagedGeneratedKeyStopsTheStartSayingHowToRecover) {
    test::TempDir dir;
    write_file(dir.path() / kGeneratedSigningKeyName, "");
    const std::string message = load_error(embedded(dir.path()));
    EXPECT_TRUE(message.starts_with("BEACON_SIGNING_KEY_FILE")) << message;
    EXPECT_NE(message.find("delete it"), std::string::npos) << message;
}

TEST(PublishedKeys, ReadsPublicAndPrivatePemFilesInOrder) {
    test::TempDir dir;
    Config c = embedded(dir.path());
    EXPECT_TRUE(load_published_keys(c)->empty());
    const auto pub = write_file(dir.path() / "next.pub",
                                "-----BEGIN PUBLIC KEY-----\n"
                                "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
                                "-----END PUBLIC KEY-----\n");
    auto generated = releases::Ed25519Signer::generate_pem();
    ASSERT_TRUE(generated.ok());
    const auto priv = write_file(dir.path() / "previous.pem", *generated);
    c.signing_public_keys = {pub, priv};
    auto keys = load_published_keys(c);
    ASSERT_TRUE(keys.ok()) << keys.error().message;
    ASSERT_EQ(keys->size(), 2U);
    EXPECT_EQ((*keys)[0].key_id, "21fe31dfa154a261") << "RFC 8032 TEST 1's public key";
    EXPECT_EQ((*keys)[1].key_id, releases::Ed25519Signer::from_pem(*generated)->public_key().key_id);
}

TEST(PublishedKeys, ABadFileStopsTheStartNamingTheSettingAndThePath) {
    test::TempDir dir;
    Config c = embedded(dir.path());
    c.signing_public_keys = {dir.path() / "absent.pub"};
    auto missing = load_published_keys(c);
    ASSERT_FALSE(missing.ok());
    EXPECT_TRUE(missing.error().message.starts_with("BEACON_SIGNING_PUBLIC_KEYS")) << missing.error().message;
    EXPECT_NE(missing.error().message.find("absent.pub"), std::string::npos) << missing.error().message;
    c.signing_public_keys = {write_file(dir.path() / "rsa.pem", kRsaPem)};
    auto rsa = load_published_keys(c);
    ASSERT_FALSE(rsa.ok());
    EXPECT_TRUE(rsa.error().message.starts_with("BEACON_SIGNING_PUBLIC_KEYS")) << rsa.error().message;
    EXPECT_NE(rsa.error().message.find("rsa.pem"), std::string::npos) << rsa.error().message;
    EXPECT_EQ(rsa.error().message.find("MIIBVQ"), std::string::npos) << rsa.error().message;
}

}  // namespace
}  // namespace beacon::app
