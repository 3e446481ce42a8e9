// The HTTP server in process, on a loopback port of its own (bound to port
// 0), with small routes and small limits and timeouts, so that framing,
// limits, timeouts and the lingering close can be driven byte by byte and
// quickly. The real binary is exercised by tests/integration.
#include "http/server.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "support/http_client.hpp"
#include "support/jwt_mint.hpp"

namespace beacon::http {
namespace {

using namespace std::chrono_literals;
using test::RawConnection;
namespace bh = boost::beast::http;
namespace asio = boost::asio;

constexpr char kSecret[] = "server-test-secret-0123456789abcdef0123456789";
constexpr std::size_t kBigBody = 24 << 20;

class ServerTest : public ::testing::Test {
protected:
    ServerTest() : router_(metrics_), verifier_(kSecret, clock_) {
        router_.add("GET", "/none", {}, [](Request&) -> asio::awaitable<Response> {
            co_return json_response(bh::status::ok, std::string("{}"));
        });
        router_.add("GET", "/big", {}, [](Request&) -> asio::awaitable<Response> {
            co_return json_response(bh::status::ok, std::string(kBigBody, 'x'));
        });
        router_.add("GET", "/probe", {.rate_limited = false}, [](Request&) -> asio::awaitable<Response> {
            co_return json_response(bh::status::ok, std::string("{}"));
        });
        router_.add("GET", "/slow", {}, [](Request&) -> asio::awaitable<Response> {
            asio::steady_timer wait(co_await asio::this_coro::executor, std::chrono::milliseconds(2500));
            co_await wait.async_wait(asio::use_awaitable);
            co_return json_response(bh::status::ok, std::string("{}"));
        });
        router_.add("GET", "/admin/x", {.access = Access::Admin}, [](Request&) -> asio::awaitable<Response> {
            co_return json_response(bh::status::ok, std::string("{}"));
        });
        router_.add("GET", "/whoami", {}, [](Request& r) -> asio::awaitable<Response> {
            co_return json_response(bh::status::ok, "{\"client\":\"" + r.client.to_string() + "\"}");
        });
        router_.add("GET", "/boom", {}, [](Request&) -> asio::awaitable<Response> {
            throw std::runtime_error("boom");
            co_return json_response(bh::status::ok, std::string("{}"));
        });
        router_.add("GET", "/storage-down", {}, [](Request&) -> asio::awaitable<Response> {
            co_return problem_response(unavailable("storage", "s3: PUT x: connection refused"));
        });
        router_.add("GET", "/draining", {}, [](Request&) -> asio::awaitable<Response> {
            co_return problem_response(make_error(ErrorCode::Unavailable, "the server is shutting down"));
        });
        router_.add(
            "POST", "/json", {.body = BodyKind::Json, .body_limit = 3000}, [](Request& r) -> asio::awaitable<Response> {
                co_return json_response(bh::status::ok, "{\"bytes\":" + std::to_string(r.body.size()) + "}");
            });
        router_.add("POST",
                    "/stream",
                    {.body = BodyKind::Stream, .body_limit = 100000},
                    [](Request& r) -> asio::awaitable<Response> {
                        std::string chunk;
                        std::size_t total = 0;
                        for (;;) {
                            auto more = co_await r.read_body_chunk(chunk);
                            if (!more) {
                                co_return problem_response(more.error());
                            }
                            if (!*more) {
                                break;
                            }
                            total += chunk.size();
                        }
                        co_return json_response(bh::status::ok, "{\"bytes\":" + std::to_string(total) + "}");
                    });
    }

    ~ServerTest() override {
        if (server_) {
            server_->shutdown();
            thread_.join();
        }
    }

    void start(ServerOptions o = {}) {
        o.host = "127.0.0.1";
        o.port = 0;
        o.threads = 1;
        o.access_log = false;
        server_ = std::make_unique<Server>(o, router_, metrics_, verifier_);
        auto port = server_->listen();
        ASSERT_TRUE(port.ok()) << port.error().message;
        port_ = *port;
        thread_ = std::thread([this] { server_->run(); });
    }

    std::string metric(std::string_view needle) {
        std::string text = "\n" + metrics_.render();
        std::string line_start = "\n" + std::string(needle);
        auto at = text.find(line_start);
        if (at == std::string::npos) {
            return "";
        }
        auto end = text.find('\n', at + 1);
        return text.substr(at + line_start.size(), end - at - line_start.size());
    }

