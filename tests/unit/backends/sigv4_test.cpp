// The signatures below are the worked examples AWS publishes for S3 SigV4:
//   - header auth (GET Object with Range, PUT Object, GET Bucket lifecycle,
//     GET Bucket list objects): Amazon S3 API Reference, "Signature
//     Calculations for the Authorization Header: Transferring Payload in a
//     Single Chunk", https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
//   - presigned URL: "Authenticating Requests: Using Query Parameters",
//     https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
// All use access key AKIAIOSFODNN7EXAMPLE, the matching example secret,
// us-east-1, and 2013-05-24T00:00:00Z. They are copied verbatim; a signer that
// only agrees with itself proves nothing.
#include "backends/s3/sigv4.hpp"

#include <gtest/gtest.h>

#include "releases/sha256_stream.hpp"

namespace beacon::backends::s3 {
namespace {

using releases::kEmptySha256Hex;
using releases::sha256_hex;

const AwsCredentials kCreds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const SigV4Scope kScope{"us-east-1", "s3"};
const TimePoint kTime = from_epoch_ms(1369353600000);  // Fri, 24 May 2013 00:00:00 GMT
constexpr const char* kHost = "examplebucket.s3.amazonaws.com";

TEST(SigV4, GetObjectWithRangeMatchesAwsExample) {
    SigV4Request r;
    r.method = "GET";
    r.host = kHost;
    r.path = "/test.txt";
    r.headers = {{"Range", "bytes=0-9"}};
    r.payload_sha256 = std::string(kEmptySha256Hex);
    const SignedRequest s = sign_request(r, kCreds, kScope, kTime);

    EXPECT_EQ(s.canonical_request,
              "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
              "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
              "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
              "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(s.string_to_sign,
              "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
              "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
    EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
              "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    EXPECT_EQ(s.amz_date, "20130524T000000Z");
    EXPECT_EQ(s.content_sha256, kEmptySha256Hex);
    EXPECT_FALSE(s.security_token);
}

TEST(SigV4, PutObjectMatchesAwsExample) {
    SigV4Request r;
    r.method = "PUT";
    r.host = kHost;
    r.path = "/test$file.text";
    r.headers = {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}};
    r.payload_sha256 = sha256_hex("Welcome to Amazon S3.");
    ASSERT_EQ(r.payload_sha256, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
    const SignedRequest s = sign_request(r, kCreds, kScope, kTime);

    EXPECT_EQ(s.encoded_path, "/test%24file.text");
    EXPECT_EQ(sha256_hex(s.canonical_request), "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
    EXPECT_EQ(s.authorization,
              "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
              "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,"
              "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4, GetBucketLifecycleMatchesAwsExample) {
    SigV4Request r;
    r.method = "GET";
    r.host = kHost;
    r.path = "/";
    r.query = {{"lifecycle", ""}};
    r.payload_sha256 = std::string(kEmptySha256Hex);
    const SignedRequest s = sign_request(r, kCreds, kScope, kTime);
    EXPECT_EQ(s.encoded_query, "lifecycle=");
    EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4, ListObjectsMatchesAwsExample) {
    SigV4Request r;
    r.method = "GET";
    r.host = kHost;
    r.path = "/";
    r.query = {{"prefix", "J"}, {"max-keys", "2"}};  // given out of order: the signer sorts
    r.payload_sha256 = std::string(kEmptySha256Hex);
    const SignedRequest s = sign_request(r, kCreds, kScope, kTime);
    EXPECT_EQ(s.encoded_query, "max-keys=2&prefix=J");
    EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4, PresignedGetMatchesAwsExample) {
    PresignRequest p;
    p.host = kHost;
    p.path = "/test.txt";
    p.expires_seconds = 86400;
    EXPECT_EQ(presign_url(p, kCreds, kScope, kTime),
              "https://examplebucket.s3.amazonaws.com/test.txt"
              "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
              "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
              "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
              "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(SigV4, PresignSignsExtraParamsAndSessionToken) {
    AwsCredentials creds = kCreds;
    creds.session_token = "token/with+chars=";
    PresignRequest p;
    p.scheme = "http";
    p.host = "127.0.0.1:9000";
    p.path = "/bucket/android/ab cd.apk";
    p.query = {{"response-content-disposition", "attachment; filename=\"app.apk\""}};
    p.expires_seconds = 10 * 24 * 3600;  // above the AWS maximum: clamped
    const std::string url = presign_url(p, creds, kScope, kTime);
    EXPECT_EQ(url.rfind("http://127.0.0.1:9000/bucket/android/ab%20cd.apk?", 0), 0u) << url;
    EXPECT_NE(url.find("&X-Amz-Expires=604800&"), std::string::npos) << url;
    EXPECT_NE(url.find("&X-Amz-Security-Token=token%2Fwith%2Bchars%3D&"), std::string::npos) << url;
    EXPECT_NE(url.find("&response-content-disposition=attachment%3B%20filename%3D%22app.apk%22&"), std::string::npos)
        << url;
    // The parameters are in canonical (sorted) order and the signature comes last.
    EXPECT_LT(url.find("X-Amz-SignedHeaders"), url.find("response-content-disposition"));
    EXPECT_NE(url.find("&X-Amz-Signature="), std::string::npos);

    p.expires_seconds = 0;
    EXPECT_NE(presign_url(p, creds, kScope, kTime).find("&X-Amz-Expires=1&"), std::string::npos);
}

TEST(SigV4, SessionTokenIsASignedHeader) {
    AwsCredentials creds = kCreds;
    creds.session_token = "SESSION";
    SigV4Request r;
    r.method = "HEAD";
    r.host = kHost;
    r.path = "/key.pdf";
    const SignedRequest s = sign_request(r, creds, kScope, kTime);
    EXPECT_EQ(s.security_token, "SESSION");
    EXPECT_NE(s.authorization.find("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"),
              std::string::npos);
    EXPECT_EQ(s.content_sha256, kUnsignedPayload);
}

TEST(SigV4, CanonicalHeadersTrimCollapseAndJoin) {
    SigV4Request r;
    r.method = "GET";
    r.host = kHost;
    r.path = "/a";
    r.headers = {{"X-Amz-Meta-A", "  one   two  "}, {"x-amz-meta-a", "three"}};
    const SignedRequest s = sign_request(r, kCreds, kScope, kTime);
    EXPECT_NE(s.canonical_request.find("\nx-amz-meta-a:one two,three\n"), std::string::npos) << s.canonical_request;
    EXPECT_NE(s.canonical_request.find("\nhost;x-amz-content-sha256;x-amz-date;x-amz-meta-a\n"), std::string::npos);
}

TEST(SigV4, UriEncodingFollowsAwsRules) {
    EXPECT_EQ(uri_encode("AZaz09-_.~", true), "AZaz09-_.~");
    EXPECT_EQ(uri_encode("a b/c", true), "a%20b%2Fc");
    EXPECT_EQ(uri_encode("a b/c", false), "a%20b/c");
    EXPECT_EQ(uri_encode("+=&?%$*", true), "%2B%3D%26%3F%25%24%2A");
    EXPECT_EQ(uri_encode("ñ", true), "%C3%B1");
    EXPECT_EQ(canonical_uri(""), "/");
    EXPECT_EQ(canonical_uri("/ios/ab.ipa"), "/ios/ab.ipa");
    EXPECT_EQ(canonical_uri("/a/./b//c"), "/a/./b//c");  // S3 keys are not normalized
    EXPECT_EQ(canonical_query_string({{"b", "2"}, {"a", "x y"}, {"a", "1"}}), "a=1&a=x%20y&b=2");
}

TEST(SigV4, FormatsAmzDate) {
    EXPECT_EQ(format_amz_date(kTime), "20130524T000000Z");
    EXPECT_EQ(format_amz_date(from_epoch_ms(1795593600999)), "20261125T080000Z");
    EXPECT_EQ(format_amz_date(from_epoch_ms(951868799000)), "20000229T235959Z");
}

}  // namespace
}  // namespace beacon::backends::s3
