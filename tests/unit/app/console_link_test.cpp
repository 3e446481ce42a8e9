// `beacon token --admin --console`: the one-time sign-in link's base.
#include <gtest/gtest.h>

#include "app/cli.hpp"

namespace beacon::app {
namespace {

TEST(ConsoleLink, UsesThePublicUrlWhenSet) {
    EXPECT_EQ(console_link("https://beacon.example.com", "0.0.0.0", 8080, "a.b.c"),
              "https://beacon.example.com/console/#token=a.b.c");
    EXPECT_EQ(console_link("https://beacon.example.com/", "0.0.0.0", 8080, "a.b.c"),
              "https://beacon.example.com/console/#token=a.b.c");
}

TEST(ConsoleLink, FallsBackToTheListeningAddress) {
    EXPECT_EQ(console_link("", "0.0.0.0", 8080, "t"), "http://localhost:8080/console/#token=t");
    EXPECT_EQ(console_link("", "::", 9000, "t"), "http://localhost:9000/console/#token=t");
    EXPECT_EQ(console_link("", "127.0.0.1", 8080, "t"), "http://127.0.0.1:8080/console/#token=t");
    EXPECT_EQ(console_link("", "::1", 8080, "t"), "http://[::1]:8080/console/#token=t");
}

}  // namespace
}  // namespace beacon::app
