#pragma once

// The contract of releases::ArtifactStore, run against every adapter.
//
// On adapter_contract.hpp's harness, each adapter contributes one
// ArtifactStoreAdapter (see artifact_store_contract.cpp): the local file
// store always, S3 when
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

#include "contract/adapter_contract.hpp"
#include "releases/artifact_store.hpp"

namespace beacon::contract {

template <>
struct AdapterTraits<releases::ArtifactStore> {
    // What to pass as public_base_url to signed_url().
    std::string public_base_url;
    // Whether the link makes the server send Content-Disposition with the
    // download file name (S3 carries it in the URL; Beacon's /files route
    // takes it from the artifact record, which this suite does not have).
    bool link_carries_file_name = false;
};

using ArtifactStoreAdapter = StoreAdapter<releases::ArtifactStore>;

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

// The suite's fixture: the harness's, plus a scratch directory per test.
class ArtifactStoreContract : public StoreContract<releases::ArtifactStore> {
protected:
    void SetUp() override;
    void TearDown() override;

    const std::string& public_base_url() { return instance().public_base_url; }
    const std::filesystem::path& scratch() const { return scratch_; }

private:
    std::filesystem::path scratch_;
};

}  // namespace beacon::contract
