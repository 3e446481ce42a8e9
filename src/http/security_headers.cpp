#include "http/security_headers.hpp"

namespace beacon::http {

namespace bh = boost::beast::http;

bool is_admin_target(std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    return path == "/admin" || path.starts_with("/admin/");
}

bool is_console_target(std::string_view target) {
    std::string_view path = target.substr(0, target.find('?'));
    return path == "/console" || path.starts_with("/console/");
}

void add_security_headers(Response& res, std::string_view target) {
    res.set("X-Content-Type-Options", "nosniff");
    if (is_admin_target(target)) {
        res.set(bh::field::cache_control, "no-store");
        res.set("Content-Security-Policy", "frame-ancestors 'none'");
    } else if (is_console_target(target)) {
        // docs/decisions/0011: no inline script or style, no eval, nothing
        // from another origin; the console only calls its own server.
        res.set("Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; "
                "frame-ancestors 'none'");
        res.set("Referrer-Policy", "no-referrer");
    }
}

}  // namespace beacon::http
