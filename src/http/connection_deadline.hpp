#pragma once

// One timer per connection instead of one per operation (issue 15). Beast's
// tcp_stream arms and cancels a timer around every read and write; on a
// kept-alive heartbeat that machinery was over half of the request's
// instructions (docs/PERFORMANCE.md). Here an operation only stores its
// deadline (one clock read); one wait per connection wakes when the deadline
// it knows of passes and then either waits again, for the deadline the
// operations since have moved it to, or closes the socket. The
// timer is set again only when a deadline comes earlier than the one it waits
// for, or after it woke with nothing left to watch: on a busy connection
// whose timeouts are alike, about once per timeout.
//
// Single-threaded: the connection's coroutine and the wait run on the
// socket's executor (one thread per io_context in http/server).

#include <chrono>
#include <memory>

#include <boost/asio/ip/tcp.hpp>

namespace beacon::http {

class ConnectionDeadline {
public:
    using Clock = std::chrono::steady_clock;

    // The socket must outlive this object.
    explicit ConnectionDeadline(boost::asio::ip::tcp::socket& socket);
    ~ConnectionDeadline();
    ConnectionDeadline(const ConnectionDeadline&) = delete;
    ConnectionDeadline& operator=(const ConnectionDeadline&) = delete;

    // The operation about to start on the socket must complete by `at`, or
    // within `timeout` from now; if it has not, the socket is closed.
    void arm_at(Clock::time_point at);
    void arm(Clock::duration timeout) { arm_at(Clock::now() + timeout); }
    // The operation ended: no deadline applies until the next arm (a request
    // handler may take as long as it needs between a read and a write).
    void disarm();

    // True when the socket was closed because the last armed deadline passed
    // (an operation that failed with operation_aborted timed out).
    [[nodiscard]] bool expired() const;

private:
    struct State;
    static void wait_until(const std::shared_ptr<State>& s, Clock::time_point at);
    static void on_wake(const std::shared_ptr<State>& s, const boost::system::error_code& ec);

    std::shared_ptr<State> state_;
};

}  // namespace beacon::http
