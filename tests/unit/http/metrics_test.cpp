#include "http/metrics.hpp"

#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace beacon::http {
namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

bool has_line(const std::string& text, const std::string& line) {
    for (const auto& l : lines(text)) {
        if (l == line) {
            return true;
        }
    }
    return false;
}

// Index of the line, or -1.
int line_index(const std::vector<std::string>& ls, const std::string& line) {
    for (std::size_t i = 0; i < ls.size(); ++i) {
        if (ls[i] == line) {
            return static_cast<int>(i);
        }
    }
    return -1;
}

const std::string kHist = "beacon_http_request_duration_seconds";

TEST(Metrics, CountsRequestsByRouteMethodAndStatus) {
    Metrics m;
    auto& slot = m.route_slot("/telemetry/events");
    m.observe(slot, Metrics::method_index("POST"), 200, 0.001);
    m.observe(slot, Metrics::method_index("POST"), 200, 0.001);
    m.observe(slot, Metrics::method_index("POST"), 400, 0.001);
    m.observe(m.route_slot("/telemetry/online"), Metrics::method_index("GET"), 200, 0.001);
    std::string text = m.render();
    EXPECT_TRUE(has_line(text, "# TYPE beacon_http_requests_total counter"));
    EXPECT_TRUE(
        has_line(text, R"(beacon_http_requests_total{route="/telemetry/events",method="POST",status="200"} 2)"));
    EXPECT_TRUE(
        has_line(text, R"(beacon_http_requests_total{route="/telemetry/events",method="POST",status="400"} 1)"));
    EXPECT_TRUE(has_line(text, R"(beacon_http_requests_total{route="/telemetry/online",method="GET",status="200"} 1)"));
    // Combinations never seen are not rendered.
    EXPECT_EQ(text.find(R"(route="/telemetry/online",method="POST")"), std::string::npos);
}

TEST(Metrics, SameRouteNameGivesTheSameSlot) {
    Metrics m;
    EXPECT_EQ(&m.route_slot("/a"), &m.route_slot("/a"));
    EXPECT_NE(&m.route_slot("/a"), &m.route_slot("/b"));
}

