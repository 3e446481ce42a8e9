#include "http/metrics.hpp"

#include <fmt/format.h>

namespace beacon::http {
namespace {

constexpr std::string_view kMethods[] = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "OTHER"};

}  // namespace

int Metrics::method_index(std::string_view method) {
    for (int i = 0; i < 7; ++i) {
        if (kMethods[i] == method) {
            return i;
        }
    }
    return 7;
}

std::string_view Metrics::method_name(int index) {
    return kMethods[index];
}

Metrics::RouteSlot& Metrics::route_slot(const std::string& route) {
    std::lock_guard lock(mu_);
    auto& slot = routes_[route];
    if (!slot) {
        slot = std::make_unique<RouteSlot>();
        slot->route = route;
    }
    return *slot;
}

void Metrics::observe(RouteSlot& slot, int method_index, int status, double seconds) {
    if (status >= 100 && status < 600) {
        slot.requests[static_cast<std::size_t>(method_index)][static_cast<std::size_t>(status - 100)].fetch_add(
            1, std::memory_order_relaxed);
    }
    std::size_t b = 0;
    while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) {
        ++b;
    }
    slot.latency_counts[b].fetch_add(1, std::memory_order_relaxed);
    slot.latency_sum_us.fetch_add(static_cast<std::uint64_t>(seconds * 1e6), std::memory_order_relaxed);
    slot.latency_count.fetch_add(1, std::memory_order_relaxed);
}

void Metrics::add(const std::string& name, const std::string& labels, std::uint64_t n) {
    counter(name, labels).fetch_add(n, std::memory_order_relaxed);
}

std::atomic<std::uint64_t>& Metrics::counter(const std::string& name, const std::string& labels) {
    std::lock_guard lock(mu_);
    auto& f = families_[name];
    if (f.type.empty()) {
        f.type = "counter";
    }
    return f.values[labels];
}

void Metrics::gauge(const std::string& name, const std::string& help, std::function<double()> read) {
    std::lock_guard lock(mu_);
    auto& f = families_[name];
    f.type = "gauge";
    f.help = help;
    f.read = std::move(read);
}

void Metrics::describe(const std::string& name, const std::string& type, const std::string& help) {
    std::lock_guard lock(mu_);
    auto& f = families_[name];
    f.type = type;
    f.help = help;
}

std::string Metrics::render() {
    std::string out;
    struct GaugeRead {
        std::string name;
        std::string help;
        std::function<double()> read;
    };
    std::vector<GaugeRead> gauges;
    {
        std::lock_guard lock(mu_);
        out += "# HELP beacon_http_requests_total HTTP requests by route, method and status.\n";
        out += "# TYPE beacon_http_requests_total counter\n";
        for (auto& [name, slot] : routes_) {
            for (std::size_t m = 0; m < slot->requests.size(); ++m) {
                for (std::size_t s = 0; s < slot->requests[m].size(); ++s) {
                    auto v = slot->requests[m][s].load(std::memory_order_relaxed);
                    if (v != 0) {
                        out +=
                            fmt::format("beacon_http_requests_total{{route=\"{}\",method=\"{}\",status=\"{}\"}} {}\n",
                                        name,
                                        kMethods[m],
                                        s + 100,
                                        v);
                    }
                }
            }
        }
        out += "# HELP beacon_http_request_duration_seconds HTTP request latency by route.\n";
        out += "# TYPE beacon_http_request_duration_seconds histogram\n";
        for (auto& [name, slot] : routes_) {
            std::uint64_t cumulative = 0;
            for (std::size_t b = 0; b < kLatencyBuckets.size(); ++b) {
                cumulative += slot->latency_counts[b].load(std::memory_order_relaxed);
                out += fmt::format("beacon_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n",
                                   name,
                                   kLatencyBuckets[b],
                                   cumulative);
            }
            cumulative += slot->latency_counts[kLatencyBuckets.size()].load(std::memory_order_relaxed);
            out += fmt::format(
                "beacon_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", name, cumulative);
            out += fmt::format("beacon_http_request_duration_seconds_sum{{route=\"{}\"}} {:.6f}\n",
                               name,
                               static_cast<double>(slot->latency_sum_us.load()) / 1e6);
            out += fmt::format(
                "beacon_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", name, slot->latency_count.load());
        }
        for (auto& [name, f] : families_) {
            if (f.read) {
                gauges.push_back({name, f.help, f.read});
                continue;
            }
            if (!f.help.empty()) {
                out += fmt::format("# HELP {} {}\n", name, f.help);
            }
            out += fmt::format("# TYPE {} {}\n", name, f.type);
            for (auto& [labels, value] : f.values) {
                const std::uint64_t v = value.load(std::memory_order_relaxed);
                out += labels.empty() ? fmt::format("{} {}\n", name, v) : fmt::format("{}{{{}}} {}\n", name, labels, v);
            }
        }
    }
    // Gauges are read outside the lock: they may call into backends.
    for (auto& g : gauges) {
        out += fmt::format("# HELP {} {}\n# TYPE {} gauge\n{} {}\n", g.name, g.help, g.name, g.name, g.read());
    }
    return out;
}

}  // namespace beacon::http
