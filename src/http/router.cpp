#include "http/router.hpp"

#include <algorithm>

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

bool is_placeholder(const std::string& segment) {
    return !segment.empty() && segment.front() == '{';
}

// `{name*}` as a pattern's last segment: the rest of the path, one segment
// or more (possibly empty ones), as one raw parameter with its slashes.
bool is_catch_all(const std::string& segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.ends_with("*}");
}

bool has_catch_all(const Route& r) {
    return !r.segments.empty() && is_catch_all(r.segments.back());
}

bool matches(const Route& r, const std::vector<std::string_view>& segs, std::vector<std::string>* params) {
    const bool catch_all = has_catch_all(r);
    if (catch_all ? segs.size() < r.segments.size() : r.segments.size() != segs.size()) {
        return false;
    }
    for (std::size_t i = 0; i < r.segments.size(); ++i) {
        const std::string& p = r.segments[i];
        if (catch_all && i + 1 == r.segments.size()) {
            if (params != nullptr) {
                std::string rest(segs[i]);
                for (std::size_t j = i + 1; j < segs.size(); ++j) {
                    rest += '/';
                    rest += segs[j];
                }
                params->push_back(std::move(rest));
            }
            return true;
        }
        if (is_placeholder(p)) {
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

// True when `a` is more specific than `b` (both matching the same path, so
// with as many segments): at the first segment where one is a literal and the
// other a placeholder, the literal wins.
bool more_specific(const Route& a, const Route& b) {
    if (has_catch_all(a) != has_catch_all(b)) {
        return has_catch_all(b);  // a catch-all is the least specific of all
    }
    for (std::size_t i = 0; i < std::min(a.segments.size(), b.segments.size()); ++i) {
        bool pa = is_placeholder(a.segments[i]);
        bool pb = is_placeholder(b.segments[i]);
        if (pa != pb) {
            return pb;
        }
    }
    return false;
}

}  // namespace

void Router::add(std::string method, std::string pattern, RouteOptions options, Handler handler) {
    Route r{std::move(method), std::move(pattern), options, std::move(handler), nullptr, {}};
    for (auto s : split_path(r.pattern)) {
        r.segments.emplace_back(s);
    }
    r.metrics = &metrics_.route_slot(r.pattern);
    if (std::none_of(r.segments.begin(), r.segments.end(), is_placeholder)) {
        literal_[r.pattern].push_back(routes_.size());
    }
    routes_.push_back(std::move(r));
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
    Match m;
    if (path.empty() || path.front() != '/') {
        return m;
    }
    std::string_view want = method == "HEAD" ? std::string_view("GET") : method;
    if (auto it = literal_.find(path); it != literal_.end()) {
        for (std::size_t i : it->second) {
            if (routes_[i].method == want) {
                m.route = &routes_[i];
                return m;
            }
        }
    }
    auto segs = split_path(path);
    // The most specific route wins, whatever the order routes were added in:
    // at the first segment where two candidates differ, a literal beats a
    // placeholder ("/admin/versions/upload" over "/admin/versions/{id}").
    const Route* best = nullptr;
    for (const auto& r : routes_) {
        if (r.method != want || !matches(r, segs, nullptr)) {
            continue;
        }
        if (best == nullptr || more_specific(r, *best)) {
            best = &r;
        }
    }
    if (best != nullptr) {
        m.route = best;
        matches(*best, segs, &m.params);
        return m;
    }
    std::vector<std::string_view> allowed;
    auto allow = [&](std::string_view meth) {
        if (std::find(allowed.begin(), allowed.end(), meth) == allowed.end()) {
            allowed.push_back(meth);
        }
    };
    for (const auto& r : routes_) {
        if (matches(r, segs, nullptr)) {
            allow(r.method);
            if (r.method == "GET") {
                allow("HEAD");
            }
        }
    }
    for (auto meth : allowed) {
        if (!m.allow.empty()) {
            m.allow += ", ";
        }
        m.allow += meth;
    }
    return m;
}

}  // namespace beacon::http
