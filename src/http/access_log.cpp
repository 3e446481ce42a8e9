#include "http/access_log.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>

namespace beacon::http {
namespace {

constexpr std::size_t kBlock = 32 * 1024;

void append_escaped(std::string& out, std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out.push_back('\\');
            out.push_back(c);
        } else if (u < 0x20) {
            const char esc[] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xF]};
            out.append(esc, sizeof esc);
        } else {
            out.push_back(c);
        }
    }
}

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

AccessLog::~AccessLog() { flush_all(); }

void AccessLog::format_line(std::string& out, Format format, std::chrono::system_clock::time_point at,
                            std::string_view method, std::string_view path, int status,
                            std::chrono::duration<double> took, std::string_view request_id) {
    // Hand-formatted: snprintf's format interpretation cost more than the
    // rest of a small request (callgrind).
    using namespace std::chrono;
    const auto ms = floor<milliseconds>(at);
    const auto day = floor<days>(ms);
    const year_month_day ymd{day};
    const hh_mm_ss hms{ms - day};
    auto two = [](char* p, unsigned v) {
        p[0] = static_cast<char>('0' + v / 10);
        p[1] = static_cast<char>('0' + v % 10);
    };
    char time[] = "0000-00-00T00:00:00.000Z";
    const auto y = static_cast<unsigned>(static_cast<int>(ymd.year()));
    two(time, y / 100 % 100);
    two(time + 2, y % 100);
    two(time + 5, static_cast<unsigned>(ymd.month()));
    two(time + 8, static_cast<unsigned>(ymd.day()));
    two(time + 11, static_cast<unsigned>(hms.hours().count()));
    two(time + 14, static_cast<unsigned>(hms.minutes().count()));
    two(time + 17, static_cast<unsigned>(hms.seconds().count()));
    const auto milli = static_cast<unsigned>(hms.subseconds().count());
    time[20] = static_cast<char>('0' + milli / 100);
    two(time + 21, milli % 100);
    const std::string_view stamp(time, sizeof time - 1);

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
        out.append("{\"time\":\"").append(stamp).append("\",\"level\":\"info\",\"msg\":\"");
        append_escaped(out, method);
        out.push_back(' ');
        append_escaped(out, path);
        out.append(rest);
        append_escaped(out, request_id);
        out.append("\"}\n");
    } else {
        out.append(stamp).append(" info ");
        out.append(method).push_back(' ');
        out.append(path).append(rest).append(request_id).push_back('\n');
    }
}

void AccessLog::record(std::size_t slot, std::string_view method, std::string_view path, int status,
                       std::chrono::duration<double> took, std::string_view request_id) {
    auto& pending = slots_[slot % slots_.size()].pending;
    format_line(pending, format_, std::chrono::system_clock::now(), method, path, status, took, request_id);
    if (pending.size() >= kBlock) {
        write_all(pending);
    }
}

void AccessLog::flush(std::size_t slot) { write_all(slots_[slot % slots_.size()].pending); }

void AccessLog::flush_all() {
    for (auto& s : slots_) {
        write_all(s.pending);
    }
}

}  // namespace beacon::http
