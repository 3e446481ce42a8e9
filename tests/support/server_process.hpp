#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace beacon::test {

// The real `beacon serve` binary as a child process on a free loopback port.
// stdout and stderr go to `log_file()` (appended across restarts). The child
// gets the test's environment without any BEACON_* variable, plus `env`.
class ServerProcess {
public:
    struct Options {
        std::filesystem::path binary;    // the beacon executable
        std::filesystem::path data_dir;  // passed as --data-dir; kept across restart()
        std::filesystem::path work_dir;  // port file and log live here
        std::vector<std::string> args;   // extra flags after `serve` (a --listen replaces 127.0.0.1:0)
        std::map<std::string, std::string> env;
        std::chrono::seconds start_timeout{20};
    };

    explicit ServerProcess(Options options);
    // Kills a server still running (SIGKILL) and reaps it.
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    // Starts the server and waits (bounded) for it to write its port.
    // False, with the reason in error(), when it did not come up.
    bool start();
    // SIGTERM, then waits for the exit; SIGKILL after `kill_after`.
    // Returns the exit code, or 128 + signal when it died of a signal;
    // -1 when it was not running.
    int stop(std::chrono::seconds kill_after = std::chrono::seconds(35));
    // Sends SIGTERM without waiting; wait() reaps it later.
    bool terminate();
    // Waits for a terminated server to exit; see stop() for the value.
    int wait(std::chrono::seconds kill_after = std::chrono::seconds(35));
    // stop() then start() on the same data dir; the port changes.
    bool restart();

    bool running() const { return pid_ > 0; }
    pid_t pid() const { return pid_; }
    std::uint16_t port() const { return port_; }
    const std::filesystem::path& data_dir() const { return opts_.data_dir; }
    const std::filesystem::path& log_file() const { return log_file_; }
    const std::string& error() const { return error_; }
    // The whole log so far.
    std::string log() const;

private:
    Options opts_;
    std::filesystem::path log_file_;
    std::filesystem::path port_file_;
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string error_;
};

// Result of running the binary to completion.
struct CommandResult {
    int exit_code = -1;
    std::string out;  // stdout
    std::string err;  // stderr
};

// Runs `binary args...` with the test's environment minus BEACON_* plus
// `env`; bounded by `timeout` (then killed, exit_code -1).
CommandResult run_command(const std::filesystem::path& binary,
                          const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env = {},
                          std::chrono::seconds timeout = std::chrono::seconds(30));

}  // namespace beacon::test
