#include "telemetry/model.hpp"

#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace beacon::telemetry {
namespace {

TEST(Platform, ParsesEveryClientPlatformInAnyCase) {
    EXPECT_EQ(parse_platform("android"), Platform::Android);
    EXPECT_EQ(parse_platform("ANDROID"), Platform::Android);
    EXPECT_EQ(parse_platform("iOS"), Platform::Ios);
    EXPECT_EQ(parse_platform("Web"), Platform::Web);
    EXPECT_EQ(parse_platform("desktop"), Platform::Desktop);
    EXPECT_EQ(parse_platform("OTHER"), Platform::Other);
}

TEST(Platform, RefusesUnknownAndAnythingElse) {
    for (const char* text : {"unknown", "Unknown", "", "androidx", "andro", "windows", " ios", "ios ", "i0s"}) {
        EXPECT_FALSE(parse_platform(text)) << '"' << text << '"';
    }
}

TEST(Platform, NamesAreLowerCaseAndRoundTrip) {
    for (Platform p : {Platform::Android, Platform::Ios, Platform::Web, Platform::Desktop, Platform::Other}) {
        EXPECT_EQ(parse_platform(to_string(p)), p);
    }
    EXPECT_EQ(to_string(Platform::Ios), "ios");
    EXPECT_EQ(to_string(Platform::Unknown), "unknown");
}

TEST(ActorKey, UsesUserIdWhenPresentElseInstallId) {
    EXPECT_EQ(actor_key("i-12345678", std::nullopt), actor_key("i-12345678", std::nullopt));
    EXPECT_EQ(actor_key("i-12345678", std::string("u-1")), actor_key("i-87654321", std::string("u-1")));
    EXPECT_NE(actor_key("i-12345678", std::nullopt), actor_key("i-87654321", std::nullopt));
}

TEST(ActorKey, UserIdNeverCollidesWithInstallId) {
    // The same text as a userId and as an installId are different actors.
    EXPECT_NE(actor_key("device-0001", std::string("device-0001")), actor_key("device-0001", std::nullopt));
    // Nor can a userId spell another actor's key.
    std::string install_key = actor_key("device-0001", std::nullopt);
    EXPECT_NE(actor_key("x-device-01", install_key), install_key);
}

TEST(InstallId, AcceptsEightTo128AllowedCharacters) {
    EXPECT_TRUE(is_valid_install_id("12345678"));
    EXPECT_TRUE(is_valid_install_id("aZ09._:-"));
    EXPECT_TRUE(is_valid_install_id(std::string(128, 'a')));
}

TEST(InstallId, RefusesTooShortTooLongOrOtherCharacters) {
    EXPECT_FALSE(is_valid_install_id(""));
    EXPECT_FALSE(is_valid_install_id("1234567"));
    EXPECT_FALSE(is_valid_install_id(std::string(129, 'a')));
    EXPECT_FALSE(is_valid_install_id("1234 5678"));
    EXPECT_FALSE(is_valid_install_id("1234/5678"));
    EXPECT_FALSE(is_valid_install_id("12345678\n"));
    EXPECT_FALSE(is_valid_install_id("d\u00e9vice-001"));
}

TEST(UserId, AcceptsOneTo128BytesIncludingUnicode) {
    EXPECT_TRUE(is_valid_user_id("u"));
    EXPECT_TRUE(is_valid_user_id(std::string(128, 'u')));
    EXPECT_TRUE(is_valid_user_id("user name@example.com"));
    EXPECT_TRUE(is_valid_user_id("\u7528\u6237-1"));
}

TEST(UserId, RefusesEmptyTooLongOrControlCharacters) {
    EXPECT_FALSE(is_valid_user_id(""));
    EXPECT_FALSE(is_valid_user_id(std::string(129, 'u')));
    EXPECT_FALSE(is_valid_user_id("u\n1"));
    EXPECT_FALSE(is_valid_user_id("u\t1"));
    EXPECT_FALSE(is_valid_user_id(std::string("u\0001", 3)));
    EXPECT_FALSE(is_valid_user_id("u\x7f"));
    EXPECT_FALSE(is_valid_user_id("u\u0085"));  // C1 control, NEL
    EXPECT_FALSE(is_valid_user_id("u\u009f"));
    EXPECT_TRUE(is_valid_user_id("u\u00a0"));  // first code point after C1
}

TEST(EventName, AcceptsOneTo64AllowedCharacters) {
    EXPECT_TRUE(is_valid_event_name("a"));
    EXPECT_TRUE(is_valid_event_name("app_session_start"));
    EXPECT_TRUE(is_valid_event_name("Checkout.Step:2-done"));
    EXPECT_TRUE(is_valid_event_name(std::string(64, 'e')));
}

TEST(EventName, RefusesEmptyTooLongOrOtherCharacters) {
    EXPECT_FALSE(is_valid_event_name(""));
    EXPECT_FALSE(is_valid_event_name(std::string(65, 'e')));
    EXPECT_FALSE(is_valid_event_name("page view"));
    EXPECT_FALSE(is_valid_event_name("page/view"));
    EXPECT_FALSE(is_valid_event_name("caf\u00e9"));
}

TEST(Region, UpperCasesTwoAsciiLetters) {
    EXPECT_EQ(normalize_region("cn"), "CN");
    EXPECT_EQ(normalize_region("Us"), "US");
    EXPECT_EQ(normalize_region("GB"), "GB");
    EXPECT_EQ(normalize_region("zz"), "ZZ");  // not checked against the list of countries
}

TEST(Region, RefusesAnythingButTwoLetters) {
    for (const char* text : {"", "C", "CHN", "C1", "1A", "c-", "  ", "\u00e9"}) {
        EXPECT_FALSE(normalize_region(text)) << '"' << text << '"';
    }
}

}  // namespace
}  // namespace beacon::telemetry
