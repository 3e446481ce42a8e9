// What only the S3 store promises, beyond the shared contract: URL shapes,
// settings checks, failing fast when S3 is down (hermetic, always run), and
// the proof that the test peer's verifying proxy catches bad signatures that
// s3rver alone accepts (needs tools/run-storage-tests.sh).

#include "backends/s3/s3_artifact_store.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>

#include <gtest/gtest.h>

#include "backends/s3/sigv4.hpp"
#include "contract/storage/artifact_store_contract.hpp"
#include "contract/storage/s3_test_env.hpp"
#include "core/clock.hpp"
#include "releases/artifact_key.hpp"
#include "support/temp_dir.hpp"

namespace beacon::backends::s3 {
namespace {

using namespace std::chrono_literals;
using contract::fetch;

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kKey = "android/" + kHex + ".apk";
// 2013-05-24T00:00:00Z, the date of AWS's published SigV4 examples.
const TimePoint kAwsExampleTime = TimePoint{std::chrono::seconds{1369353600}};

S3StoreSettings example_settings() {
    S3StoreSettings s;
    s.endpoint = "http://127.0.0.1:9000";
    s.bucket = "artifacts";
    s.credentials = {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
    return s;
}

std::unique_ptr<S3ArtifactStore> offline_store(S3StoreSettings settings) {
    static const ManualClock clock(kAwsExampleTime);
    auto store = S3ArtifactStore::create_without_bucket_check(std::move(settings), clock);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(*store) : nullptr;
}

// A loopback socket in a given state, port picked by the kernel.
class LoopbackSocket {
public:
    // listen=false: bound then closed, so nothing answers on the port.
    // listen=true: listening, never accepting: connects succeed, nothing is ever answered.
    explicit LoopbackSocket(bool listen) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        addr.sin_port = 0;
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        if (listen) {
            EXPECT_EQ(::listen(fd_, 16), 0);
        } else {
            ::close(fd_);
            fd_ = -1;
        }
    }
    ~LoopbackSocket() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    int fd_ = -1;
    int port_ = 0;
};

// ---- URLs and settings (no network) ----

TEST(S3Store, CustomEndpointLinksArePathStylePresignedGets) {
    S3StoreSettings settings = example_settings();
    settings.prefix = "beacon/prod";
    auto store = offline_store(settings);
    ASSERT_TRUE(store);
    EXPECT_EQ(store->object_name(kKey), "beacon/prod/" + kKey);

    auto url = store->signed_url(kKey, "app release.apk", std::chrono::hours(24 * 30), kAwsExampleTime, "ignored");
    ASSERT_TRUE(url.ok()) << url.error().message;
    // Capped at S3's maximum of 7 days, and the cap is what is reported.
    EXPECT_EQ(url->expires_at, kAwsExampleTime + std::chrono::hours(24 * 7));
    EXPECT_TRUE(url->url.starts_with("http://127.0.0.1:9000/artifacts/beacon/prod/" + kKey + "?")) << url->url;
    EXPECT_NE(url->url.find("X-Amz-Expires=604800"), std::string::npos) << url->url;
    EXPECT_NE(url->url.find("X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"),
              std::string::npos)
        << url->url;
    EXPECT_NE(url->url.find("response-content-disposition=attachment%3B%20filename%3D%22app%20release.apk%22"),
              std::string::npos)
        << url->url;
    EXPECT_TRUE(std::regex_search(url->url, std::regex("&X-Amz-Signature=[0-9a-f]{64}$"))) << url->url;

    // Exactly what the signer (checked against AWS's published vectors) gives for the same request.
    PresignRequest request;
    request.scheme = "http";
    request.host = "127.0.0.1:9000";
    request.path = "/artifacts/beacon/prod/" + kKey;
    request.query = {{"response-content-disposition", releases::attachment_content_disposition("app release.apk")}};
    request.expires_seconds = 604800;
    EXPECT_EQ(url->url, presign_url(request, settings.credentials, {"us-east-1", "s3"}, kAwsExampleTime));
}

TEST(S3Store, LinksWithoutAFileNameHaveNoDisposition) {
    auto store = offline_store(example_settings());
    ASSERT_TRUE(store);
    auto url = store->signed_url(kKey, "", 1h, kAwsExampleTime, "");
    ASSERT_TRUE(url.ok());
    EXPECT_EQ(url->url.find("response-content-disposition"), std::string::npos);
    EXPECT_EQ(url->expires_at, kAwsExampleTime + 1h);
}

TEST(S3Store, AwsUsesVirtualHostedStyleUnlessTheBucketHasDots) {
    S3StoreSettings settings = example_settings();
    settings.endpoint = "";
    settings.region = "eu-west-1";
    settings.bucket = "my-bucket";
    auto vhost = offline_store(settings);
    ASSERT_TRUE(vhost);
    auto url = vhost->signed_url(kKey, "", 1h, kAwsExampleTime, "");
    ASSERT_TRUE(url.ok());
    EXPECT_TRUE(url->url.starts_with("https://my-bucket.s3.eu-west-1.amazonaws.com/" + kKey + "?")) << url->url;

    settings.bucket = "my.bucket";
    auto dotted = offline_store(settings);
    ASSERT_TRUE(dotted);
    url = dotted->signed_url(kKey, "", 1h, kAwsExampleTime, "");
    ASSERT_TRUE(url.ok());
    EXPECT_TRUE(url->url.starts_with("https://s3.eu-west-1.amazonaws.com/my.bucket/" + kKey + "?")) << url->url;

    settings.bucket = "my-bucket";
    settings.virtual_host = false;
    auto forced = offline_store(settings);
    ASSERT_TRUE(forced);
    url = forced->signed_url(kKey, "", 1h, kAwsExampleTime, "");
    ASSERT_TRUE(url.ok());
    EXPECT_TRUE(url->url.starts_with("https://s3.eu-west-1.amazonaws.com/my-bucket/" + kKey + "?")) << url->url;
}

TEST(S3Store, RefusesBadSettings) {
    const ManualClock clock(kAwsExampleTime);
    auto check = [&](S3StoreSettings s, std::string_view why) {
        auto store = S3ArtifactStore::create_without_bucket_check(std::move(s), clock);
        ASSERT_FALSE(store.ok()) << why;
        EXPECT_EQ(store.error().code, ErrorCode::InvalidArgument) << why;
    };
    S3StoreSettings s = example_settings();
    s.endpoint = "ftp://127.0.0.1:9000";
    check(s, "scheme");
    s = example_settings();
    s.endpoint = "http://127.0.0.1:9000/some/path";
    check(s, "endpoint path");
    s = example_settings();
    s.endpoint = "http://user:pw@127.0.0.1:9000";
    check(s, "credentials in endpoint");
    s = example_settings();
    s.bucket = "Upper_Case";
    check(s, "bucket");
    s = example_settings();
    s.prefix = "/lead";
    check(s, "prefix");
    s = example_settings();
    s.part_size = 1 << 20;
    check(s, "part size");
    s = example_settings();
    s.credentials.secret_access_key.clear();
    check(s, "secret");
}

// ---- a dead or stalled S3 never hangs a request ----

TEST(S3Store, NothingListeningIsUnavailableAtOnce) {
    const LoopbackSocket closed(/*listen=*/false);
    S3StoreSettings settings = example_settings();
    settings.endpoint = closed.endpoint();
    const auto start = std::chrono::steady_clock::now();
    auto opened = S3ArtifactStore::open(settings, contract::s3_test_clock());
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().code, ErrorCode::Unavailable) << opened.error().message;

