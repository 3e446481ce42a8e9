#include "integration/test_peer.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "support/server_process.hpp"

namespace beacon::e2e {
namespace {

std::filesystem::path script_for(TestPeer::Kind kind) {
    std::filesystem::path dir = std::filesystem::path(BEACON_SOURCE_DIR) / "tools" / "test-services";
    return dir / (kind == TestPeer::Kind::Postgres ? "postgres.sh" : "redis.sh");
}

bool executable(const std::filesystem::path& p) {
    return ::access(p.c_str(), X_OK) == 0;
}

bool on_path(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path != nullptr ? path : "");
    std::string dir;
    for (int i = 0; i < 64 && std::getline(dirs, dir, ':'); ++i) {
        if (!dir.empty() && executable(std::filesystem::path(dir) / name)) {
            return true;
        }
    }
    return false;
}

// The value of `export NAME=value` in the scripts' env file.
std::string exported_value(const std::filesystem::path& env_file) {
    std::ifstream in(env_file);
    std::string line;
    std::getline(in, line);
    auto eq = line.find('=');
    return eq == std::string::npos ? std::string() : line.substr(eq + 1);
}

// The pids whose parent is `parent` (from /proc/<pid>/stat).
std::vector<pid_t> children_of(pid_t parent) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const std::string name = entry.path().filename().string();
        if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream in(entry.path() / "stat");
        std::string stat;
        std::getline(in, stat);
        // "pid (comm) state ppid ...": comm may hold spaces, so parse after ')'.
        auto close = stat.rfind(')');
        if (close == std::string::npos) {
            continue;
        }
        std::istringstream rest(stat.substr(close + 1));
        std::string state;
        long ppid = 0;
        if (rest >> state >> ppid && ppid == parent) {
            out.push_back(static_cast<pid_t>(std::stol(name)));
        }
    }
    return out;
}

}  // namespace

TestPeer::TestPeer(Kind kind, std::filesystem::path state) : kind_(kind), state_(std::move(state)) {}

TestPeer::~TestPeer() {
    if (frozen_) {
        (void)thaw();
    }
    if (running_) {
        (void)stop();
    }
}

std::string TestPeer::unavailable_reason(Kind kind) {
    if (!executable(script_for(kind))) {
        return script_for(kind).string() + " is missing";
    }
    if (kind == Kind::Postgres) {
        const char* bin = std::getenv("BEACON_PG_BIN");
        std::filesystem::path initdb =
            std::filesystem::path(bin != nullptr ? bin : "/usr/lib/postgresql/15/bin") / "initdb";
        return executable(initdb) ? std::string() : initdb.string() + " is not installed";
    }
    return on_path("redis-server") ? std::string() : "redis-server is not installed";
}

std::string TestPeer::run(const std::string& command) const {
    // initdb and a cold start under a loaded machine take a while; a stop
    // waits for the server to exit (PostgreSQL: at most 30 s, then SIGQUIT).
    // run_command drops BEACON_* from the environment; keep the scripts' own.
    std::map<std::string, std::string> env;
    if (const char* bin = std::getenv("BEACON_PG_BIN"); bin != nullptr) {
        env["BEACON_PG_BIN"] = bin;
    }
    auto r = test::run_command(script_for(kind_), {command, state_.string()}, env, std::chrono::seconds(150));
    if (r.exit_code == 0) {
        return {};
    }
    return script_for(kind_).filename().string() + " " + command + " exited " + std::to_string(r.exit_code) + ": " +
           r.err + r.out;
}

std::string TestPeer::start() {
    auto err = run("start");
    if (err.empty()) {
        running_ = true;
        url_ = exported_value(state_ / "env");
        if (url_.empty()) {
            err = "no URL in " + (state_ / "env").string();
        }
    }
    return err;
}

std::string TestPeer::stop() {
    auto err = run("stop");
    running_ = !err.empty() && running_;
    return err;
}

std::string TestPeer::resume() {
    auto err = run("resume");
    running_ = running_ || err.empty();
    return err;
}

std::string TestPeer::signal_all(int signal) const {
    std::ifstream in(state_ / (kind_ == Kind::Postgres ? "postgres.pid" : "redis.pid"));
    long pid = 0;
    if (!(in >> pid) || pid <= 1) {
        return "no pid file in " + state_.string();
    }
    // The parent first on SIGSTOP (so it starts no new child meanwhile).
    if (::kill(static_cast<pid_t>(pid), signal) != 0) {
        return "kill(" + std::to_string(pid) + "): " + std::strerror(errno);
    }
    for (pid_t child : children_of(static_cast<pid_t>(pid))) {
        (void)::kill(child, signal);  // it may have exited meanwhile
    }
    return {};
}

std::string TestPeer::freeze() {
    auto err = signal_all(SIGSTOP);
    frozen_ = frozen_ || err.empty();
    return err;
}

std::string TestPeer::thaw() {
    auto err = signal_all(SIGCONT);
    frozen_ = frozen_ && !err.empty();
    return err;
}

std::string TestPeer::logs() const {
    auto r = test::run_command(script_for(kind_), {"logs", state_.string()}, {}, std::chrono::seconds(20));
    return r.out + r.err;
}

}  // namespace beacon::e2e
