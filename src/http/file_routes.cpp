// GET /files/{kind}/{name}: artifacts from local storage behind signed,
// expiring links, with single byte ranges (RFC 9110 §14), HEAD, ETag and
// Content-Disposition. Everything comes from the signed link and the file:
// no database query, so downloads go on while the database is slow or down.
#include "http/file_routes.hpp"

#include <cstdio>

#include "http/byte_range.hpp"
#include "releases/artifact_key.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;

asio::awaitable<Response> serve_file(LocalFilesApi& files, Request& req) {
    std::string key = req.params[0] + "/" + req.params[1];
    auto expires = req.query_param("expires").value_or("");
    auto name = req.query_param("name").value_or("");
    auto sig = req.query_param("sig").value_or("");
    auto check = files.verify(key, expires, name, sig);
    if (check != FileLinkCheck::Valid) {
        co_return problem_response(bh::status::forbidden,
                                   check == FileLinkCheck::Expired ? "the download link has expired"
                                                                   : "the download link's signature is not valid");
    }
    auto path = files.path_for(key);
    if (!path) {
        co_return problem_response(bh::status::not_found, "no such file");
    }
    std::FILE* f = std::fopen(path->c_str(), "rb");
    if (f == nullptr) {
        co_return problem_response(bh::status::not_found, "no such file");
    }
    std::fseek(f, 0, SEEK_END);
    auto size = static_cast<std::uint64_t>(std::ftell(f));
    // Everything below comes from the signed link and the file: no database
    // query, so downloads go on while the database is slow or down. The key
    // is valid (verify() refuses others), so it has a content type; a link
    // without a name (made before names were carried) saves as the key's
    // file name.
    const std::string file_name(name.empty() ? std::string_view(req.params[1]) : name);
    const std::string content_type(releases::artifact_content_type(key));
    std::string etag = "\"" + std::string(releases::artifact_key_sha256(key)) + "\"";
    RangeDecision decision;
    std::string_view range_header = req.header[bh::field::range];
    std::string_view if_range = req.header[bh::field::if_range];
    if (!range_header.empty() && (if_range.empty() || if_range == etag)) {
        decision = decide_range(range_header, size);
    }
    if (decision.outcome == RangeOutcome::Unsatisfiable) {
        std::fclose(f);
        Response res = problem_response(bh::status::range_not_satisfiable, "the range is outside the file");
        res.set(bh::field::content_range, "bytes */" + std::to_string(size));
        co_return res;
    }
    const std::optional<ByteRange> range =
        decision.outcome == RangeOutcome::Partial ? std::optional<ByteRange>(decision.range) : std::nullopt;
    Response res{range ? bh::status::partial_content : bh::status::ok, 11};
    std::uint64_t first = range ? range->first : 0;
    std::uint64_t length = range ? range->last - range->first + 1 : size;
    res.body().file = std::make_shared<FileSlice>(f, first, length);
    res.set(bh::field::content_type, content_type);
    res.set(bh::field::etag, etag);
    res.set(bh::field::accept_ranges, "bytes");
    res.set(bh::field::content_disposition, releases::attachment_content_disposition(file_name));
    if (range) {
        res.set(
            bh::field::content_range,
            "bytes " + std::to_string(range->first) + "-" + std::to_string(range->last) + "/" + std::to_string(size));
    }
    res.prepare_payload();
    co_return res;
}

}  // namespace

void add_file_routes(Router& router, LocalFilesApi& files) {
    router.add(
        "GET", "/files/{kind}/{name}", {.access = Access::Public, .executor = Executor::Ops}, [&files](Request& r) {
            return serve_file(files, r);
        });
}

}  // namespace beacon::http
