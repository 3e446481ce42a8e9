#pragma once

// Awaiting a domain operation that reports through a callback (the event
// ingestor's group commit, the presence service's heartbeats): the domain
// knows nothing of Asio, so it takes a `done(T)` to call exactly once, on any
// thread. A request coroutine awaits it without blocking its I/O thread.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace beacon::http {

// Calls `start(done)` and yields what `done` was given. When `done` runs
// before start() returns (the work was done inline), the coroutine goes on
// at once, without a round through its executor; otherwise it resumes on its
// own executor when `done` runs, from whatever thread that is.
template <class T, class Start>
boost::asio::awaitable<T> await_done(Start start) {
    namespace asio = boost::asio;
    struct State {
        std::mutex mu;
        std::optional<T> value;         // done ran, nobody waiting yet
        std::function<void(T)> resume;  // somebody waiting
    };
    auto state = std::make_shared<State>();
    start([state](T v) {
        std::unique_lock lock(state->mu);
        if (state->resume) {
            auto resume = std::move(state->resume);
            lock.unlock();
            resume(std::move(v));
        } else {
            state->value = std::move(v);
        }
    });
    {
        std::lock_guard lock(state->mu);
        if (state->value) {
            co_return std::move(*state->value);
        }
    }
    // A named initiation, not a lambda temporary in the co_await expression:
    // g++ 12 destroyed such a temporary twice here, and with it the captured
    // `state` (ASan: heap-use-after-free).
    auto initiation = [state](auto handler) {
        // The wait is outstanding work of the coroutine's executor, as for
        // any Asio operation: its io_context does not run out of work
        // (and return from run()) while the coroutine waits.
        auto work = std::make_shared<decltype(asio::make_work_guard(asio::get_associated_executor(handler)))>(
            asio::make_work_guard(asio::get_associated_executor(handler)));
        auto h = std::make_shared<decltype(handler)>(std::move(handler));
        auto deliver = [h, work](T v) {
            auto shared = std::make_shared<T>(std::move(v));
            asio::post(work->get_executor(), [h, work, shared]() mutable {
                std::move (*h)(shared);
                work->reset();
            });
        };
        std::unique_lock lock(state->mu);
        if (state->value) {  // done ran between the check above and here
            T v = std::move(*state->value);
            state->value.reset();
            lock.unlock();
            deliver(std::move(v));
        } else {
            state->resume = std::move(deliver);
        }
    };
    auto result = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::shared_ptr<T>)>(
        std::move(initiation), asio::use_awaitable);
    co_return std::move(*result);
}

}  // namespace beacon::http
