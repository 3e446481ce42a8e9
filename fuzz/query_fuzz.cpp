// Query strings: the request target parsed as the dispatcher does (Boost.URL,
// origin form, decoded parameters), then the shared parameter rules of
// http/query_params.hpp (from/to times, days, integers, text).
#include <boost/url/parse.hpp>

#include "fuzz_input.hpp"
#include "http/query_params.hpp"
#include "http/request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto url = boost::urls::parse_origin_form(beacon::fuzz::as_text(data, size));
    if (!url) {
        return 0;
    }
    const beacon::http::RequestHeader header;
    beacon::http::Request req{.header = header};
    for (auto p : url->params()) {
        req.query.emplace_back(p.key, p.value);
    }
    (void)beacon::http::time_bounds(req);
    (void)beacon::http::day_bounds(req);
    (void)beacon::http::integer_param(req, "limit", "1 to 1000");
    (void)beacon::http::text_param(req, "name");
    return 0;
}
