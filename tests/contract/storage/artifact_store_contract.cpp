#include "contract/storage/artifact_store_contract.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

#include <curl/curl.h>

#include "backends/localfs/local_artifact_store.hpp"
#include "backends/s3/s3_artifact_store.hpp"
#include "contract/storage/local_files_server.hpp"
#include "contract/storage/s3_test_env.hpp"
#include "core/clock.hpp"
#include "releases/sha256_stream.hpp"
#include "support/temp_dir.hpp"

// Result<T> must be ok; otherwise the test stops with the error's message.
#define ASSERT_OK(expr)                                                           \
    do {                                                                          \
        auto&& assert_ok_result_ = (expr);                                        \
        ASSERT_TRUE(assert_ok_result_.ok()) << assert_ok_result_.error().message; \
    } while (false)

namespace beacon::contract {

namespace {

using namespace std::chrono_literals;

TimePoint real_now() {
    return SystemClock().now();
}

// ---- adapters ----

// The local store and a /files server for its links, kept together.
struct LocalFixture {
    test::TempDir dir;
    std::unique_ptr<backends::localfs::LocalArtifactStore> store;
    std::unique_ptr<LocalFilesServer> server;
};

StoreInstance<releases::ArtifactStore> make_local() {
    StoreInstance<releases::ArtifactStore> instance;
    auto fixture = std::make_shared<LocalFixture>();
    auto opened = backends::localfs::LocalArtifactStore::open(fixture->dir.path() / "artifacts", "contract-secret");
    if (!opened) {
        ADD_FAILURE() << opened.error().message;
        return instance;
    }
    fixture->store = std::move(*opened);
    fixture->server = std::make_unique<LocalFilesServer>(*fixture->store);
    instance.port = fixture->store.get();
    instance.public_base_url = fixture->server->base_url();
    instance.link_carries_file_name = true;
    instance.owner = std::move(fixture);
    return instance;
}

StoreInstance<releases::ArtifactStore> make_s3() {
    StoreInstance<releases::ArtifactStore> instance;
    auto settings = s3_settings_from_env();
    if (!settings) {
        return instance;
    }
    // A fresh prefix per test: tests never see each other's objects.
    settings->prefix = "contract-" + random_hex(8);
    auto store = backends::s3::S3ArtifactStore::open(std::move(*settings), s3_test_clock());
    if (!store) {
        ADD_FAILURE() << "opening the S3 store at " << std::getenv("BEACON_TEST_S3_ENDPOINT") << ": "
                      << store.error().message;
        return instance;
    }
    instance = owning_instance<releases::ArtifactStore>(std::move(*store));
    instance.public_base_url = "http://unused.invalid";
    instance.link_carries_file_name = true;
    return instance;
}

// ---- HTTP fetch ----

struct FetchState {
    releases::Sha256Stream hash;
    FetchResult* result;
};

std::size_t on_body(char* data, std::size_t size, std::size_t nmemb, void* userdata) {
    auto* state = static_cast<FetchState*>(userdata);
    const std::size_t n = size * nmemb;
    state->hash.update(std::string_view(data, n));
    if (state->result->body_start.size() < 512) {
        state->result->body_start.append(data, std::min<std::size_t>(n, 512 - state->result->body_start.size()));
    }
    state->result->size += n;
    return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t nitems, void* userdata) {
    auto* result = static_cast<FetchResult*>(userdata);
    std::string_view line(data, size * nitems);
    constexpr std::string_view kName = "content-disposition:";
    if (line.size() > kName.size()) {
        std::string name(line.substr(0, kName.size()));
        std::transform(
            name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name == kName) {
            std::string_view value = line.substr(kName.size());
            while (!value.empty() && (value.front() == ' ')) {
                value.remove_prefix(1);
            }
            while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) {
                value.remove_suffix(1);
            }
            result->content_disposition = std::string(value);
        }
    }
    return size * nitems;
}

}  // namespace

