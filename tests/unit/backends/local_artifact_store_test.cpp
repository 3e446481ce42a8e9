// What only the local file store promises, beyond the shared contract:
// the link signature format, paths under the root, durable layout.

#include "backends/localfs/local_artifact_store.hpp"

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "releases/sha256_stream.hpp"
#include "support/temp_dir.hpp"

namespace beacon::backends::localfs {
namespace {

using namespace std::chrono_literals;
namespace fs = std::filesystem;

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kKey = "android/" + kHex + ".apk";
const TimePoint kNow = TimePoint{std::chrono::milliseconds{1'790'000'000'250}};  // 2026-09-21T...

struct Link {
    std::string key;
    std::string expires;
    std::string sig;
};

// Splits "<base>/files/<key>?expires=<E>&sig=<S>".
Link parse_link(const std::string& url) {
    Link link;
    const std::size_t files = url.find("/files/");
    const std::size_t q = url.find('?');
    const std::size_t amp = url.find("&sig=");
    EXPECT_NE(files, std::string::npos);
    EXPECT_NE(q, std::string::npos);
    EXPECT_NE(amp, std::string::npos);
    link.key = url.substr(files + 7, q - files - 7);
    EXPECT_EQ(url.substr(q, 9), "?expires=");
    link.expires = url.substr(q + 9, amp - q - 9);
    link.sig = url.substr(amp + 5);
    return link;
}

class LocalStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto opened = LocalArtifactStore::open(dir_.path() / "artifacts", "s3cret");
        ASSERT_TRUE(opened.ok()) << opened.error().message;
        store_ = std::move(*opened);
    }

    test::TempDir dir_;
    std::unique_ptr<LocalArtifactStore> store_;
};

// Without a file name: format 1, as before names were carried.
TEST_F(LocalStoreTest, LinkHasTheDocumentedShapeAndCanonicalString) {
    auto url = store_->signed_url(kKey, "", 1h, kNow, "https://beacon.example.com/");
    ASSERT_TRUE(url.ok()) << url.error().message;
    const std::int64_t expires = 1'790'000'000 + 3600;
    const std::string expected_sig =
        releases::hmac_sha256_hex("s3cret", "beacon-files-v1\nGET\n" + kKey + "\n" + std::to_string(expires));
    EXPECT_EQ(
        url->url,
        "https://beacon.example.com/files/" + kKey + "?expires=" + std::to_string(expires) + "&sig=" + expected_sig);
    EXPECT_EQ(url->expires_at, TimePoint{std::chrono::seconds{expires}});
    EXPECT_EQ(LocalArtifactStore::string_to_sign(kKey, expires),
              "beacon-files-v1\nGET\n" + kKey + "\n" + std::to_string(expires));
}

// With a file name: format 2 carries it (percent-encoded) and signs it, so
// /files can name the download without asking the database.
TEST_F(LocalStoreTest, LinkWithANameCarriesAndSignsIt) {
    const std::string name = "Beacon App 8 \xc3\xa9+&.apk";
    auto url = store_->signed_url(kKey, name, 1h, kNow, "https://beacon.example.com");
    ASSERT_TRUE(url.ok()) << url.error().message;
    const std::int64_t expires = 1'790'000'000 + 3600;
    const std::string to_sign = "beacon-files-v2\nGET\n" + kKey + "\n" + std::to_string(expires) + "\n" + name;
    EXPECT_EQ(LocalArtifactStore::string_to_sign(kKey, expires, name), to_sign);
    const std::string sig = releases::hmac_sha256_hex("s3cret", to_sign);
    EXPECT_EQ(url->url,
              "https://beacon.example.com/files/" + kKey + "?expires=" + std::to_string(expires) +
                  "&name=Beacon%20App%208%20%C3%A9%2B%26.apk&sig=" + sig);
    const std::string e = std::to_string(expires);
    EXPECT_EQ(store_->verify_signature(kKey, e, name, sig, kNow), SignatureCheck::Valid);
    // The name cannot be changed, added or dropped.
    EXPECT_EQ(store_->verify_signature(kKey, e, "evil.exe", sig, kNow), SignatureCheck::Invalid);
    EXPECT_EQ(store_->verify_signature(kKey, e, sig, kNow), SignatureCheck::Invalid);
    auto plain = store_->signed_url(kKey, "", 1h, kNow, "");
    ASSERT_TRUE(plain.ok());
    const Link link = parse_link(plain->url);
    EXPECT_EQ(store_->verify_signature(kKey, link.expires, "x.apk", link.sig, kNow), SignatureCheck::Invalid);
}

