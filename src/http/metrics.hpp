#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace beacon::http {

// Prometheus metrics. Request counters and latency histograms live in
// per-route slots resolved at routing time, so the hot path only does atomic
// increments; labelled counters that are rarer (events, jobs, backends) go
// through a small locked map, and a hot one (heartbeats) is resolved once
// with counter(). Thread-safe.
class Metrics {
public:
    static constexpr std::array<double, 12> kLatencyBuckets = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5};

    // Counters and the latency histogram of one route.
    struct RouteSlot {
        std::string route;
        // requests by method index (see method_index) and status code 100..599.
        std::array<std::array<std::atomic<std::uint64_t>, 500>, 8> requests{};
        std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_counts{};
        std::atomic<std::uint64_t> latency_sum_us{0};
        std::atomic<std::uint64_t> latency_count{0};
    };

    RouteSlot& route_slot(const std::string& route);
    void observe(RouteSlot& slot, int method_index, int status, double seconds);

    // A labelled counter, e.g. add("beacon_events_total", "result=\"accepted\"", n).
    void add(const std::string& name, const std::string& labels, std::uint64_t n = 1);
    // The same counter for a hot path: resolved once (it shows as 0 from
    // then on), then a relaxed atomic increment with no lock or lookup.
    std::atomic<std::uint64_t>& counter(const std::string& name, const std::string& labels);
    // A gauge read at scrape time.
    void gauge(const std::string& name, const std::string& help, std::function<double()> read);
    void describe(const std::string& name, const std::string& type, const std::string& help);

    // The Prometheus text exposition.
    std::string render();

    static int method_index(std::string_view method);
    static std::string_view method_name(int index);

private:
    std::mutex mu_;
    std::map<std::string, std::unique_ptr<RouteSlot>> routes_;
    struct Family {
        std::string type;
        std::string help;
        std::map<std::string, std::atomic<std::uint64_t>> values;  // by rendered label set; nodes never move
        std::function<double()> read;                              // gauges
    };
    std::map<std::string, Family> families_;
};

}  // namespace beacon::http
