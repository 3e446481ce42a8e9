#include "http/security_headers.hpp"

namespace beacon::http {

namespace bh = boost::beast::http;

bool is_admin_target(std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    return path == "/admin" || path.starts_with("/admin/");
}

void add_security_headers(Response& res, std::string_view target) {
    res.set("X-Content-Type-Options", "nosniff");
    if (is_admin_target(target)) {
        res.set(bh::field::cache_control, "no-store");
        res.set("Content-Security-Policy", "frame-ancestors 'none'");
    }
}

}  // namespace beacon::http
