#pragma once

// The contract of releases::ArtifactStore, run against every adapter.
//
// Each adapter contributes one ArtifactStoreAdapter (see
// artifact_store_contract.cpp): the local file store always, S3 when
// BEACON_TEST_S3_ENDPOINT names a server (tools/run-storage-tests.sh starts
// s3rver behind a SigV4-verifying proxy and sets it). The suite only uses the
// port, plus plain HTTP GETs of the signed URLs it hands out, so both adapters
// are judged the same way: the bytes that come back, and the status of a
// tampered or expired link.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "releases/artifact_store.hpp"

namespace beacon::contract {

// One store for one test, with whatever it needs around it.
class ArtifactStoreHarness {
public:
    virtual ~ArtifactStoreHarness() = default;
    virtual releases::ArtifactStore& store() = 0;
    // What to pass as public_base_url to signed_url().
    virtual std::string public_base_url() const = 0;
};

struct ArtifactStoreAdapter {
    // Test-name suffix, [A-Za-z0-9_] only ("Local", "S3").
    std::string name;
    // A fresh, empty store. nullptr when the adapter's service is not
    // configured here: the test is then skipped.
    std::function<std::unique_ptr<ArtifactStoreHarness>()> make;
    // Whether the link makes the server send Content-Disposition with the
    // download file name (S3 carries it in the URL; Beacon's /files route
    // takes it from the artifact record, which this suite does not have).
    bool link_carries_file_name = false;
};

inline void PrintTo(const ArtifactStoreAdapter& adapter, std::ostream* os) {
    *os << adapter.name;
}

inline std::string artifact_adapter_name(const ::testing::TestParamInfo<ArtifactStoreAdapter>& info) {
    return info.param.name;
}

// A file of pseudo-random bytes and what a store should give back for it.
struct TestFile {
    std::filesystem::path path;
    std::uint64_t size = 0;
    std::string sha256;  // hex
    // "android/<sha256>.apk": content-addressed, as the upload route makes it.
    std::string key;
};

// Writes `size` bytes derived from `seed` into `dir`, hashing as it goes
// (memory stays small whatever the size).
TestFile make_test_file(const std::filesystem::path& dir, std::uint64_t size, std::uint32_t seed);

// A plain HTTP request to a signed URL (no credentials), body hashed as it streams in.
struct FetchResult {
    long status = 0;  // 0: transport failure, see error
    std::string error;
    std::uint64_t size = 0;
    std::string sha256;      // of the body
    std::string body_start;  // the first bytes, for failure messages
    std::optional<std::string> content_disposition;
};
FetchResult fetch(const std::string& url, std::string_view method = "GET");

class ArtifactStoreContract : public ::testing::TestWithParam<ArtifactStoreAdapter> {
protected:
    void SetUp() override;
    void TearDown() override;

    releases::ArtifactStore& store() { return harness_->store(); }
    std::string public_base_url() const { return harness_->public_base_url(); }
    const std::filesystem::path& scratch() const { return scratch_; }

private:
    std::unique_ptr<ArtifactStoreHarness> harness_;
    std::filesystem::path scratch_;
};

}  // namespace beacon::contract