    auto store = offline_store(settings);
    ASSERT_TRUE(store);
    auto present = store->exists(kKey);
    ASSERT_FALSE(present.ok());
    EXPECT_EQ(present.error().code, ErrorCode::Unavailable) << present.error().message;
    auto ping = store->ping();
    ASSERT_FALSE(ping.ok());
    EXPECT_EQ(ping.error().code, ErrorCode::Unavailable);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(S3Store, AServerThatNeverAnswersTimesOutAsUnavailable) {
    const LoopbackSocket silent(/*listen=*/true);
    S3StoreSettings settings = example_settings();
    settings.endpoint = silent.endpoint();
    settings.request_timeout = 500ms;
    auto store = offline_store(settings);
    ASSERT_TRUE(store);
    const auto start = std::chrono::steady_clock::now();
    auto present = store->exists(kKey);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(present.ok());
    EXPECT_EQ(present.error().code, ErrorCode::Unavailable) << present.error().message;
    EXPECT_LT(elapsed, 5s);

    test::TempDir dir;
    const contract::TestFile file = contract::make_test_file(dir.path(), 1024, 1);
    auto put = store->put_file(file.key, file.path, "application/octet-stream");
    ASSERT_FALSE(put.ok());
    EXPECT_EQ(put.error().code, ErrorCode::Unavailable) << put.error().message;
}

// ---- against the test peer: the verifying proxy catches what s3rver does not ----

class S3PeerTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto settings = contract::s3_settings_from_env();
        if (!settings) {
            GTEST_SKIP() << "BEACON_TEST_S3_ENDPOINT is not set (run tools/run-storage-tests.sh)";
        }
        settings_ = std::move(*settings);
        settings_.prefix = "peer-" + contract::random_hex(8);
    }

    // The proxy's counters, from GET /__proxy/stats.
    std::pair<long, long> proxy_stats() {
        const auto got = fetch(settings_.endpoint + "/__proxy/stats");
        EXPECT_EQ(got.status, 200) << got.body_start;
        std::smatch m;
        const std::string& body = got.body_start;
        if (!std::regex_search(body, m, std::regex(R"re("verified":(\d+),"rejected":(\d+))re"))) {
            ADD_FAILURE() << "unexpected stats body: " << body;
            return {-1, -1};
        }
        return {std::stol(m[1]), std::stol(m[2])};
    }

