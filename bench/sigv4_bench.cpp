// SigV4 work on the S3 backend: sign_request for the PUT of an uploaded APK
// (what S3ArtifactStore::put_single sends: content-type plus the payload hash),
// and presign_url for a download link (what every update check that offers a
// stored artifact signs, with the response-content-disposition that names the
// saved file). Both derive the signing key (four HMACs) and hash the canonical
// request on every call, as the server does.

#include <benchmark/benchmark.h>

#include <string>

#include "backends/s3/sigv4.hpp"
#include "core/clock.hpp"
#include "releases/artifact_key.hpp"

namespace {

using beacon::backends::s3::AwsCredentials;
using beacon::backends::s3::SigV4Scope;

// The example credentials of AWS's SigV4 documentation.
const AwsCredentials kCredentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const SigV4Scope kScope{"us-east-1", "s3"};
const beacon::TimePoint kNow = beacon::from_epoch_ms(1'795'593'600'123);  // 2026-11-25T08:00:00.123Z

const std::string kSha256 = "3f2a8e6c1b9d4f7a0e5c2b8d6a4f1e9c7b3d5a2f8e6c4b1d9a7f3e5c2b8d6a4f";

void BM_SignRequestPut(benchmark::State& state) {
    beacon::backends::s3::SigV4Request put;
    put.method = "PUT";
    put.host = "beacon-artifacts.s3.us-east-1.amazonaws.com";
    put.path = "/android/" + kSha256 + ".apk";
    put.headers = {{"content-type", "application/vnd.android.package-archive"}};
    put.payload_sha256 = kSha256;
    for (auto _ : state) {
        auto signed_request = beacon::backends::s3::sign_request(put, kCredentials, kScope, kNow);
        benchmark::DoNotOptimize(signed_request);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignRequestPut);

void BM_PresignUrl(benchmark::State& state) {
    beacon::backends::s3::PresignRequest get;
    get.host = "beacon-artifacts.s3.us-east-1.amazonaws.com";
    get.path = "/android/" + kSha256 + ".apk";
    get.query = {
        {"response-content-disposition", beacon::releases::attachment_content_disposition("beacon-shop-2.104.17.apk")}};
    get.expires_seconds = 24 * 3600;  // BEACON_PRESIGN_TTL's default
    for (auto _ : state) {
        std::string url = beacon::backends::s3::presign_url(get, kCredentials, kScope, kNow);
        benchmark::DoNotOptimize(url);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PresignUrl);

}  // namespace