TestFile make_test_file(const std::filesystem::path& dir, std::uint64_t size, std::uint32_t seed) {
    TestFile file;
    file.path = dir / ("input-" + std::to_string(seed) + ".bin");
    file.size = size;
    std::ofstream out(file.path, std::ios::binary | std::ios::trunc);
    releases::Sha256Stream hash;
    std::vector<char> chunk(1 << 20);
    std::uint64_t state = 0x9E3779B97F4A7C15ull ^ seed;  // xorshift64*: fast and deterministic
    std::uint64_t left = size;
    while (left > 0) {
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, chunk.size()));
        for (std::size_t i = 0; i < n; ++i) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            chunk[i] = static_cast<char>((state * 0x2545F4914F6CDD1Dull) >> 56);
        }
        out.write(chunk.data(), static_cast<std::streamsize>(n));
        hash.update(std::string_view(chunk.data(), n));
        left -= n;
    }
    out.close();
    EXPECT_TRUE(out.good()) << "writing " << file.path;
    file.sha256 = hash.hex_digest();
    file.key = "android/" + file.sha256 + ".apk";
    return file;
}

FetchResult fetch(const std::string& url, std::string_view method) {
    FetchResult result;
    FetchState state{releases::Sha256Stream(), &result};
    CURL* h = curl_easy_init();
    if (h == nullptr) {
        result.error = "curl_easy_init failed";
        return result;
    }
    char error_buffer[CURL_ERROR_SIZE] = {};
    curl_easy_setopt(h, CURLOPT_URL, url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 120000L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &state);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &result);
    if (method == "HEAD") {
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    }
    const CURLcode rc = curl_easy_perform(h);
    if (rc != CURLE_OK) {
        result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    } else {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &result.status);
    }
    curl_easy_cleanup(h);
    result.sha256 = state.hash.hex_digest();
    return result;
}

void ArtifactStoreContract::SetUp() {
    StoreContract::SetUp();
    if (IsSkipped() || HasFatalFailure()) {
        return;
    }
    scratch_ = std::filesystem::temp_directory_path() / ("beacon-storage-" + random_hex(8));
    std::filesystem::create_directories(scratch_);
}

void ArtifactStoreContract::TearDown() {
    StoreContract::TearDown();
    if (!scratch_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(scratch_, ec);
    }
}

namespace {

std::string describe(const FetchResult& r) {
    return "status " + std::to_string(r.status) + (r.error.empty() ? "" : " (" + r.error + ")") + ", " +
           std::to_string(r.size) + " bytes: " + r.body_start.substr(0, 300);
}

// Replaces the last character of `url` (the end of the signature in both
// link formats) with a different hex digit.
std::string flip_last_hex(std::string url) {
    url.back() = url.back() == '0' ? '1' : '0';
    return url;
}

}  // namespace

TEST_P(ArtifactStoreContract, PutMakesKeyExistAndRemoveDeletesIt) {
    const TestFile file = make_test_file(scratch(), 100 * 1024, 1);
    auto before = store().exists(file.key);
    ASSERT_OK(before);
    EXPECT_FALSE(*before);

    ASSERT_OK(store().put_file(file.key, file.path, "application/vnd.android.package-archive"));
    auto after = store().exists(file.key);
    ASSERT_OK(after);
    EXPECT_TRUE(*after);

    ASSERT_OK(store().remove(file.key));
    auto removed = store().exists(file.key);
    ASSERT_OK(removed);
    EXPECT_FALSE(*removed);
    // Removing an absent key is fine.
    ASSERT_OK(store().remove(file.key));
}

TEST_P(ArtifactStoreContract, PutOfAPresentKeyIsANoOp) {
    const TestFile file = make_test_file(scratch(), 64 * 1024, 2);
    ASSERT_OK(store().put_file(file.key, file.path, "application/vnd.android.package-archive"));
    ASSERT_OK(store().put_file(file.key, file.path, "application/vnd.android.package-archive"));
    // The caller keeps its file.
    EXPECT_TRUE(std::filesystem::exists(file.path));

    auto url = store().signed_url(file.key, "app.apk", 1h, real_now(), public_base_url());
    ASSERT_OK(url);
    const FetchResult got = fetch(url->url);
    ASSERT_EQ(got.status, 200) << describe(got);
    EXPECT_EQ(got.size, file.size);
    EXPECT_EQ(got.sha256, file.sha256);
}