    S3StoreSettings settings_;
};

TEST_F(S3PeerTest, ProxyVerifiesEveryRequestBeaconMakes) {
    auto store = S3ArtifactStore::open(settings_, contract::s3_test_clock());
    ASSERT_TRUE(store.ok()) << store.error().message;
    const auto [verified_before, rejected_before] = proxy_stats();
    auto present = (*store)->exists(kKey);
    ASSERT_TRUE(present.ok()) << present.error().message;
    EXPECT_FALSE(*present);
    const auto [verified_after, rejected_after] = proxy_stats();
    EXPECT_EQ(verified_after, verified_before + 1);
    EXPECT_EQ(rejected_after, rejected_before);
}

TEST_F(S3PeerTest, ProxyRefusesAWrongSecretThatS3rverAloneAccepts) {
    S3StoreSettings wrong = settings_;
    wrong.credentials.secret_access_key = "not-the-secret";

    auto through_proxy = S3ArtifactStore::create_without_bucket_check(wrong, contract::s3_test_clock());
    ASSERT_TRUE(through_proxy.ok());
    auto refused_head = (*through_proxy)->exists(kKey);
    ASSERT_FALSE(refused_head.ok());
    EXPECT_EQ(refused_head.error().code, ErrorCode::Internal);
    EXPECT_NE(refused_head.error().message.find("HTTP 403"), std::string::npos) << refused_head.error().message;
    // A DELETE answer has a body, so S3's error code reaches the message.
    auto refused = (*through_proxy)->remove(kKey);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, ErrorCode::Internal);
    EXPECT_NE(refused.error().message.find("HTTP 403 SignatureDoesNotMatch"), std::string::npos)
        << refused.error().message;

    const std::string direct = contract::s3_direct_endpoint_from_env();
    if (direct.empty()) {
        GTEST_SKIP() << "BEACON_TEST_S3_DIRECT_ENDPOINT is not set: cannot show s3rver's own behaviour";
    }
    wrong.endpoint = direct;
    auto to_s3rver = S3ArtifactStore::create_without_bucket_check(wrong, contract::s3_test_clock());
    ASSERT_TRUE(to_s3rver.ok());
    auto accepted = (*to_s3rver)->exists(kKey);
    ASSERT_TRUE(accepted.ok()) << "s3rver itself now checks signatures? " << accepted.error().message;
    auto removed = (*to_s3rver)->remove(kKey);
    ASSERT_TRUE(removed.ok()) << "s3rver itself now checks signatures? " << removed.error().message;
}

TEST_F(S3PeerTest, ProxyRefusesATamperedLinkThatS3rverAloneServes) {
    auto store = S3ArtifactStore::open(settings_, contract::s3_test_clock());
    ASSERT_TRUE(store.ok()) << store.error().message;
    test::TempDir dir;
    const contract::TestFile file = contract::make_test_file(dir.path(), 4096, 11);
    ASSERT_TRUE((*store)->put_file(file.key, file.path, "application/octet-stream").ok());
    auto url = (*store)->signed_url(file.key, "a.apk", 1h, contract::s3_test_clock().now(), "");
    ASSERT_TRUE(url.ok());
    std::string tampered = url->url;
    tampered.back() = tampered.back() == '0' ? '1' : '0';

    const auto refused = fetch(tampered);
    EXPECT_EQ(refused.status, 403) << refused.body_start;
    EXPECT_NE(refused.body_start.find("SignatureDoesNotMatch"), std::string::npos) << refused.body_start;

    const std::string direct = contract::s3_direct_endpoint_from_env();
    if (direct.empty()) {
        GTEST_SKIP() << "BEACON_TEST_S3_DIRECT_ENDPOINT is not set: cannot show s3rver's own behaviour";
    }
    ASSERT_TRUE(tampered.starts_with(settings_.endpoint));
    const auto served = fetch(direct + tampered.substr(settings_.endpoint.size()));
    EXPECT_EQ(served.status, 200) << "s3rver itself now checks signatures? " << served.body_start;
    EXPECT_EQ(served.sha256, file.sha256);
}

TEST_F(S3PeerTest, OpenCreatesAMissingBucketAndToleratesAnExistingOne) {
    settings_.bucket = "beacon-new-" + contract::random_hex(4);
    auto store = S3ArtifactStore::open(settings_, contract::s3_test_clock());
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_TRUE((*store)->ping().ok());
    EXPECT_TRUE((*store)->ensure_bucket().ok());
    auto again = S3ArtifactStore::open(settings_, contract::s3_test_clock());
    ASSERT_TRUE(again.ok()) << again.error().message;

    settings_.bucket = "beacon-absent-" + contract::random_hex(4);
    settings_.create_bucket = false;
    auto absent = S3ArtifactStore::open(settings_, contract::s3_test_clock());
    ASSERT_FALSE(absent.ok());
    EXPECT_NE(absent.error().message.find("404"), std::string::npos) << absent.error().message;
}

}  // namespace
}  // namespace beacon::backends::s3
