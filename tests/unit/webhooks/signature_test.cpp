#include "webhooks/signature.hpp"

#include <gtest/gtest.h>

namespace beacon::webhooks {
namespace {

// The expected values come from Python's hmac module (and agree with
// `printf '%s' '1764576000.<body>' | openssl dgst -sha256 -hmac whsec-test-secret`):
//   hmac.new(b'whsec-test-secret', b'1764576000.' + body, hashlib.sha256).hexdigest()
constexpr char kBody[] = R"({"id":"evt-1","type":"ping","at":"2026-12-01T08:00:00.000Z","data":{}})";
constexpr char kMac[] = "fb27bd8c5234e06396e46bba12cfaa07cc718595d5069a1b82ee68edf09acffd";

TEST(WebhookSignature, MatchesAnIndependentHmac) {
    EXPECT_EQ(signature_header("whsec-test-secret", 1764576000, kBody), std::string("t=1764576000,v1=") + kMac);
}

TEST(WebhookSignature, EmptyKeyAndBody) {
    // hmac.new(b'', b'0.', hashlib.sha256).hexdigest()
    EXPECT_EQ(signature_header("", 0, ""), "t=0,v1=b849d5a581847b281957065739df36df2463d1977ea8d6e1e4e6cf33fadc68c3");
}

TEST(WebhookSignature, VerifiesWhatItSigns) {
    const std::string header = signature_header("whsec-test-secret", 1764576000, kBody);
    EXPECT_TRUE(verify_signature_header("whsec-test-secret", header, kBody));
    EXPECT_FALSE(verify_signature_header("other-secret", header, kBody));
    EXPECT_FALSE(verify_signature_header("whsec-test-secret", header, std::string(kBody) + " "));
    // The timestamp is signed too.
    EXPECT_FALSE(verify_signature_header("whsec-test-secret", "t=1764576001,v1=" + std::string(kMac), kBody));
}

TEST(WebhookSignature, RefusesMalformedHeaders) {
    for (const char* h : {"",
                          "t=",
                          "v1=abc",
                          "t=1764576000",
                          "t=1764576000,v1=",
                          "t=abc,v1=00",
                          "t=1764576000,v2=fb27bd8c5234e06396e46bba12cfaa07cc718595d5069a1b82ee68edf09acffd",
                          "t=1764576000,v1=fb27bd8c5234e06396e46bba12cfaa07cc718595d5069a1b82ee68edf09acff"}) {
        EXPECT_FALSE(verify_signature_header("whsec-test-secret", h, kBody)) << h;
    }
}

}  // namespace
}  // namespace beacon::webhooks