TEST_P(ArtifactStoreContract, EmptyFileRoundTrips) {
    const TestFile file = make_test_file(scratch(), 0, 3);
    ASSERT_OK(store().put_file(file.key, file.path, "application/octet-stream"));
    auto present = store().exists(file.key);
    ASSERT_OK(present);
    EXPECT_TRUE(*present);
    auto url = store().signed_url(file.key, "", 1h, real_now(), public_base_url());
    ASSERT_OK(url);
    const FetchResult got = fetch(url->url);
    ASSERT_EQ(got.status, 200) << describe(got);
    EXPECT_EQ(got.size, 0u);
}

// 40 MiB: above the S3 adapter's 16 MiB single-PUT limit, so three parts.
TEST_P(ArtifactStoreContract, LargeFileRoundTripsThroughSignedUrl) {
    const TestFile file = make_test_file(scratch(), std::uint64_t{40} << 20, 4);
    ASSERT_OK(store().put_file(file.key, file.path, "application/vnd.android.package-archive"));

    const TimePoint now = real_now();
    auto url = store().signed_url(file.key, "app-release.apk", 1h, now, public_base_url());
    ASSERT_OK(url);
    EXPECT_EQ(url->expires_at, std::chrono::floor<std::chrono::seconds>(now) + 1h);
    const FetchResult got = fetch(url->url);
    ASSERT_EQ(got.status, 200) << describe(got);
    EXPECT_EQ(got.size, file.size);
    EXPECT_EQ(got.sha256, file.sha256);
    if (instance().link_carries_file_name) {
        ASSERT_TRUE(got.content_disposition.has_value());
        EXPECT_NE(got.content_disposition->find("filename=\"app-release.apk\""), std::string::npos)
            << *got.content_disposition;
    }
}

TEST_P(ArtifactStoreContract, ExpiredLinkIsRefused) {
    const TestFile file = make_test_file(scratch(), 10 * 1024, 5);
    ASSERT_OK(store().put_file(file.key, file.path, "application/vnd.android.package-archive"));
    // Signed two hours ago for one hour.
    auto url = store().signed_url(file.key, "app.apk", 1h, real_now() - 2h, public_base_url());
    ASSERT_OK(url);
    EXPECT_LT(url->expires_at, real_now());
    const FetchResult got = fetch(url->url);
    EXPECT_EQ(got.status, 403) << describe(got);
}

TEST_P(ArtifactStoreContract, TamperedLinkIsRefused) {
    const TestFile a = make_test_file(scratch(), 10 * 1024, 6);
    const TestFile b = make_test_file(scratch(), 10 * 1024, 7);
    ASSERT_OK(store().put_file(a.key, a.path, "application/vnd.android.package-archive"));
    ASSERT_OK(store().put_file(b.key, b.path, "application/vnd.android.package-archive"));
    auto url = store().signed_url(a.key, "a.apk", 1h, real_now(), public_base_url());
    ASSERT_OK(url);
    ASSERT_EQ(fetch(url->url).status, 200);

    const FetchResult bad_sig = fetch(flip_last_hex(url->url));
    EXPECT_EQ(bad_sig.status, 403) << describe(bad_sig);

    // A's signature does not open B.
    std::string other = url->url;
    const std::size_t at = other.find(a.sha256);
    ASSERT_NE(at, std::string::npos);
    other.replace(at, a.sha256.size(), b.sha256);
    const FetchResult swapped = fetch(other);
    EXPECT_EQ(swapped.status, 403) << describe(swapped);
}

