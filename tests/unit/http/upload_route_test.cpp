// POST /admin/versions/upload, driven through the router with a scripted
// body: where its disk writes happen (issue 9 #19: they were on the I/O
// thread, so a slow disk stalled every connection of that thread).

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>

#include "contract/releases/memory_version_repository.hpp"
#include "http/release_routes.hpp"
#include "http/router.hpp"
#include "support/temp_dir.hpp"

namespace beacon::http {
namespace {

namespace asio = boost::asio;
namespace bh = boost::beast::http;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

class NullStore final : public releases::ArtifactStore {
public:
    Result<void> put_file(std::string_view, const fs::path&, std::string_view) override { return ok(); }
    Result<bool> exists(std::string_view) override { return false; }
    Result<void> remove(std::string_view) override { return ok(); }
    Result<releases::SignedUrl> signed_url(
        std::string_view, std::string_view, std::chrono::seconds, TimePoint, std::string_view) override {
        return make_error(ErrorCode::Internal, "not used");
    }
};

// Bytes of the one spool file, or -1 when there is none.
std::int64_t spooled_bytes(const fs::path& dir) {
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        return static_cast<std::int64_t>(fs::file_size(e.path(), ec));
    }
    return -1;
}

TEST(UploadRoute, SpoolWritesHappenOffTheIoThreadAndMemoryStaysOneBatch) {
    test::TempDir dir;
    test::MemoryVersionRepository repo;
    NullStore store;
    ManualClock clock(from_epoch_ms(1'795'600'000'000));
    releases::ReleaseService service(repo, store, clock);
    const fs::path spool_dir = dir.path() / "spool";
    releases::ArtifactIntake intake(repo, store, clock, spool_dir, 16u << 20);
    asio::thread_pool blocking(1);
    asio::thread_pool spool_pool(1);
    ReleaseApi api{service, intake, blocking, spool_pool, {"127.0.0.1", 8080}};
    Metrics metrics;
    Router router(metrics);
    add_release_routes(router, api);
    auto m = router.match("POST", "/admin/versions/upload");
    ASSERT_NE(m.route, nullptr);

    RequestHeader header;
    header.method(bh::verb::post);
    header.target("/admin/versions/upload");
    header.set(bh::field::content_type, "application/octet-stream");
    header.set("X-File-Name", "a.apk");
    Request req{header, "/admin/versions/upload", {}, {}, {}, std::nullopt, "t", {}};

    // Ten 64 KiB chunks. Before the sixth read (the first 256 KiB batch is on
    // disk by then), the spool pool is blocked until the test opens the gate.
    constexpr std::size_t kChunk = 64 * 1024;
    std::promise<void> gate;
    std::shared_future<void> gate_open = gate.get_future().share();
    std::atomic<int> reads{0};
    std::atomic<bool> blocked{false};
    req.read_body_chunk = [&](std::string& out) -> asio::awaitable<Result<bool>> {
        const int n = ++reads;
        if (n == 6) {
            asio::post(spool_pool, [gate_open] { gate_open.wait(); });
            blocked = true;
        }
        if (n > 10) {
            out.clear();
            co_return false;
        }
        out.assign(kChunk, static_cast<char>('a' + n));
        co_return true;
    };

    asio::io_context io;
    std::promise<Response> done;
    auto finished = done.get_future();
    asio::co_spawn(io, m.route->handler(req), [&done](std::exception_ptr e, Response r) {
        if (e) {
            done.set_exception(e);
        } else {
            done.set_value(std::move(r));
        }
    });
    auto work = asio::make_work_guard(io);
    std::thread io_thread([&io] { io.run(); });

    // Eight chunks are read; the second batch (chunks 5 to 8) then waits for
    // the pool, and so does the handler: no ninth read.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (reads < 8 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(5ms);
    }
    ASSERT_TRUE(blocked.load());
    std::this_thread::sleep_for(200ms);
    EXPECT_EQ(reads.load(), 8) << "one batch in memory at a time";
    // The I/O thread is free meanwhile: it runs other work at once.
    std::promise<void> ran;
    asio::post(io, [&ran] { ran.set_value(); });
    EXPECT_EQ(ran.get_future().wait_for(1s), std::future_status::ready) << "the I/O thread is blocked";
    // Nothing was written past the first batch: every write waits for the
    // spool pool, none happens on the I/O thread.
    EXPECT_EQ(spooled_bytes(spool_dir), static_cast<std::int64_t>(4 * kChunk));
    EXPECT_EQ(finished.wait_for(0ms), std::future_status::timeout);

    gate.set_value();
    ASSERT_EQ(finished.wait_for(10s), std::future_status::ready);
    Response res = finished.get();
    // Ten chunks of letters are no ZIP archive.
    EXPECT_EQ(res.result(), bh::status::unprocessable_entity) << res.body();
    EXPECT_EQ(spooled_bytes(spool_dir), -1) << "the spool file is removed";
    work.reset();
    io_thread.join();
}

}  // namespace
}  // namespace beacon::http
