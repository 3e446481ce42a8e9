// POST /admin/versions/upload: the artifact streamed from the socket to a
// spool file (hashing as it goes), then inspected and stored
// content-addressed (releases/artifact_intake).
#include <optional>
#include <type_traits>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>

#include "core/text.hpp"
#include "http/multipart.hpp"
#include "http/release_json.hpp"
#include "http/release_routes.hpp"
#include "releases/detected_package_json.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace json = boost::json;

bool is_raw_artifact_type(const std::string& mt) {
    return mt == "application/octet-stream" || mt == "application/vnd.android.package-archive" ||
           mt == "application/zip" || mt == "application/x-zip-compressed" || mt == "application/x-itunes-ipa" ||
           mt == "application/x-ios-app";
}

// Runs `fn` on `pool` and resumes on the caller's executor with its result.
// (co_spawn needs a default-constructible result, hence the optional.)
template <typename Fn>
asio::awaitable<std::invoke_result_t<Fn&>> run_on(asio::thread_pool& pool, Fn fn) {
    using R = std::invoke_result_t<Fn&>;
    auto r = co_await asio::co_spawn(
        pool, [&fn]() -> asio::awaitable<std::optional<R>> { co_return fn(); }, asio::use_awaitable);
    co_return std::move(*r);
}

// Bytes gathered from the socket before one hand-off to the spool pool: a
// few chunks, so a hand-off per chunk does not dominate, and memory per
// upload stays bounded whatever the artifact's size.
constexpr std::size_t kSpoolBatchBytes = 256 * 1024;

// Reads the body into `spool` and stores it. Disk writes happen on
// api.spool_io, never on this (I/O) thread; one batch is in memory at a time.
asio::awaitable<Response> receive_upload(ReleaseApi& api,
                                         Request& req,
                                         releases::ArtifactIntake::Upload& spool,
                                         std::optional<std::string> boundary) {
    std::string file_name;
    std::optional<MultipartFileReader> multipart;
    if (boundary) {
        multipart.emplace(*boundary, [&spool](std::string_view bytes) { return spool.write(bytes); });
    } else {
        file_name = std::string(req.header["X-File-Name"]);
    }
    std::string chunk;
    std::string batch;
    bool more = true;
    while (more) {
        auto read = co_await req.read_body_chunk(chunk);
        if (!read) {
            co_return problem_response(read.error());
        }
        more = *read;
        batch += chunk;
        if ((batch.size() < kSpoolBatchBytes && more) || batch.empty()) {
            continue;
        }
        auto written = co_await run_on(
            api.spool_io, [&]() -> Result<void> { return multipart ? multipart->feed(batch) : spool.write(batch); });
        if (!written) {
            co_return problem_response(written.error());
        }
        batch.clear();
    }
    if (multipart) {
        if (auto r = multipart->finish(); !r) {
            co_return problem_response(r.error());
        }
        file_name = multipart->file_name();
    }
    // Inspecting and storing (maybe a multipart upload to S3) blocks: do it
    // on the blocking pool, which never touches the socket.
    auto outcome = co_await run_on(api.blocking, [&] { return api.intake.finish(spool, file_name); });
    if (!outcome) {
        co_return problem_response(outcome.error());
    }
    json::value detected = outcome->record.detected
                               ? json::value(releases::detected_package_to_json_object(*outcome->record.detected))
                               : json::value(nullptr);
    co_return json_response(
        outcome->created ? bh::status::created : bh::status::ok,
        json::object{{"artifact", artifact_json(outcome->record.artifact)}, {"detected", std::move(detected)}});
}

}  // namespace

asio::awaitable<Response> upload_artifact(ReleaseApi& api, Request& req) {
    std::string ct(req.header[bh::field::content_type]);
    const std::string mt = to_lower(trim(std::string_view(ct).substr(0, ct.find(';'))));
    auto boundary = multipart_boundary(ct);
    if (!boundary && !is_raw_artifact_type(mt)) {
        co_return problem_response(bh::status::unsupported_media_type,
                                   "send the artifact as multipart/form-data (field `file`) or as "
                                   "application/octet-stream with X-File-Name");
    }
    auto begun = co_await run_on(api.spool_io, [&] { return api.intake.begin(); });
    if (!begun) {
        co_return problem_response(begun.error());
    }
    std::unique_ptr<releases::ArtifactIntake::Upload> spool = std::move(*begun);
    Response res = co_await receive_upload(api, req, *spool, std::move(boundary));
    // Removing the spool file is disk work too. (Should the above throw, the
    // unique_ptr still removes it, here.)
    co_await run_on(api.spool_io, [&] {
        spool.reset();
        return true;
    });
    co_return res;
}

}  // namespace beacon::http