TEST_P(ArtifactStoreContract, ConcurrentPutsOfOneKeyLeaveOneCompleteObject) {
    const TestFile file = make_test_file(scratch(), 1 << 20, 8);
    std::vector<std::thread> threads;
    std::vector<std::string> errors(4);
    for (std::size_t i = 0; i < errors.size(); ++i) {
        threads.emplace_back([&, i] {
            auto put = store().put_file(file.key, file.path, "application/vnd.android.package-archive");
            if (!put) {
                errors[i] = put.error().message;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    for (const auto& e : errors) {
        EXPECT_EQ(e, "");
    }
    auto url = store().signed_url(file.key, "", 1h, real_now(), public_base_url());
    ASSERT_OK(url);
    const FetchResult got = fetch(url->url);
    ASSERT_EQ(got.status, 200) << describe(got);
    EXPECT_EQ(got.sha256, file.sha256);
}

TEST_P(ArtifactStoreContract, RefusesInvalidKeysBeforeTouchingStorage) {
    const TestFile file = make_test_file(scratch(), 1024, 9);
    for (const std::string& key :
         std::vector<std::string>{"../" + file.key,
                                  "android/../../etc/passwd",
                                  "/" + file.key,
                                  "android/" + std::string(64, 'A') + ".apk",
                                  "android/" + file.sha256 + ".exe",
                                  std::string("android/\0", 9) + file.sha256.substr(1) + ".apk",
                                  std::string()}) {
        SCOPED_TRACE(key);
        auto put = store().put_file(key, file.path, "application/octet-stream");
        ASSERT_FALSE(put.ok());
        EXPECT_EQ(put.error().code, ErrorCode::InvalidArgument);
        auto present = store().exists(key);
        ASSERT_FALSE(present.ok());
        EXPECT_EQ(present.error().code, ErrorCode::InvalidArgument);
        auto removed = store().remove(key);
        ASSERT_FALSE(removed.ok());
        EXPECT_EQ(removed.error().code, ErrorCode::InvalidArgument);
        auto url = store().signed_url(key, "x.apk", 1h, real_now(), public_base_url());
        ASSERT_FALSE(url.ok());
        EXPECT_EQ(url.error().code, ErrorCode::InvalidArgument);
    }
}

TEST_P(ArtifactStoreContract, MissingSourceFileIsNotFoundAndStoresNothing) {
    const std::string key = "ios/" + std::string(64, 'a') + ".ipa";
    auto put = store().put_file(key, scratch() / "no-such-file.ipa", "application/octet-stream");
    ASSERT_FALSE(put.ok());
    EXPECT_EQ(put.error().code, ErrorCode::NotFound) << put.error().message;
    auto present = store().exists(key);
    ASSERT_OK(present);
    EXPECT_FALSE(*present);
}

TEST_P(ArtifactStoreContract, LinkLifetimeIsWhatWasAskedUpToTheBackendLimit) {
    const std::string key = "other/" + std::string(64, 'b') + ".zip";
    const TimePoint now = TimePoint{std::chrono::milliseconds{1'790'000'000'500}};
    auto url = store().signed_url(key, "x.zip", 15min, now, public_base_url());
    ASSERT_OK(url);
    EXPECT_EQ(url->expires_at, TimePoint{std::chrono::seconds{1'790'000'000}} + 15min);

    // A month is more than S3 allows (7 days); whatever is granted is reported.
    auto month = store().signed_url(key, "x.zip", std::chrono::hours(24 * 30), now, public_base_url());
    ASSERT_OK(month);
    EXPECT_GT(month->expires_at, now + std::chrono::hours(24 * 6));
    EXPECT_LE(month->expires_at, now + std::chrono::hours(24 * 30));

    auto zero = store().signed_url(key, "x.zip", std::chrono::seconds{0}, now, public_base_url());
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error().code, ErrorCode::InvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(Adapters,
                         ArtifactStoreContract,
                         ::testing::Values(ArtifactStoreAdapter{"Local", make_local},
                                           ArtifactStoreAdapter{"S3", make_s3}),
                         store_adapter_name<releases::ArtifactStore>);

}  // namespace beacon::contract