    // One request on a new connection.
    std::optional<test::HttpResponse> get(std::string_view target, std::string_view extra_headers = "") {
        RawConnection conn(port_);
        if (!conn.send("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" + std::string(extra_headers) +
                       "\r\n")) {
            return std::nullopt;
        }
        return conn.read_response(5s);
    }

    Metrics metrics_;
    Router router_;
    SystemClock clock_;
    ManualClock limit_clock_{from_epoch_ms(1'800'000'000'000)};
    auth::TokenVerifier verifier_;
    std::unique_ptr<Server> server_;
    std::thread thread_;
    std::uint16_t port_ = 0;
};

// A client socket with a small receive buffer, read by hand.
class SlowReader {
public:
    explicit SlowReader(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int rcvbuf = 64 * 1024;
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        timeval tv{5, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    }
    ~SlowReader() { ::close(fd_); }
    bool send(std::string_view s) {
        return connected_ && ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == ssize_t(s.size());
    }
    // Reads up to `n` bytes; 0 at EOF, -1 on error or timeout.
    ssize_t read(std::size_t n) {
        std::string buf(n, '\0');
        return ::recv(fd_, buf.data(), n, 0);
    }

private:
    int fd_ = -1;
    bool connected_ = false;
};

TEST_F(ServerTest, AWriteTimeoutIsAPauseWithoutProgressNotADeadlineForTheWholeResponse) {
    // (The kernel wakes a writer only once a third of its send buffer, up to
    // some MiB, has drained, so a pause between writes can be longer than
    // the reader's; 2 s is far more than that at this pace.)
    start({.write_timeout = 2s});
    SlowReader reader(port_);
    ASSERT_TRUE(reader.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    // About 6 s for the whole body: three times the write timeout, but never a
    // pause of more than a few tens of milliseconds.
    std::size_t total = 0;
    auto started = std::chrono::steady_clock::now();
    while (total < kBigBody && std::chrono::steady_clock::now() - started < 30s) {
        ssize_t n = reader.read(64 * 1024);
        if (n <= 0) {
            break;
        }
        total += static_cast<std::size_t>(n);
        std::this_thread::sleep_for(15ms);
    }
    EXPECT_GT(std::chrono::steady_clock::now() - started, 4s) << "the test must outlast the write timeout";
    EXPECT_GE(total, kBigBody) << "the response was cut off after " << total << " bytes";
}

TEST_F(ServerTest, AReaderThatStopsReadingIsCutOffAfterTheWriteTimeout) {
    start({.write_timeout = 1s});
    SlowReader reader(port_);
    ASSERT_TRUE(reader.send("GET /big HTTP/1.1\r\nHost: x\r\n\r\n"));
    std::this_thread::sleep_for(3s);
    std::size_t total = 0;
    for (int i = 0; i < 100000; ++i) {
        ssize_t n = reader.read(1 << 20);
        if (n <= 0) {
            break;
        }
        total += static_cast<std::size_t>(n);
    }
    EXPECT_LT(total, kBigBody);
}

TEST_F(ServerTest, ANewConnectionThatSendsNothingIsClosedAfterTheFirstByteTimeout) {
    start({.first_byte_timeout = 1s, .idle_timeout = 30s});
    RawConnection silent(port_);
    auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(silent.wait_closed(5s));
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s);

    // After a request, the (longer) idle timeout applies.
    RawConnection used(port_);
    ASSERT_TRUE(used.send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(used.read_response(5s)) << used.error();
    EXPECT_FALSE(used.wait_closed(2500ms));
    ASSERT_TRUE(used.send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto again = used.read_response(5s);
    ASSERT_TRUE(again) << used.error();
    EXPECT_EQ(again->status, 200);
}

// A stream route's body whose chunk-size line arrives cut in two: the
// handler has the first chunk, the buffer holds "1" of "10\r\n", and the next
// read must wait for the rest, not spin on what cannot be parsed yet.
TEST_F(ServerTest, AChunkSizeLineCutByTheNetworkIsReadWhole) {
    start();
    RawConnection conn(port_);
    ASSERT_TRUE(conn.send("POST /stream HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1"));
    std::this_thread::sleep_for(300ms);
    ASSERT_TRUE(conn.send("0\r\n0123456789abcdef\r\n0\r\n\r\n"));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
    EXPECT_NE(r->body.find("\"bytes\":21"), std::string::npos) << r->body;
    // The I/O thread is free: the server still answers.
    RawConnection other(port_);
    ASSERT_TRUE(other.send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(other.read_response(5s)) << other.error();
}

// A timeout bounds a read or a write, never the handler between them: the
// connection's one deadline (http/connection_deadline) is let go when the
// read that armed it ends.
TEST_F(ServerTest, AHandlerMayOutlastTheTimeoutOfTheReadBeforeIt) {
    start({.first_byte_timeout = 1s, .idle_timeout = 1s});
    RawConnection conn(port_);
    ASSERT_TRUE(conn.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = conn.read_response(10s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 200);
    // And the idle timeout still closes the connection after it.
    EXPECT_TRUE(conn.wait_closed(5s));
}

TEST_F(ServerTest, A503FromAFailedBackendIsCountedByBackendWhateverTheRoute) {
    start();
    RawConnection conn(port_);
    for (const char* path : {"/storage-down", "/storage-down", "/draining"}) {
        ASSERT_TRUE(conn.send(std::string("GET ") + path + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << conn.error();
        EXPECT_EQ(r->status, 503);
    }
    EXPECT_EQ(metric("beacon_backend_errors_total{backend=\"storage\"} "), "2");
    // Load shedding names no backend and is not counted.
    EXPECT_EQ(metrics_.render().find("beacon_backend_errors_total{backend=\"\"}"), std::string::npos);
    EXPECT_EQ(metrics_.render().find("backend=\"(null)\""), std::string::npos);
}

TEST_F(ServerTest, AnExceptionIsA500AndClosesTheConnection) {
    start();
    RawConnection conn(port_);
    // A second request pipelined behind: never answered, the connection closes.
    ASSERT_TRUE(conn.send("GET /boom HTTP/1.1\r\nHost: x\r\n\r\nGET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 500);
    EXPECT_FALSE(r->keep_alive);
    EXPECT_TRUE(conn.wait_closed(5s));
    EXPECT_EQ(conn.pending().find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ServerTest, ARouteWithoutABodyRefusesADeclaredBodyBeforeReadingIt) {
    start();
    for (std::string length : {"419430400", "1000000000000000", "1"}) {
        RawConnection conn(port_);
        ASSERT_TRUE(conn.send("GET /none HTTP/1.1\r\nHost: x\r\nContent-Length: " + length + "\r\n\r\n"));
        auto r = conn.read_response(3s);
        ASSERT_TRUE(r) << length << ": " << conn.error();
        EXPECT_EQ(r->status, 413) << length;
        EXPECT_NE(r->body.find("payload-too-large"), std::string::npos);
        EXPECT_FALSE(r->keep_alive);
    }
    RawConnection chunked(port_);
    ASSERT_TRUE(chunked.send("GET /none HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
    auto r = chunked.read_response(3s);
    ASSERT_TRUE(r) << chunked.error();
    EXPECT_EQ(r->status, 413);
    // A huge declared length on a route with a body: 413 too, never a 500.
    RawConnection huge(port_);
    ASSERT_TRUE(
        huge.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                  "1000000000000000\r\n\r\n"));
    auto h = huge.read_response(3s);
    ASSERT_TRUE(h) << huge.error();
    EXPECT_EQ(h->status, 413);
}

TEST_F(ServerTest, FramingThatCouldSmuggleARequestIsA400AndTheConnectionCloses) {
    start();
    struct Case {
        std::string framing;
        int status;
    };
    const std::string smuggled = "GET /none HTTP/1.1\r\nHost: x\r\n\r\n";
    for (const Case& c : {Case{"Transfer-Encoding: xchunked\r\n", 400},
                          Case{"Transfer-Encoding: gzip\r\n", 400},
                          Case{"Transfer-Encoding: identity\r\n", 400},
                          Case{"Transfer-Encoding: chunked, identity\r\n", 400},
                          Case{"Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n", 400},
                          Case{"Transfer-Encoding: chunked, chunked\r\n", 400},
                          Case{"Transfer-Encoding: gzip, chunked\r\n", 501},
                          Case{"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", 400},
                          Case{"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400},
                          Case{"Content-Length: 5\r\nContent-Length: 6\r\n", 400}}) {
        RawConnection conn(port_);
        ASSERT_TRUE(conn.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + c.framing +
                              "\r\n" + smuggled));
        auto r = conn.read_response(3s);
        ASSERT_TRUE(r) << c.framing << conn.error();
        EXPECT_EQ(r->status, c.status) << c.framing << r->describe();
        EXPECT_FALSE(r->keep_alive) << c.framing;
        EXPECT_TRUE(conn.wait_closed(5s)) << c.framing;
        EXPECT_EQ(conn.pending().find("HTTP/1.1 200"), std::string::npos) << c.framing << ": the smuggled request ran";
    }
    // An invalid chunk size.
    RawConnection bad(port_);
    ASSERT_TRUE(
        bad.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"));
    auto r = bad.read_response(3s);
    ASSERT_TRUE(r) << bad.error();
    EXPECT_EQ(r->status, 400);
    EXPECT_TRUE(bad.wait_closed(5s));
    // A sound chunked body is served.
    RawConnection good(port_);
    ASSERT_TRUE(
        good.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"));
    auto ok = good.read_response(3s);
    ASSERT_TRUE(ok) << good.error();
    EXPECT_EQ(ok->status, 200) << ok->describe();
    EXPECT_EQ(ok->body, "{\"bytes\":2}");
}

TEST_F(ServerTest, AClientThatWritesItsWholeOversizedBodyFirstStillReadsThe413) {
    start();
    for (std::size_t size : {std::size_t{5000}, std::size_t{4} << 20}) {
        RawConnection conn(port_);
        ASSERT_TRUE(conn.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
                              std::to_string(size) + "\r\n\r\n"));
        ASSERT_TRUE(conn.send(std::string(size, ' '))) << size << ": " << conn.error();
        auto r = conn.read_response(5s);
        ASSERT_TRUE(r) << size << ": " << conn.error();
        EXPECT_EQ(r->status, 413);
        EXPECT_TRUE(conn.wait_closed(5s));
    }
    // A chunked body that goes over the limit while it is read.
    RawConnection chunked(port_);
    std::string body;
    for (int i = 0; i < 10; ++i) {
        body += "3e8\r\n" + std::string(1000, ' ') + "\r\n";
    }
    ASSERT_TRUE(
        chunked.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n" +
                     body + "0\r\n\r\n"));
    auto r = chunked.read_response(5s);
    ASSERT_TRUE(r) << chunked.error();
    EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, TheLingeringCloseIsBounded) {
    start({.linger_time = 2s, .linger_timeout = 1s});
    RawConnection conn(port_);
    ASSERT_TRUE(conn.send(
        "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"));
    auto r = conn.read_response(3s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 413);
    // A client that keeps sending is still cut off after linger_time.
    auto started = std::chrono::steady_clock::now();
    bool cut = false;
    while (std::chrono::steady_clock::now() - started < 10s) {
        if (!conn.send(std::string(1000, ' '), 1s)) {
            cut = true;
            break;
        }
        std::this_thread::sleep_for(100ms);
    }
    EXPECT_TRUE(cut);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 6s);
}

TEST_F(ServerTest, TheHeaderLimitCountsEveryByteOfTheHeader) {
    start({.header_limit = 8192});
    std::string fields;
    for (int i = 0; fields.size() < 12000; ++i) {
        fields += "X-F" + std::to_string(1000 + i) + ": " + std::string(40, 'v') + "\r\n";
    }
    RawConnection conn(port_);
    ASSERT_TRUE(conn.send("GET /none HTTP/1.1\r\nHost: x\r\n" + fields + "\r\n"));
    auto r = conn.read_response(3s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 431);
    EXPECT_NE(r->body.find("8192 bytes"), std::string::npos) << r->body;
}

TEST_F(ServerTest, ConnectionsBeyondTheCapAreClosedAtOnceAndTheOpenOnesAreServed) {
    start({.first_byte_timeout = 30s, .max_connections = 4, .max_connections_per_ip = 4});
    EXPECT_EQ(server_->max_connections(), 4u);
    std::vector<std::unique_ptr<RawConnection>> open;
    for (int i = 0; i < 4; ++i) {
        open.push_back(std::make_unique<RawConnection>(port_));
        ASSERT_TRUE(open.back()->connected());
    }
    std::this_thread::sleep_for(200ms);
    RawConnection extra(port_);
    EXPECT_TRUE(extra.wait_closed(2s)) << "the fifth connection must be closed at once";
    ASSERT_TRUE(open[0]->send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = open[0]->read_response(3s);
    ASSERT_TRUE(r) << open[0]->error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(metric("beacon_http_connections_refused_total{reason=\"limit\"} "), "1");
    EXPECT_EQ(metric("beacon_http_open_connections "), "4");

    open.pop_back();
    std::this_thread::sleep_for(200ms);
    RawConnection later(port_);
    ASSERT_TRUE(later.send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto l = later.read_response(3s);
    ASSERT_TRUE(l) << later.error();
    EXPECT_EQ(l->status, 200);
}

TEST_F(ServerTest, BufferedBodiesShareABoundedBudget) {
    start({.body_memory_limit = 4000});
    // One client declares 3000 bytes and sends only part of them.
    RawConnection holder(port_);
    ASSERT_TRUE(holder.send(
        "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 3000\r\n\r\n[1,"));
    std::this_thread::sleep_for(200ms);
    RawConnection second(port_);
    ASSERT_TRUE(second.send(
        "POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n"));
    auto busy = second.read_response(3s);
    ASSERT_TRUE(busy) << second.error();
    EXPECT_EQ(busy->status, 503);
    EXPECT_TRUE(busy->header("Retry-After"));
    // Once the first body is complete, its share is free again.
    ASSERT_TRUE(holder.send(std::string(2996, ' ') + "]"));
    auto done = holder.read_response(3s);
    ASSERT_TRUE(done) << holder.error();
    EXPECT_EQ(done->status, 200);
    RawConnection third(port_);
    ASSERT_TRUE(
        third.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"));
    auto ok = third.read_response(3s);
    ASSERT_TRUE(ok) << third.error();
    EXPECT_EQ(ok->status, 200);
}

TEST_F(ServerTest, AStreamedBodyIsReadInChunksWithinItsLimit) {
    start();
    RawConnection conn(port_);
    ASSERT_TRUE(
        conn.send("POST /stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                  "Content-Length: 90000\r\n\r\n" +
                  std::string(90000, 'z')));
    auto r = conn.read_response(5s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->body, "{\"bytes\":90000}");
    // Chunked, past the limit while streaming: 413.
    RawConnection over(port_);
    std::string body;
    for (int i = 0; i < 30; ++i) {
        body += "1000\r\n" + std::string(0x1000, 'z') + "\r\n";
    }
    ASSERT_TRUE(
        over.send("POST /stream HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                  "Transfer-Encoding: chunked\r\n\r\n" +
                  body + "0\r\n\r\n"));
    auto big = over.read_response(5s);
    ASSERT_TRUE(big) << over.error();
    EXPECT_EQ(big->status, 413);
}

TEST_F(ServerTest, BeyondItsBurstAClientGets429WithRetryAfterUntilTheBucketRefills) {
    start({.rate_limit = {.rate = 1, .burst = 2}, .clock = &limit_clock_});
    EXPECT_EQ(get("/none")->status, 200);
    EXPECT_EQ(get("/none")->status, 200);
    auto r = get("/none");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 429) << r->describe();
    EXPECT_EQ(r->header("Content-Type"), "application/problem+json");
    EXPECT_NE(r->body.find("\"type\":\"https://beacon.dev/problems/rate-limited\""), std::string::npos) << r->body;
    EXPECT_EQ(r->header("Retry-After"), "1");
    EXPECT_TRUE(r->keep_alive) << "a 429 leaves the connection usable";
    // Unknown paths count too, and are refused the same way.
    EXPECT_EQ(get("/nope")->status, 429);
    // Probes are never limited.
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(get("/probe")->status, 200);
    }
    EXPECT_EQ(metric("beacon_http_rate_limited_total "), "2");
    limit_clock_.advance(1000ms);
    EXPECT_EQ(get("/none")->status, 200);
    EXPECT_EQ(get("/none")->status, 429);
}

TEST_F(ServerTest, RetryAfterSaysWhenTheNextTokenComes) {
    start({.rate_limit = {.rate = 0.1, .burst = 1}, .clock = &limit_clock_});
    EXPECT_EQ(get("/none")->status, 200);
    EXPECT_EQ(get("/none")->header("Retry-After"), "10");
    limit_clock_.advance(7500ms);
    EXPECT_EQ(get("/none")->header("Retry-After"), "3");
}

TEST_F(ServerTest, AnAdminWithAValidTokenIsNotLimitedButBadTokensAre) {
    start({.rate_limit = {.rate = 1, .burst = 1}, .clock = &limit_clock_});
    const std::string admin = "Authorization: Bearer " + test::make_token(kSecret, "ops", true) + "\r\n";
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(get("/admin/x", admin)->status, 200);
    }
    EXPECT_EQ(get("/none")->status, 200) << "the admin's calls took none of the address's tokens";
    // Without a token, or with a bad one, /admin/... is public ground: a
    // flood of guesses gets 429 before any 401.
    EXPECT_EQ(get("/admin/x")->status, 429);
    EXPECT_EQ(get("/admin/x", "Authorization: Bearer nope\r\n")->status, 429);
    const std::string user = "Authorization: Bearer " + test::make_token(kSecret, "u", false) + "\r\n";
    EXPECT_EQ(get("/admin/x", user)->status, 429);
}

TEST_F(ServerTest, XForwardedForNamesTheClientOnlyFromATrustedProxy) {
    // Not trusted: the header is the client's word, and ignored.
    start({.rate_limit = {.rate = 1, .burst = 1}, .clock = &limit_clock_});
    EXPECT_EQ(get("/whoami", "X-Forwarded-For: 203.0.113.1\r\n")->body, "{\"client\":\"127.0.0.1\"}");
    EXPECT_EQ(get("/whoami", "X-Forwarded-For: 203.0.113.2\r\n")->status, 429);
    server_->shutdown();
    thread_.join();
    server_.reset();

    auto proxies = parse_cidr_list("127.0.0.0/8, ::1");
    ASSERT_TRUE(proxies.ok());
    start({.rate_limit = {.rate = 1, .burst = 1}, .trusted_proxies = *proxies, .clock = &limit_clock_});
    auto r = get("/whoami", "X-Forwarded-For: 6.6.6.6, 203.0.113.1\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "{\"client\":\"203.0.113.1\"}");
    EXPECT_EQ(get("/whoami", "X-Forwarded-For: 9.9.9.9, 203.0.113.1\r\n")->status, 429)
        << "the same client, whatever it writes on the left";
    EXPECT_EQ(get("/whoami", "X-Forwarded-For: 203.0.113.2\r\n")->status, 200) << "another client behind the proxy";
    // Without the header the proxy itself is the client.
    EXPECT_EQ(get("/whoami")->body, "{\"client\":\"127.0.0.1\"}");
}

TEST_F(ServerTest, ARateLimitOfZeroIsOff) {
    start({.rate_limit = {.rate = 0, .burst = 0}, .clock = &limit_clock_});
    for (int i = 0; i < 600; ++i) {
        ASSERT_EQ(get("/none")->status, 200) << i;
    }
}

TEST_F(ServerTest, ConnectionsBeyondThePerAddressCapAreClosedAtOnce) {
    start({.first_byte_timeout = 30s, .max_connections = 10, .max_connections_per_ip = 2});
    EXPECT_EQ(server_->max_connections_per_ip(), 2u);
    std::vector<std::unique_ptr<RawConnection>> open;
    for (int i = 0; i < 2; ++i) {
        open.push_back(std::make_unique<RawConnection>(port_));
        ASSERT_TRUE(open.back()->connected());
    }
    std::this_thread::sleep_for(200ms);
    RawConnection extra(port_);
    EXPECT_TRUE(extra.wait_closed(2s)) << "the third connection from one address must be closed at once";
    ASSERT_TRUE(open[1]->send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto r = open[1]->read_response(3s);
    ASSERT_TRUE(r) << open[1]->error();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(metric("beacon_http_connections_refused_total{reason=\"per_ip\"} "), "1");
    EXPECT_EQ(metric("beacon_http_open_connections "), "2");
    // A closed connection frees its slot.
    open.pop_back();
    std::this_thread::sleep_for(200ms);
    RawConnection later(port_);
    ASSERT_TRUE(later.send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto l = later.read_response(3s);
    ASSERT_TRUE(l) << later.error();
    EXPECT_EQ(l->status, 200);
}

TEST_F(ServerTest, ATrustedProxyIsNotHeldToThePerAddressCap) {
    auto proxies = parse_cidr_list("127.0.0.1");
    ASSERT_TRUE(proxies.ok());
    start({.first_byte_timeout = 30s, .max_connections = 10, .max_connections_per_ip = 2, .trusted_proxies = *proxies});
    std::vector<std::unique_ptr<RawConnection>> open;
    for (int i = 0; i < 5; ++i) {
        open.push_back(std::make_unique<RawConnection>(port_));
    }
    for (auto& c : open) {
        ASSERT_TRUE(c->send("GET /none HTTP/1.1\r\nHost: x\r\n\r\n"));
        auto r = c->read_response(3s);
        ASSERT_TRUE(r) << c->error();
        EXPECT_EQ(r->status, 200);
    }
}

// A client that trickles its header, a byte at a time and never finishing,
// is cut off by header_timeout (which bounds the whole header, not a pause).
TEST_F(ServerTest, AClientTricklingItsHeaderIsCutOff) {
    start({.header_timeout = 1s});
    RawConnection conn(port_);
    ASSERT_TRUE(conn.send("GET /none HTTP/1.1\r\nHost: x\r\n"));
    const std::string trickle =
        "X-Slow: "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    bool cut = false;
    for (int i = 0; i < 100 && !cut; ++i) {  // 10 s at most: ten times the timeout
        cut =
            !conn.send(trickle.substr(static_cast<std::size_t>(i) % trickle.size(), 1), 1s) || conn.wait_closed(100ms);
    }
    EXPECT_TRUE(cut) << "a header trickled a byte every 100 ms must not hold the connection";
    EXPECT_EQ(conn.pending().find("HTTP/1.1 200"), std::string::npos);
}

// A buffered (JSON) body must arrive whole within body_timeout: trickling
// it a byte at a time does not hold the connection (nor its share of the
// body budget).
TEST_F(ServerTest, AClientTricklingABufferedBodyIsCutOff) {
    start({.body_timeout = 1s});
    RawConnection conn(port_);
    ASSERT_TRUE(
        conn.send("POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n["));
    bool cut = false;
    for (int i = 0; i < 100 && !cut; ++i) {
        cut = !conn.send(" ", 1s) || conn.wait_closed(100ms);
    }
    EXPECT_TRUE(cut) << "a body trickled a byte every 100 ms must not hold the connection";
    EXPECT_EQ(conn.pending().find("HTTP/1.1 200"), std::string::npos);
}

TEST_F(ServerTest, EveryResponseCarriesTheSecurityHeaders) {
    start();
    struct Case {
        std::string request;
        int status;
        bool admin;
    };
    for (const Case& c :
         {Case{"GET /none HTTP/1.1\r\nHost: x\r\n\r\n", 200, false},
          Case{"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, false},
          Case{"DELETE /none HTTP/1.1\r\nHost: x\r\n\r\n", 405, false},
          Case{"GET /boom HTTP/1.1\r\nHost: x\r\n\r\n", 500, false},
          Case{"POST /json HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}", 415, false},
          Case{"GET /admin/x HTTP/1.1\r\nHost: x\r\n\r\n", 401, true},
          Case{"GET /admin/x?y=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
                   test::make_token(kSecret, "ops", true) + "\r\n\r\n",
               200,
               true},
          Case{"GET /admin/nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, true},
          Case{"GARBAGE\r\n\r\n", 400, false}}) {
        RawConnection conn(port_);
        ASSERT_TRUE(conn.send(c.request));
        auto r = conn.read_response(3s);
        ASSERT_TRUE(r) << c.request << conn.error();
        EXPECT_EQ(r->status, c.status) << c.request << r->describe();
        EXPECT_EQ(r->header("X-Content-Type-Options"), "nosniff") << c.request;
        if (c.admin) {
            EXPECT_EQ(r->header("Cache-Control"), "no-store") << c.request;
            EXPECT_EQ(r->header("Content-Security-Policy"), "frame-ancestors 'none'") << c.request;
        } else {
            EXPECT_FALSE(r->header("Content-Security-Policy")) << c.request;
        }
        EXPECT_FALSE(r->header("Access-Control-Allow-Origin")) << "CORS is off by default: " << c.request;
    }
}

TEST_F(ServerTest, CorsIsOffByDefault) {
    start();
    auto pre = get("/none", "Origin: https://console.example.com\r\nAccess-Control-Request-Method: GET\r\n");
    ASSERT_TRUE(pre);
    RawConnection conn(port_);
    ASSERT_TRUE(
        conn.send("OPTIONS /none HTTP/1.1\r\nHost: x\r\nOrigin: https://console.example.com\r\n"
                  "Access-Control-Request-Method: GET\r\n\r\n"));
    auto r = conn.read_response(3s);
    ASSERT_TRUE(r) << conn.error();
    EXPECT_EQ(r->status, 405);
    EXPECT_FALSE(r->header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(pre->header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(pre->header("Vary"));
}

TEST_F(ServerTest, CorsAnswersTheListedOriginsOnly) {
    start({.cors_origins = {"https://console.example.com"}});
    auto preflight = [&](std::string_view target, std::string_view origin) {
        RawConnection conn(port_);
        EXPECT_TRUE(conn.send("OPTIONS " + std::string(target) +
                              " HTTP/1.1\r\nHost: x\r\nOrigin: " + std::string(origin) +
                              "\r\nAccess-Control-Request-Method: POST\r\n"
                              "Access-Control-Request-Headers: authorization, content-type\r\n\r\n"));
        return conn.read_response(3s);
    };
    auto ok = preflight("/json", "https://console.example.com");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 204) << ok->describe();
    EXPECT_EQ(ok->header("Access-Control-Allow-Origin"), "https://console.example.com");
    EXPECT_EQ(ok->header("Access-Control-Allow-Methods"), "POST");
    auto allowed_headers = ok->header("Access-Control-Allow-Headers").value_or("");
    for (std::string_view h : {"Authorization", "Content-Type", "If-Match", "If-None-Match"}) {
        EXPECT_NE(allowed_headers.find(h), std::string::npos) << h;
    }
    EXPECT_EQ(ok->header("Access-Control-Max-Age"), "600");
    EXPECT_EQ(ok->header("Vary"), "Origin");
    EXPECT_FALSE(ok->header("Access-Control-Allow-Credentials"));
    EXPECT_EQ(ok->header("X-Content-Type-Options"), "nosniff");

    // Another origin (even one that only differs in scheme or port) gets nothing.
    for (std::string_view other :
         {"https://evil.example.com", "http://console.example.com", "https://console.example.com:444", "null"}) {
        auto no = preflight("/json", other);
        ASSERT_TRUE(no);
        EXPECT_EQ(no->status, 405) << other;
        EXPECT_FALSE(no->header("Access-Control-Allow-Origin")) << other;
        EXPECT_EQ(no->header("Vary"), "Origin");
    }
    // An unknown path is a 404 as ever.
    EXPECT_EQ(preflight("/nope", "https://console.example.com")->status, 404);

    // The actual request: the origin is echoed, never '*'.
    auto r = get("/none", "Origin: https://console.example.com\r\n");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("Access-Control-Allow-Origin"), "https://console.example.com");
    EXPECT_EQ(r->header("Vary"), "Origin");
    EXPECT_NE(r->header("Access-Control-Expose-Headers").value_or("").find("Retry-After"), std::string::npos);
    auto problem = get("/nope", "Origin: https://console.example.com\r\n");
    EXPECT_EQ(problem->header("Access-Control-Allow-Origin"), "https://console.example.com")
        << "problems are readable by the page too";
    auto other = get("/none", "Origin: https://evil.example.com\r\n");
    EXPECT_FALSE(other->header("Access-Control-Allow-Origin"));
    EXPECT_EQ(other->header("Vary"), "Origin");
}

TEST(ConnectionCap, DerivesFromTheDescriptorLimit) {
    EXPECT_EQ(connections_for_fd_limit(256), 96u);
    EXPECT_EQ(connections_for_fd_limit(1024), 480u);
    EXPECT_EQ(connections_for_fd_limit(10), 16u);
    EXPECT_EQ(connections_for_fd_limit(std::uint64_t{1} << 40), 1'000'000u);
}

TEST(ConnectionCap, PerAddressDefaultsToAQuarterOfTheCap) {
    EXPECT_EQ(default_connections_per_ip(480), 120u);
    EXPECT_EQ(default_connections_per_ip(3), 1u);
    EXPECT_EQ(default_connections_per_ip(0), 1u);
}

}  // namespace
}  // namespace beacon::http
