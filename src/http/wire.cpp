#include "http/wire.hpp"

#include <charconv>

namespace beacon::http {

namespace bh = boost::beast::http;

std::string serialize_text_response(Response& res, bool head_only) {
    const std::string& body = res.body();
    // RFC 9110 8.6: no Content-Length on a 1xx or 204, nor a 0 on a 304 (it
    // would have to be the length of the 200's content): none carries a body.
    const unsigned status = res.result_int();
    const bool bodiless = status < 200 || status == 204 || status == 304;
    if (bodiless) {
        res.erase(bh::field::content_length);  // prepare_payload() may have set 0
    } else if (res.find(bh::field::content_length) == res.end() &&
               res.find(bh::field::transfer_encoding) == res.end()) {
        res.content_length(body.size());
    }
    std::string out;
    out.reserve(256 + (head_only ? 0 : body.size()));
    char code[4];
    auto [end, ec] = std::to_chars(code, code + sizeof code, res.result_int());
    (void)ec;
    out.append(res.version() == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    out.append(code, end);
    out.push_back(' ');
    out.append(res.reason());
    out.append("\r\n");
    for (const auto& f : res.base()) {
        out.append(f.name_string());
        out.append(": ");
        out.append(f.value());
        out.append("\r\n");
    }
    out.append("\r\n");
    if (!head_only) {
        out.append(body);
    }
    return out;
}

}  // namespace beacon::http
