#include "app/logging.hpp"

#include <spdlog/async.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace beacon::app {

void setup_logging(LogFormat format) {
    spdlog::init_thread_pool(65536, 1);
    auto logger = spdlog::create_async_nb<spdlog::sinks::stderr_sink_mt>("beacon");
    if (format == LogFormat::Json) {
        // Messages are ours and carry no quotes or backslashes from clients:
        // paths are logged without their query and request ids are validated.
        logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","msg":"%v"})", spdlog::pattern_time_type::utc);
    } else {
        logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    }
    spdlog::set_default_logger(logger);
    spdlog::flush_every(std::chrono::seconds(1));
}

}  // namespace beacon::app
