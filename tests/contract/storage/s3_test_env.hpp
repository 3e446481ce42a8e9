#pragma once

// The S3 test peer, as tools/test-services/s3.sh describes it in the environment.

#include <optional>
#include <string>

#include "backends/s3/s3_artifact_store.hpp"
#include "core/clock.hpp"

namespace beacon::contract {

// Settings for the store under test from BEACON_TEST_S3_ENDPOINT (the
// verifying proxy) and BEACON_TEST_S3_BUCKET / _REGION / _ACCESS_KEY /
// _SECRET_KEY (defaults: beacon-test, us-east-1, S3RVER, S3RVER). nullopt when
// BEACON_TEST_S3_ENDPOINT is unset or empty.
std::optional<backends::s3::S3StoreSettings> s3_settings_from_env();

// BEACON_TEST_S3_DIRECT_ENDPOINT: s3rver without the proxy; may be empty.
std::string s3_direct_endpoint_from_env();

// Requests to a real server are signed with the real time.
const Clock& s3_test_clock();

// `bytes` random bytes as lower-case hex: unique names per test.
std::string random_hex(std::size_t bytes);

}  // namespace beacon::contract
