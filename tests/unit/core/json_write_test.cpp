#include "core/json_write.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include <gtest/gtest.h>
#include <boost/json.hpp>

namespace beacon {
namespace {

namespace json = boost::json;

std::string plain(double d) {
    return json_write(json::value(d));
}
std::string shortest(double d) {
    return json_write(json::value(d), JsonNumbers::Shortest);
}

TEST(JsonWrite, DoublesArePlainDecimalsNeverExponents) {
    EXPECT_EQ(plain(12.4), "12.4");
    EXPECT_EQ(plain(0.5), "0.5");
    EXPECT_EQ(plain(0.0), "0");
    EXPECT_EQ(plain(-0.0), "0");
    EXPECT_EQ(plain(2.0), "2");
    EXPECT_EQ(plain(-3.25), "-3.25");
    EXPECT_EQ(plain(1e-7), "0.0000001");
    EXPECT_EQ(plain(1e21), "1000000000000000000000");
    EXPECT_EQ(plain(0.995), "0.995");
    EXPECT_EQ(plain(0.1 + 0.2), "0.30000000000000004");
    for (double d : {12.4, 1e-7, 1e21, 1e300, 5e-324, std::numeric_limits<double>::max(), 123.456e-200}) {
        const std::string s = plain(d);
        EXPECT_EQ(s.find_first_of("eE"), std::string::npos) << s;
        // strtod rounds correctly (boost 1.81's parser does not, for long inputs).
        EXPECT_EQ(std::strtod(s.c_str(), nullptr), d) << "reads back as the same double: " << s;
    }
}

TEST(JsonWrite, ShortestMayUseExponentsForStorage) {
    EXPECT_EQ(shortest(12.4), "12.4");
    EXPECT_EQ(shortest(1e21), "1e+21");
    EXPECT_EQ(shortest(1e300), "1e+300");
    EXPECT_EQ(json::parse(shortest(1e-7)).as_double(), 1e-7);
}

TEST(JsonWrite, NonFiniteDoublesAreNull) {
    EXPECT_EQ(plain(std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(plain(-std::numeric_limits<double>::infinity()), "null");
    EXPECT_EQ(plain(std::nan("")), "null");
}

TEST(JsonWrite, IntegersKeepTheirDigits) {
    EXPECT_EQ(json_write(json::value(0)), "0");
    EXPECT_EQ(json_write(json::value(std::int64_t{-42})), "-42");
    EXPECT_EQ(json_write(json::value(std::numeric_limits<std::int64_t>::min())), "-9223372036854775808");
    EXPECT_EQ(json_write(json::value(std::numeric_limits<std::uint64_t>::max())), "18446744073709551615");
}

TEST(JsonWrite, MatchesBoostForEverythingButDoubles) {
    const char* docs[] = {
        R"({"a":[1,-2,true,false,null,"x"],"b":{"c":{}},"d":[]})",
        R"({"esc":"q\" b\\ \b\f\n\r\t \u0001 \u001f \u007f é 漢 😀 /"})",
        R"([{"":""},[[[]]],"\u0000"])",
    };
    for (const char* d : docs) {
        const json::value v = json::parse(d);
        EXPECT_EQ(json_write(v), json::serialize(v)) << d;
    }
}

TEST(JsonWrite, DoublesInsideDocuments) {
    const json::value v = json::parse(R"({"avg":12.4,"share":0.5,"n":[1e-7,1e21,0.0,3]})");
    EXPECT_EQ(json_write(v), R"({"avg":12.4,"share":0.5,"n":[0.0000001,1000000000000000000000,0,3]})");
}

}  // namespace
}  // namespace beacon
