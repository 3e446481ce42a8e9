#include "http/router.hpp"

namespace beacon::http {
namespace {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 1;  // paths start with '/'
    while (i <= path.size()) {
        std::size_t j = path.find('/', i);
        if (j == std::string_view::npos) {
            j = path.size();
        }
        out.push_back(path.substr(i, j - i));
        i = j + 1;
    }
    return out;
}

bool matches(const Route& r, const std::vector<std::string_view>& segs, std::vector<std::string>* params) {
    if (r.segments.size() != segs.size()) {
        return false;
    }
    for (std::size_t i = 0; i < segs.size(); ++i) {
        const std::string& p = r.segments[i];
        if (!p.empty() && p.front() == '{') {
            if (segs[i].empty()) {
                return false;
            }
            if (params != nullptr) {
                params->emplace_back(segs[i]);
            }
        } else if (p != segs[i]) {
            return false;
        }
    }
    return true;
}

}  // namespace

void Router::add(std::string method, std::string pattern, RouteOptions options, Handler handler) {
    Route r{std::move(method), std::move(pattern), options, std::move(handler), nullptr, {}};
    for (auto s : split_path(r.pattern)) {
        r.segments.emplace_back(s);
    }
    r.metrics = &metrics_.route_slot(r.pattern);
    routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match m;
    if (path.empty() || path.front() != '/') {
        return m;
    }
    auto segs = split_path(path);
    std::string_view want = method == "HEAD" ? std::string_view("GET") : method;
    for (const auto& r : routes_) {
        if (r.method == want && matches(r, segs, &m.params)) {
            m.route = &r;
            return m;
        }
        m.params.clear();
    }
    for (const auto& r : routes_) {
        if (matches(r, segs, nullptr)) {
            if (!m.allow.empty()) {
                m.allow += ", ";
            }
            m.allow += r.method;
            if (r.method == "GET") {
                m.allow += ", HEAD";
            }
        }
    }
    return m;
}

}  // namespace beacon::http
