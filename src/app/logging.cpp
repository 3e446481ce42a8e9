#include "app/logging.hpp"

#include <unistd.h>

#include <cerrno>
#include <mutex>
#include <string>

#include <spdlog/async.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace beacon::app {
namespace {

// `%*` in a pattern: the message as the inside of a JSON string, so that a
// message holding quotes, backslashes or control bytes cannot break the line.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr char kHex[] = "0123456789abcdef";
        for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
            auto u = static_cast<unsigned char>(c);
            if (c == '"' || c == '\\') {
                dest.push_back('\\');
                dest.push_back(c);
            } else if (u < 0x20) {
                const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xF]};
                dest.append(esc, esc + sizeof esc);
            } else {
                dest.push_back(c);
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedMessage>(); }
};

// stderr in blocks: spdlog's stderr sink flushes after every line, which at
// load is one write(2) per request on the log thread. Lines are written when
// 64 KiB have gathered, at once for warnings and errors, on every flush
// (flush_every: each second) and at exit (spdlog::shutdown flushes).
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    ~BufferedStderrSink() override { write_out(); }

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t line;
        formatter_->format(msg, line);
        pending_.append(line.data(), line.size());
        if (pending_.size() >= kBlock || msg.level >= spdlog::level::warn) {
            write_out();
        }
    }
    void flush_() override { write_out(); }

private:
    static constexpr std::size_t kBlock = 64 * 1024;

    void write_out() {
        std::size_t done = 0;
        while (done < pending_.size()) {
            ssize_t n = ::write(STDERR_FILENO, pending_.data() + done, pending_.size() - done);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;  // stderr is gone: drop the lines rather than block the log thread
            }
            done += static_cast<std::size_t>(n);
        }
        pending_.clear();
    }

    std::string pending_;
};

}  // namespace

void setup_logging(LogFormat format) {
    // 8192 queued lines: enough for bursts; each slot is preallocated, so more costs idle RSS.
    spdlog::init_thread_pool(8192, 1);
    auto logger = spdlog::create_async_nb<BufferedStderrSink>("beacon");
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    if (format == LogFormat::Json) {
        formatter->add_flag<JsonEscapedMessage>('*').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%*"})");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v");
    }
    logger->set_formatter(std::move(formatter));
    spdlog::set_default_logger(logger);
    spdlog::flush_every(std::chrono::seconds(1));
}

}  // namespace beacon::app
