#include "core/redact.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace beacon {
namespace {

// Each shape a credential takes, as a message might quote it.
TEST(Redact, UrlUserinfoWithAnyScheme) {
    EXPECT_EQ(redact_secrets("got 'postgres://beacon:s3cret@db:5432/beacon'"),
              "got 'postgres://beacon:***@db:5432/beacon'");
    EXPECT_EQ(redact_secrets("redis://:s3cret@cache:6379/0"), "redis://:***@cache:6379/0");
    EXPECT_EQ(redact_secrets("postgres://u:pa/ss@w@rd@db/x"), "postgres://u:***@db/x")
        << "a raw / or @ in the password";
    EXPECT_EQ(redact_secrets("postgres://alice@db/x"), "postgres://alice@db/x") << "no password";
}

TEST(Redact, MistypedUrls) {
    EXPECT_EQ(redact_secrets("postgres:/beacon:s3cret@db/beacon"), "postgres:/beacon:***@db/beacon");
    EXPECT_EQ(redact_secrets("postgres//beacon:s3cret@db/beacon"), "postgres//beacon:***@db/beacon");
    EXPECT_EQ(redact_secrets("postgress://beacon:s3cret@db"), "postgress://beacon:***@db");
    EXPECT_EQ(redact_secrets("beacon:s3cret@db:5432/beacon"), "beacon:***@db:5432/beacon");
    // Without slashes the scheme cannot be told from the user: both go.
    EXPECT_EQ(redact_secrets("postgres:beacon:s3cret@db"), "postgres:***@db");
}

TEST(Redact, LibpqKeywordStrings) {
    EXPECT_EQ(redact_secrets("host=db user=beacon password=s3cret dbname=beacon"),
              "host=db user=beacon password=*** dbname=beacon");
    EXPECT_EQ(redact_secrets("host=db password = s3cret port=5432"), "host=db password = *** port=5432");
    EXPECT_EQ(redact_secrets("host=db password='s3 cr\\'et' port=5432"), "host=db password=*** port=5432");
    EXPECT_EQ(redact_secrets("got 'host=db PASSWORD=s3cret'"), "got 'host=db PASSWORD=***");
    EXPECT_EQ(redact_secrets("sslpassword=abc sslkey=/etc/key.pem"), "sslpassword=*** sslkey=***");
    EXPECT_EQ(redact_secrets("dbname=postgres://u:s3cret@db/x"), "dbname=postgres:***@db/x");
}

TEST(Redact, QueryParametersThatCarryCredentials) {
    EXPECT_EQ(redact_secrets("postgres://db/x?sslmode=require&password=s3cret&user=a"),
              "postgres://db/x?sslmode=require&password=***&user=a");
    EXPECT_EQ(redact_secrets("s3://bucket?endpoint=https://minio:9000&secret_key=abc#f"),
              "s3://bucket?endpoint=https://minio:9000&secret_key=***#f");
    EXPECT_EQ(redact_secrets("https://h/o?X-Amz-Credential=AKID%2F1&X-Amz-Signature=ab12&X-Amz-Expires=60"),
              "https://h/o?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Expires=60");
    EXPECT_EQ(redact_secrets("?access_token=t0k&authToken=x"), "?access_token=***&authToken=***");
}

TEST(Redact, KnownSecretsWhereverTheyAppear) {
    const std::vector<std::string> known = secrets_in("postgres://beacon:p%25zz%40w@db/x?password=other-one");
    // libpq quotes fragments: the password as written, or decoded.
    EXPECT_EQ(redact_secrets("invalid percent-encoded token: \"p%25zz%40w\"", known),
              "invalid percent-encoded token: \"***\"");
    EXPECT_EQ(redact_secrets("value p%zz@w here", known), "value *** here");
    EXPECT_EQ(redact_secrets("extra \"=\" in URI query parameter: \"other-one\"", known),
              "extra \"=\" in URI query parameter: \"***\"");
    EXPECT_EQ(redact_secrets("nothing secret here", known), "nothing secret here");
}

TEST(Redact, SecretsInConnectionStrings) {
    auto has = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    auto url = secrets_in("postgresql://u:a%20b@h/db?sslpassword=k3y");
    EXPECT_TRUE(has(url, "a%20b"));
    EXPECT_TRUE(has(url, "a b"));
    EXPECT_TRUE(has(url, "k3y"));
    auto keywords = secrets_in("host=h password='x y\\'z' user=u");
    EXPECT_TRUE(has(keywords, "x y'z")) << "unquoted and unescaped, as libpq reads it";
    EXPECT_TRUE(secrets_in("postgres://u@h/db").empty());
    EXPECT_TRUE(secrets_in("").empty());
}

TEST(Redact, LeavesOrdinaryTextAlone) {
    for (const char* text : {"connection to server at \"127.0.0.1\", port 5432 failed: Connection refused",
                             "alice@example.com wrote at 12:30",
                             "a=b c=d",
                             "key",
                             "=value",
                             "x==y",
                             ""}) {
        EXPECT_EQ(redact_secrets(text), text);
    }
}

}  // namespace
}  // namespace beacon