TEST_F(LocalStoreTest, EmptyBaseGivesRootRelativeLink) {
    auto url = store_->signed_url(kKey, "", 1h, kNow, "");
    ASSERT_TRUE(url.ok());
    EXPECT_TRUE(url->url.starts_with("/files/" + kKey + "?expires=")) << url->url;
}

TEST_F(LocalStoreTest, VerifyAcceptsAGenuineLinkUntilItExpires) {
    auto url = store_->signed_url(kKey, "", 10min, kNow, "http://x");
    ASSERT_TRUE(url.ok());
    const Link link = parse_link(url->url);
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, link.sig, kNow), SignatureCheck::Valid);
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, link.sig, url->expires_at - 1ms), SignatureCheck::Valid);
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, link.sig, url->expires_at), SignatureCheck::Expired);
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, link.sig, url->expires_at + 24h),
              SignatureCheck::Expired);
}

TEST_F(LocalStoreTest, VerifyRefusesTampering) {
    auto url = store_->signed_url(kKey, "", 10min, kNow, "http://x");
    ASSERT_TRUE(url.ok());
    const Link link = parse_link(url->url);

    // Another key, even a valid one.
    const std::string other = "android/" + std::string(64, 'f') + ".apk";
    EXPECT_EQ(store_->verify_signature(other, link.expires, link.sig, kNow), SignatureCheck::Invalid);
    // A later expiry.
    const std::string later = std::to_string(std::stoll(link.expires) + 86400);
    EXPECT_EQ(store_->verify_signature(link.key, later, link.sig, kNow), SignatureCheck::Invalid);
    // One flipped hex digit, a truncated or upper-cased signature, none at all.
    std::string flipped = link.sig;
    flipped[5] = flipped[5] == 'a' ? 'b' : 'a';
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, flipped, kNow), SignatureCheck::Invalid);
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, link.sig.substr(0, 63), kNow), SignatureCheck::Invalid);
    std::string upper = link.sig;
    for (char& c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (upper != link.sig) {
        EXPECT_EQ(store_->verify_signature(link.key, link.expires, upper, kNow), SignatureCheck::Invalid);
    }
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, "", kNow), SignatureCheck::Invalid);
    // Expired and tampered is Invalid, not Expired: only genuine links learn they expired.
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, flipped, kNow + 24h), SignatureCheck::Invalid);
}

TEST_F(LocalStoreTest, VerifyRefusesMalformedExpiry) {
    auto url = store_->signed_url(kKey, "", 10min, kNow, "http://x");
    ASSERT_TRUE(url.ok());
    const Link link = parse_link(url->url);
    for (const std::string& expires : {"0" + link.expires,
                                       "+" + link.expires,
                                       " " + link.expires,
                                       link.expires + " ",
                                       link.expires + "0",
                                       std::string(""),
                                       std::string("-1"),
                                       std::string("99999999999999999999")}) {
        EXPECT_EQ(store_->verify_signature(link.key, expires, link.sig, kNow), SignatureCheck::Invalid) << expires;
    }
}

TEST_F(LocalStoreTest, VerifyRefusesInvalidKeys) {
    const std::string sig = releases::hmac_sha256_hex("s3cret", LocalArtifactStore::string_to_sign("../x", 2000000000));
    EXPECT_EQ(store_->verify_signature("../x", "2000000000", sig, kNow), SignatureCheck::Invalid);
}

TEST_F(LocalStoreTest, AnotherSecretDoesNotVerify) {
    auto other = LocalArtifactStore::open(dir_.path() / "other", "different");
    ASSERT_TRUE(other.ok());
    auto url = (*other)->signed_url(kKey, "", 10min, kNow, "http://x");
    ASSERT_TRUE(url.ok());
    const Link link = parse_link(url->url);
    EXPECT_EQ(store_->verify_signature(link.key, link.expires, link.sig, kNow), SignatureCheck::Invalid);
}

