#pragma once

// One line per request, in the server log's own format (text or JSON), kept
// off the hot path: each I/O thread appends to its own buffer and writes it
// to stderr in blocks (at 32 KiB, and at least once a second), with no lock
// and no wake-up of another thread. Through spdlog's async queue every
// request cost a futex wake of the log thread (strace: ~0.8 futex calls per
// request at load).
//
// Lines reach stderr at most about a second after the request, so they may
// interleave out of order with other log lines by that much.

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace beacon::http {

class AccessLog {
public:
    enum class Format { Text, Json };

    // `slots`: one per I/O thread.
    AccessLog(Format format, std::size_t slots);
    ~AccessLog();
    AccessLog(const AccessLog&) = delete;
    AccessLog& operator=(const AccessLog&) = delete;

    // On I/O thread `slot` only.
    void record(std::size_t slot,
                std::string_view method,
                std::string_view path,
                int status,
                std::chrono::duration<double> took,
                std::string_view request_id);
    // Writes out what `slot` holds; on that slot's thread (or when none runs).
    void flush(std::size_t slot);
    void flush_all();

    // "2026-11-25T08:00:00.123Z info GET /x 200 0.071ms id=..." or the JSON
    // form {"time":...,"level":"info","msg":"GET /x 200 0.071ms id=..."}.
    static void format_line(std::string& out,
                            Format format,
                            std::chrono::system_clock::time_point at,
                            std::string_view method,
                            std::string_view path,
                            int status,
                            std::chrono::duration<double> took,
                            std::string_view request_id);

private:
    struct alignas(64) Slot {
        std::string pending;
    };
    Format format_;
    std::vector<Slot> slots_;
};

}  // namespace beacon::http
