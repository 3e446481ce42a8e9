#include "http/access_log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "core/json_escape.hpp"
#include "core/time_format.hpp"

namespace beacon::http {
namespace {

constexpr std::size_t kBlock = 32 * 1024;

void write_all(std::string& pending) {
    std::size_t done = 0;
    while (done < pending.size()) {
        ssize_t n = ::write(STDERR_FILENO, pending.data() + done, pending.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;  // stderr is gone: drop the lines rather than stall an I/O thread
        }
        done += static_cast<std::size_t>(n);
    }
    pending.clear();
}

}  // namespace

AccessLog::AccessLog(Format format, std::size_t slots) : format_(format), slots_(slots == 0 ? 1 : slots) {}

AccessLog::~AccessLog() {
    flush_all();
}

void AccessLog::format_line(std::string& out,
                            Format format,
                            std::chrono::system_clock::time_point at,
                            std::string_view method,
                            std::string_view path,
                            int status,
                            std::chrono::duration<double> took,
                            std::string_view request_id) {
    // Hand-formatted (append_iso8601, to_chars): snprintf's format
    // interpretation cost more than the rest of a small request (callgrind).
    const TimePoint stamp = std::chrono::floor<std::chrono::milliseconds>(at);
    char tail[64];
    char* p = tail;
    *p++ = ' ';
    p = std::to_chars(p, tail + sizeof tail, status).ptr;
    *p++ = ' ';
    p = std::to_chars(p, tail + 40, took.count() * 1e3, std::chars_format::fixed, 3).ptr;
    for (char c : std::string_view("ms id=")) {
        *p++ = c;
    }
    const std::string_view rest(tail, static_cast<std::size_t>(p - tail));

    if (format == Format::Json) {
        out.append("{\"time\":\"");
        append_iso8601(out, stamp);
        out.append("\",\"level\":\"info\",\"msg\":\"");
        append_json_escaped(out, method);
        out.push_back(' ');
        append_json_escaped(out, path);
        out.append(rest);
        append_json_escaped(out, request_id);
        out.append("\"}\n");
    } else {
        append_iso8601(out, stamp);
        out.append(" info ");
        out.append(method).push_back(' ');
        out.append(path).append(rest).append(request_id).push_back('\n');
    }
}

void AccessLog::record(std::size_t slot,
                       std::string_view method,
                       std::string_view path,
                       int status,
                       std::chrono::duration<double> took,
                       std::string_view request_id) {
    auto& pending = slots_[slot % slots_.size()].pending;
    format_line(pending, format_, std::chrono::system_clock::now(), method, path, status, took, request_id);
    if (pending.size() >= kBlock) {
        write_all(pending);
    }
}

void AccessLog::flush(std::size_t slot) {
    write_all(slots_[slot % slots_.size()].pending);
}

void AccessLog::flush_all() {
    for (auto& s : slots_) {
        write_all(s.pending);
    }
}

}  // namespace beacon::http
