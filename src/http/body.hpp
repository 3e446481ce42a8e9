#pragma once

// The body of every Beacon response: text (JSON, problems, metrics) or a
// slice of a file on disk (artifact downloads), so a 2 GiB APK is streamed in
// 64 KiB reads and never held in memory. The value is a std::string with an
// optional file slice attached: handlers that produce text use it exactly as
// a string; when `file` is set the string is ignored.
//
// A Beast Body (see boost/beast/http/type_traits.hpp, is_body_writer): only
// the writer is provided, since requests are parsed with string_body.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/optional.hpp>

namespace beacon::http {

// An open file and the byte range of it to send.
struct FileSlice {
    FileSlice(std::FILE* f, std::uint64_t off, std::uint64_t len) : file(f), offset(off), length(len) {}
    ~FileSlice() {
        if (file != nullptr) {
            std::fclose(file);
        }
    }
    FileSlice(const FileSlice&) = delete;
    FileSlice& operator=(const FileSlice&) = delete;

    std::FILE* file;
    std::uint64_t offset;
    std::uint64_t length;
};

struct TextOrFileBody {
    struct value_type : std::string {
        using std::string::string;
        using std::string::operator=;
        value_type() = default;
        value_type(std::string s) : std::string(std::move(s)) {}  // NOLINT(google-explicit-constructor)
        std::shared_ptr<FileSlice> file;
        // Set by problem_response() for a 503 from a failed backend (Error::backend).
        const char* failed_backend = nullptr;
    };

    static std::uint64_t size(const value_type& v) { return v.file ? v.file->length : v.size(); }

    class writer {
    public:
        using const_buffers_type = boost::asio::const_buffer;

        template <bool isRequest, class Fields>
        writer(const boost::beast::http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}

        void init(boost::beast::error_code& ec) {
            ec = {};
            if (body_.file) {
                remaining_ = body_.file->length;
                if (std::fseek(body_.file->file, static_cast<long>(body_.file->offset), SEEK_SET) != 0) {
                    ec = boost::beast::error_code(errno, boost::system::generic_category());
                }
                buffer_ = std::make_unique<char[]>(kChunk);
            }
        }

        boost::optional<std::pair<const_buffers_type, bool>> get(boost::beast::error_code& ec) {
            ec = {};
            if (!body_.file) {
                if (text_sent_ || body_.empty()) {
                    return boost::none;
                }
                text_sent_ = true;
                return {{const_buffers_type(body_.data(), body_.size()), false}};
            }
            if (remaining_ == 0) {
                return boost::none;
            }
            std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, kChunk));
            std::size_t got = std::fread(buffer_.get(), 1, want, body_.file->file);
            if (got == 0) {
                ec = boost::beast::error_code(EIO, boost::system::generic_category());
                return boost::none;
            }
            remaining_ -= got;
            return {{const_buffers_type(buffer_.get(), got), remaining_ > 0}};
        }

    private:
        static constexpr std::size_t kChunk = 64 * 1024;
        const value_type& body_;
        bool text_sent_ = false;
        std::uint64_t remaining_ = 0;
        std::unique_ptr<char[]> buffer_;
    };
};

}  // namespace beacon::http
