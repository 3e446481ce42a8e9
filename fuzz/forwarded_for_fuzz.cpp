// Who the client is (http/client_address.hpp): X-Forwarded-For values from a
// trusted proxy, walked against BEACON_TRUSTED_PROXIES; and the CIDR list
// and CORS origin parsers of the settings. The input's lines: the trusted
// CIDRs, then the header fields.
#include <vector>

#include "fuzz_input.hpp"
#include "http/client_address.hpp"
#include "http/cors.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text = beacon::fuzz::as_text(data, size);
    const std::size_t eol = text.find('\n');
    const std::string_view cidrs = text.substr(0, eol);
    (void)beacon::http::parse_cors_origins(cidrs);
    auto blocks = beacon::http::parse_cidr_list(cidrs);
    beacon::http::TrustedProxies trusted(blocks ? std::move(blocks).value() : std::vector<beacon::http::Cidr>{});
    std::vector<std::string_view> fields;
    for (text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1); !text.empty();) {
        const std::size_t nl = text.find('\n');
        fields.push_back(text.substr(0, nl));
        (void)beacon::http::parse_forwarded_for_entry(fields.back());
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    }
    for (const char* peer : {"127.0.0.1", "10.0.0.7", "::1", "2001:db8::7"}) {
        const auto address = beacon::http::client_address(*beacon::http::parse_ip(peer), fields, trusted);
        (void)beacon::http::limit_key(address);
    }
    return 0;
}
