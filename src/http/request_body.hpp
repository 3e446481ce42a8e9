#pragma once

// The body type requests are parsed into: Beast's string_body, except that it
// never reserves memory from the declared Content-Length. string_body
// reserves the whole declared length as soon as the header is complete, before
// the server has looked at the route's limit, so `Content-Length:
// 1000000000000000` on any route threw bad_alloc. Here the string grows only
// with the bytes that actually arrive, and the server checks the declared
// length against the route's limit before it reads any of them.

#include <cstdint>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

namespace beacon::http {

struct RequestBody {
    using value_type = std::string;

    static std::uint64_t size(const value_type& body) { return body.size(); }

    class reader {
    public:
        template <bool isRequest, class Fields>
        reader(boost::beast::http::header<isRequest, Fields>&, value_type& body) : body_(body) {}

        void init(const boost::optional<std::uint64_t>& length, boost::beast::error_code& ec) {
            ec = {};
            // A small head start for the common case; never the declared size.
            if (length) {
                body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(*length, kInitialReserve)));
            }
        }

        template <class ConstBufferSequence>
        std::size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
            const std::size_t extra = boost::asio::buffer_size(buffers);
            if (extra > body_.max_size() - body_.size()) {
                ec = boost::beast::http::error::buffer_overflow;
                return 0;
            }
            ec = {};
            for (auto b : boost::beast::buffers_range_ref(buffers)) {
                body_.append(static_cast<const char*>(b.data()), b.size());
            }
            return extra;
        }

        void finish(boost::beast::error_code& ec) { ec = {}; }

    private:
        static constexpr std::uint64_t kInitialReserve = 16 * 1024;
        value_type& body_;
    };
};

}  // namespace beacon::http