// A secret rotation: links signed with the previous secret verify (and
// expire) while it is given; the new secret signs; a third one never verifies.
TEST_F(LocalStoreTest, ThePreviousSecretStillVerifiesItsLinks) {
    auto rotated = LocalArtifactStore::open(dir_.path() / "rotated", "new-s3cret", "s3cret");
    auto stranger = LocalArtifactStore::open(dir_.path() / "stranger", "third");
    ASSERT_TRUE(rotated.ok() && stranger.ok());
    for (LocalArtifactStore* signer : {store_.get(), rotated->get()}) {
        auto url = signer->signed_url(kKey, "", 10min, kNow, "http://x");
        ASSERT_TRUE(url.ok());
        const Link link = parse_link(url->url);
        EXPECT_EQ((*rotated)->verify_signature(link.key, link.expires, link.sig, kNow), SignatureCheck::Valid);
        EXPECT_EQ((*rotated)->verify_signature(link.key, link.expires, link.sig, url->expires_at),
                  SignatureCheck::Expired);
    }
    auto url = (*stranger)->signed_url(kKey, "", 10min, kNow, "http://x");
    ASSERT_TRUE(url.ok());
    const Link link = parse_link(url->url);
    EXPECT_EQ((*rotated)->verify_signature(link.key, link.expires, link.sig, kNow), SignatureCheck::Invalid);
}

TEST_F(LocalStoreTest, PathsStayUnderTheRoot) {
    auto path = store_->path_for(kKey);
    ASSERT_TRUE(path.ok());
    EXPECT_EQ(*path, store_->root() / "android" / (kHex + ".apk"));
    EXPECT_TRUE(store_->root().is_absolute());
    for (const std::string key : {"../../etc/passwd", "/etc/passwd", "android/../../../etc/passwd", ""}) {
        auto bad = store_->path_for(key);
        ASSERT_FALSE(bad.ok()) << key;
        EXPECT_EQ(bad.error().code, ErrorCode::InvalidArgument);
    }
}

TEST_F(LocalStoreTest, PutWritesAPublicFileAndLeavesNoTempFiles) {
    const fs::path source = dir_.path() / "upload.bin";
    {
        std::ofstream out(source, std::ios::binary);
        out << "PK\x03\x04 some bytes";
    }
    ASSERT_TRUE(store_->put_file(kKey, source, "application/vnd.android.package-archive").ok());
    const fs::path stored = store_->root() / kKey;
    std::ifstream in(stored, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "PK\x03\x04 some bytes");
    struct stat st {};
    ASSERT_EQ(::stat(stored.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0644u);
    EXPECT_TRUE(fs::is_empty(store_->root() / ".incoming"));
    EXPECT_TRUE(fs::exists(source));
}

TEST_F(LocalStoreTest, PutRefusesADirectoryAsSource) {
    auto put = store_->put_file(kKey, dir_.path(), "application/octet-stream");
    ASSERT_FALSE(put.ok());
    EXPECT_EQ(put.error().code, ErrorCode::InvalidArgument);
}

TEST_F(LocalStoreTest, OpenSweepsOnlyStaleTempFiles) {
    const fs::path incoming = store_->root() / ".incoming";
    std::ofstream(incoming / "old.XXXXXX") << "x";
    std::ofstream(incoming / "young.XXXXXX") << "y";
    fs::last_write_time(incoming / "old.XXXXXX", fs::file_time_type::clock::now() - 2h);
    auto reopened = LocalArtifactStore::open(store_->root(), "s3cret");
    ASSERT_TRUE(reopened.ok());
    EXPECT_FALSE(fs::exists(incoming / "old.XXXXXX"));
    EXPECT_TRUE(fs::exists(incoming / "young.XXXXXX"));
}

TEST_F(LocalStoreTest, OpenRefusesAnEmptySecret) {
    auto opened = LocalArtifactStore::open(dir_.path() / "x", "");
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::InvalidArgument);
}

TEST_F(LocalStoreTest, PingAnswersWhileTheRootIsThereAndNotAfter) {
    EXPECT_TRUE(store_->ping().ok());
    fs::remove_all(store_->root());
    auto ping = store_->ping();
    ASSERT_FALSE(ping.ok());
    EXPECT_EQ(ping.error().code, ErrorCode::Unavailable);
}

TEST_F(LocalStoreTest, DiskErrorsAreUnavailable) {
    fs::remove_all(store_->root());
    std::ofstream(store_->root()) << "a file where the root should be";
    const fs::path source = dir_.path() / "upload.bin";
    std::ofstream(source) << "bytes";
    auto put = store_->put_file(kKey, source, "application/octet-stream");
    ASSERT_FALSE(put.ok());
    EXPECT_EQ(put.error().code, ErrorCode::Unavailable) << put.error().message;
}

}  // namespace
}  // namespace beacon::backends::localfs
