#include "http/connection_deadline.hpp"

#include <boost/asio/steady_timer.hpp>

namespace beacon::http {

namespace asio = boost::asio;

struct ConnectionDeadline::State {
    explicit State(asio::ip::tcp::socket& s) : socket(&s), timer(s.get_executor()) {}

    asio::ip::tcp::socket* socket;  // null once the connection is gone
    asio::steady_timer timer;
    Clock::time_point deadline = Clock::time_point::max();     // of the pending operation; max: none
    Clock::time_point waiting_for = Clock::time_point::max();  // the pending wait's expiry; max: none
    bool expired = false;
};

void ConnectionDeadline::on_wake(const std::shared_ptr<State>& s, const boost::system::error_code& ec) {
    // Cancelled: the wait was replaced by an earlier one, or the connection ended.
    if (ec == asio::error::operation_aborted || s->socket == nullptr) {
        return;
    }
    const auto now = Clock::now();
    if (s->waiting_for > now) {
        return;  // this wake was queued before a later wait replaced it: that one watches
    }
    s->waiting_for = Clock::time_point::max();
    if (s->deadline == Clock::time_point::max()) {
        return;  // no operation pending: the next arm starts a wait
    }
    if (s->deadline <= now) {
        s->expired = true;
        // Closed, as Beast's tcp_stream does: the pending operation ends with
        // operation_aborted, and nothing more is read or written.
        boost::system::error_code ignored;
        s->socket->close(ignored);
        return;
    }
    wait_until(s, s->deadline);
}

void ConnectionDeadline::wait_until(const std::shared_ptr<State>& s, Clock::time_point at) {
    s->waiting_for = at;
    s->timer.expires_at(at);  // a pending wait ends with operation_aborted
    s->timer.async_wait([s](const boost::system::error_code& ec) { on_wake(s, ec); });
}

ConnectionDeadline::ConnectionDeadline(asio::ip::tcp::socket& socket) : state_(std::make_shared<State>(socket)) {}

ConnectionDeadline::~ConnectionDeadline() {
    state_->socket = nullptr;
    state_->timer.cancel();  // the wait's handler holds the state until it has run
}

void ConnectionDeadline::arm_at(Clock::time_point at) {
    state_->expired = false;
    state_->deadline = at;
    if (at < state_->waiting_for) {
        wait_until(state_, at);
    }
}

void ConnectionDeadline::disarm() {
    state_->deadline = Clock::time_point::max();
}

bool ConnectionDeadline::expired() const {
    return state_->expired;
}

}  // namespace beacon::http