TEST(Metrics, MethodIndexNamesKnownMethodsAndFoldsTheRest) {
    for (const char* method : {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) {
        EXPECT_EQ(Metrics::method_name(Metrics::method_index(method)), method);
    }
    EXPECT_EQ(Metrics::method_name(Metrics::method_index("BREW")), "OTHER");
    EXPECT_EQ(Metrics::method_name(Metrics::method_index("get")), "OTHER");
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
    Metrics m;
    auto& slot = m.route_slot("/r");
    int get = Metrics::method_index("GET");
    m.observe(slot, get, 200, 0.0003);  // le 0.0005
    m.observe(slot, get, 200, 0.001);   // exactly on a bound: le 0.001
    m.observe(slot, get, 200, 0.003);   // le 0.005
    m.observe(slot, get, 200, 0.3);     // le 0.5
    m.observe(slot, get, 200, 5.0);     // only +Inf
    std::string text = m.render();
    auto bucket = [&](const std::string& le, int n) {
        return kHist + "_bucket{route=\"/r\",le=\"" + le + "\"} " + std::to_string(n);
    };
    EXPECT_TRUE(has_line(text, "# TYPE " + kHist + " histogram"));
    EXPECT_TRUE(has_line(text, bucket("0.0005", 1)));
    EXPECT_TRUE(has_line(text, bucket("0.001", 2)));
    EXPECT_TRUE(has_line(text, bucket("0.0025", 2)));
    EXPECT_TRUE(has_line(text, bucket("0.005", 3)));
    EXPECT_TRUE(has_line(text, bucket("0.25", 3)));
    EXPECT_TRUE(has_line(text, bucket("0.5", 4)));
    EXPECT_TRUE(has_line(text, bucket("2.5", 4)));
    EXPECT_TRUE(has_line(text, bucket("+Inf", 5)));
    EXPECT_TRUE(has_line(text, kHist + "_count{route=\"/r\"} 5"));
    EXPECT_TRUE(has_line(text, kHist + "_sum{route=\"/r\"} 5.304300"));
}

TEST(Metrics, HistogramBucketsNeverDecrease) {
    Metrics m;
    auto& slot = m.route_slot("/r");
    for (int i = 0; i < 200; ++i) {
        m.observe(slot, 0, 200, i * 0.0137);
    }
    std::int64_t previous = -1;
    int buckets = 0;
    for (const auto& l : lines(m.render())) {
        if (l.rfind(kHist + "_bucket{route=\"/r\"", 0) == 0) {
            std::int64_t v = std::stoll(l.substr(l.rfind(' ') + 1));
            EXPECT_GE(v, previous) << l;
            previous = v;
            ++buckets;
        }
    }
    EXPECT_EQ(buckets, static_cast<int>(Metrics::kLatencyBuckets.size()) + 1);
    EXPECT_EQ(previous, 200);
}

TEST(Metrics, LabelledCountersAddUpUnderOneTypeLine) {
    Metrics m;
    m.describe("beacon_events_total", "counter", "Telemetry events by result.");
    m.add("beacon_events_total", "result=\"accepted\"", 3);
    m.add("beacon_events_total", "result=\"accepted\"", 2);
    m.add("beacon_events_total", "result=\"rejected\"");
    m.add("beacon_heartbeats_total", "");
    std::string text = m.render();
    auto ls = lines(text);
    int type = line_index(ls, "# TYPE beacon_events_total counter");
    ASSERT_GE(type, 0);
    EXPECT_EQ(ls[static_cast<std::size_t>(type) - 1], "# HELP beacon_events_total Telemetry events by result.");
    EXPECT_EQ(ls[static_cast<std::size_t>(type) + 1], "beacon_events_total{result=\"accepted\"} 5");
    EXPECT_EQ(ls[static_cast<std::size_t>(type) + 2], "beacon_events_total{result=\"rejected\"} 1");
    EXPECT_TRUE(has_line(text, "# TYPE beacon_heartbeats_total counter"));
    EXPECT_TRUE(has_line(text, "beacon_heartbeats_total 1"));
}

TEST(Metrics, AResolvedCounterShowsZeroAtOnceAndSharesItsValueWithAdd) {
    Metrics m;
    auto& heartbeats = m.counter("beacon_heartbeats_total", "");
    EXPECT_TRUE(has_line(m.render(), "beacon_heartbeats_total 0"));
    heartbeats.fetch_add(2);
    m.add("beacon_heartbeats_total", "");
    EXPECT_EQ(&m.counter("beacon_heartbeats_total", ""), &heartbeats);
    const std::string text = m.render();
    EXPECT_TRUE(has_line(text, "# TYPE beacon_heartbeats_total counter"));
    EXPECT_TRUE(has_line(text, "beacon_heartbeats_total 3"));
}

TEST(Metrics, GaugeTypeLineIsAdjacentToItsSample) {
    Metrics m;
    double online = 12;
    m.gauge("beacon_online", "Actors online now.", [&] { return online; });
    m.add("beacon_job_runs_total", "job=\"cleanup\",result=\"ok\"");
    auto ls = lines(m.render());
    int type = line_index(ls, "# TYPE beacon_online gauge");
    ASSERT_GE(type, 1);
    EXPECT_EQ(ls[static_cast<std::size_t>(type) - 1], "# HELP beacon_online Actors online now.");
    ASSERT_LT(static_cast<std::size_t>(type) + 1, ls.size());
    EXPECT_EQ(ls[static_cast<std::size_t>(type) + 1], "beacon_online 12");

    online = 13.5;  // read at every scrape
    EXPECT_TRUE(has_line(m.render(), "beacon_online 13.5"));
}

TEST(Metrics, EveryFamilyHasExactlyOneTypeLine) {
    Metrics m;
    m.observe(m.route_slot("/a"), 0, 200, 0.1);
    m.observe(m.route_slot("/b"), 2, 500, 0.1);
    m.add("beacon_backend_errors_total", "backend=\"sqlite\"");
    m.gauge("beacon_online", "Actors online now.", [] { return 1.0; });
    std::map<std::string, int> types;
    for (const auto& l : lines(m.render())) {
        if (l.rfind("# TYPE ", 0) == 0) {
            std::string name = l.substr(7, l.find(' ', 7) - 7);
            ++types[name];
        }
    }
    for (auto& [name, n] : types) {
        EXPECT_EQ(n, 1) << name;
    }
    EXPECT_EQ(types.size(), 4u);
}

TEST(Metrics, EmptyRegistryStillDescribesTheHttpFamilies) {
    Metrics m;
    std::string text = m.render();
    EXPECT_TRUE(has_line(text, "# TYPE beacon_http_requests_total counter"));
    EXPECT_TRUE(has_line(text, "# TYPE " + kHist + " histogram"));
}

}  // namespace
}  // namespace beacon::http
