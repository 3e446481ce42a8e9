#include "backends/s3/s3_url.hpp"

#include <string>

#include <gtest/gtest.h>

namespace beacon::backends::s3 {
namespace {

std::string error_of(std::string_view url) {
    auto r = parse_s3_url(url);
    if (r.ok()) {
        return "(accepted)";
    }
    EXPECT_EQ(r.error().code, ErrorCode::InvalidArgument);
    return r.error().message;
}

TEST(S3Url, ParsesBucketPrefixEndpointAndRegion) {
    auto s3 = parse_s3_url("s3://beacon-artifacts/apps/?endpoint=http%3A%2F%2F127.0.0.1:9000&region=eu-west-1");
    ASSERT_TRUE(s3.ok()) << s3.error().message;
    EXPECT_EQ(s3->bucket, "beacon-artifacts");
    EXPECT_EQ(s3->prefix, "apps");
    EXPECT_EQ(s3->endpoint, "http://127.0.0.1:9000");
    EXPECT_EQ(s3->region, "eu-west-1");
    // The keys come from the environment, never from the URL.
    EXPECT_EQ(s3->access_key_id, "");
    EXPECT_EQ(s3->secret_access_key, "");
}

TEST(S3Url, DefaultsToAwsInUsEast1WithoutPrefix) {
    auto s3 = parse_s3_url("s3://bucket");
    ASSERT_TRUE(s3.ok()) << s3.error().message;
    EXPECT_EQ(s3->bucket, "bucket");
    EXPECT_EQ(s3->prefix, "");
    EXPECT_EQ(s3->endpoint, "");
    EXPECT_EQ(s3->region, "us-east-1");
}

TEST(S3Url, TrimsTrailingSlashesAndSkipsEmptyParameters) {
    auto s3 = parse_s3_url("s3://my.bucket/a/b//?&endpoint=https://minio:9000//&&region=r&");
    ASSERT_TRUE(s3.ok()) << s3.error().message;
    EXPECT_EQ(s3->prefix, "a/b");
    EXPECT_EQ(s3->endpoint, "https://minio:9000");
    EXPECT_EQ(s3->region, "r");
}

TEST(S3Url, RefusesOtherShapesWithoutQuotingTheUrl) {
    const std::string expected = "expected " + std::string(kS3UrlShape);
    for (std::string_view url : {
             "s3:/bucket",
             "s3://UPPER?region=x",
             "s3://ab",
             "s3://has_underscore",
             "s3://bucket/pre fix",
             "s3://bucket?endpoint=ftp://x",
             "s3://bucket?endpoint=http://",
             "s3://bucket?region=",
             "s3://bucket?region",
             "s3://bucket?region=a%2",
             "s3://bucket?region=a%20b",
         }) {
        EXPECT_EQ(error_of(url), expected) << url;
    }
    EXPECT_EQ(error_of("s3://" + std::string(64, 'b')), expected);
    EXPECT_EQ(error_of("s3://" + std::string(63, 'b')), "(accepted)");
}

TEST(S3Url, NamesAnUnknownParameter) {
    EXPECT_EQ(error_of("s3://bucket?regoin=x"), "unknown parameter 'regoin' (known: endpoint, region)");
    EXPECT_EQ(error_of("s3://bucket?secret_access_key=hunter2"),
              "unknown parameter 'secret_access_key' (known: endpoint, region)");
}

}  // namespace
}  // namespace beacon::backends::s3
