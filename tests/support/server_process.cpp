#include "support/server_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace beacon::test {
namespace {

using SteadyClock = std::chrono::steady_clock;

// argv/envp storage built before fork(): the child only calls
// async-signal-safe functions.
struct ExecArgs {
    std::vector<std::string> storage_argv;
    std::vector<std::string> storage_env;
    std::vector<char*> argv;
    std::vector<char*> envp;

    ExecArgs(const std::filesystem::path& binary,
             const std::vector<std::string>& args,
             const std::map<std::string, std::string>& env) {
        storage_argv.push_back(binary.string());
        storage_argv.insert(storage_argv.end(), args.begin(), args.end());
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
            std::string_view kv(*e);
            std::string_view key = kv.substr(0, kv.find('='));
            if (key.starts_with("BEACON_") || env.contains(std::string(key))) {
                continue;
            }
            storage_env.emplace_back(kv);
        }
        for (const auto& [k, v] : env) {
            storage_env.push_back(k + "=" + v);
        }
        for (auto& s : storage_argv) {
            argv.push_back(s.data());
        }
        argv.push_back(nullptr);
        for (auto& s : storage_env) {
            envp.push_back(s.data());
        }
        envp.push_back(nullptr);
    }
};

// Child side of fork(): stdin from /dev/null, stdout/stderr to the given fds,
// die with the parent, exec. Never returns.
[[noreturn]] void exec_child(const ExecArgs& a, int out_fd, int err_fd) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) {
        ::dup2(devnull, 0);
    }
    ::dup2(out_fd, 1);
    ::dup2(err_fd, 2);
    ::execve(a.argv[0], a.argv.data(), a.envp.data());
    static const char kMsg[] = "execve failed\n";
    (void)!::write(2, kMsg, sizeof kMsg - 1);
    ::_exit(127);
}

int decode_status(int status) {
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return 128 + WTERMSIG(status);
    }
    return -1;
}

// Waits for `pid` until `deadline`; the decoded status, or nullopt on timeout.
std::optional<int> wait_until(pid_t pid, SteadyClock::time_point deadline) {
    for (;;) {
        int status = 0;
        pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return decode_status(status);
        }
        if (r < 0 && errno != EINTR) {
            return -1;
        }
        if (SteadyClock::now() >= deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

int kill_and_reap(pid_t pid) {
    ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return decode_status(status);
}

}  // namespace

ServerProcess::ServerProcess(Options options) : opts_(std::move(options)) {
    log_file_ = opts_.work_dir / "server.log";
    port_file_ = opts_.work_dir / "port";
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) {
        kill_and_reap(pid_);
        pid_ = -1;
    }
}

bool ServerProcess::start() {
    if (pid_ > 0) {
        error_ = "already running";
        return false;
    }
    std::error_code ec;
    std::filesystem::remove(port_file_, ec);
    std::vector<std::string> args{"serve", "--data-dir", opts_.data_dir.string(), "--port-file", port_file_.string()};
    // Loopback on a free port, unless the test chose its own --listen.
    if (std::find(opts_.args.begin(), opts_.args.end(), "--listen") == opts_.args.end()) {
        args.insert(args.end(), {"--listen", "127.0.0.1:0"});
    }
    args.insert(args.end(), opts_.args.begin(), opts_.args.end());
    ExecArgs exec_args(opts_.binary, args, opts_.env);

    int log_fd = ::open(log_file_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0) {
        error_ = "opening " + log_file_.string() + ": " + std::strerror(errno);
        return false;
    }
    {
        std::string banner = "===== beacon serve (start) =====\n";
        (void)!::write(log_fd, banner.data(), banner.size());
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        error_ = std::string("fork: ") + std::strerror(errno);
        ::close(log_fd);
        return false;
    }
    if (pid == 0) {
        exec_child(exec_args, log_fd, log_fd);
    }
    ::close(log_fd);
    pid_ = pid;

    // Wait for the port file: a number and a newline.
    auto deadline = SteadyClock::now() + opts_.start_timeout;
    while (SteadyClock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            error_ = "beacon exited during start with status " + std::to_string(decode_status(status));
            return false;
        }
        std::ifstream in(port_file_);
        std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (!text.empty() && text.back() == '\n') {
            int port = std::atoi(text.c_str());
            if (port > 0 && port < 65536) {
                port_ = static_cast<std::uint16_t>(port);
                return true;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    error_ = "beacon did not write its port within " + std::to_string(opts_.start_timeout.count()) + " s";
    kill_and_reap(pid_);
    pid_ = -1;
    return false;
}

bool ServerProcess::terminate() {
    if (pid_ <= 0) {
        return false;
    }
    return ::kill(pid_, SIGTERM) == 0;
}

int ServerProcess::wait(std::chrono::seconds kill_after) {
    if (pid_ <= 0) {
        return -1;
    }
    auto status = wait_until(pid_, SteadyClock::now() + kill_after);
    int code = status ? *status : kill_and_reap(pid_);
    if (!status) {
        error_ = "beacon did not exit within " + std::to_string(kill_after.count()) + " s of SIGTERM; killed";
    }
    pid_ = -1;
    return code;
}

int ServerProcess::stop(std::chrono::seconds kill_after) {
    if (!terminate()) {
        return -1;
    }
    return wait(kill_after);
}

bool ServerProcess::restart() {
    if (pid_ > 0) {
        int code = stop();
        if (code != 0) {
            error_ = "stop before restart: exit status " + std::to_string(code);
            return false;
        }
    }
    return start();
}

std::string ServerProcess::log() const {
    std::ifstream in(log_file_);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

CommandResult run_command(const std::filesystem::path& binary,
                          const std::vector<std::string>& args,
                          const std::map<std::string, std::string>& env,
                          std::chrono::seconds timeout) {
    CommandResult result;
    ExecArgs exec_args(binary, args, env);
    int out_pipe[2];
    int err_pipe[2];
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
        result.err = std::string("pipe: ") + std::strerror(errno);
        return result;
    }
    if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
        ::close(out_pipe[0]);
        ::close(out_pipe[1]);
        result.err = std::string("pipe: ") + std::strerror(errno);
        return result;
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        exec_child(exec_args, out_pipe[1], err_pipe[1]);
    }
    ::close(out_pipe[1]);
    ::close(err_pipe[1]);
    if (pid < 0) {
        ::close(out_pipe[0]);
        ::close(err_pipe[0]);
        result.err = std::string("fork: ") + std::strerror(errno);
        return result;
    }
    auto deadline = SteadyClock::now() + timeout;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    bool timed_out = false;
    while (open_fds > 0) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()).count();
        if (left <= 0) {
            timed_out = true;
            break;
        }
        int rc = ::poll(fds, 2, static_cast<int>(left));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        if (rc <= 0) {
            timed_out = rc == 0;
            break;
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
                char buf[4096];
                ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
                if (n > 0) {
                    sinks[i]->append(buf, static_cast<std::size_t>(n));
                } else if (n == 0 || errno != EINTR) {
                    ::close(fds[i].fd);
                    fds[i].fd = -1;
                    --open_fds;
                }
            }
        }
    }
    for (auto& f : fds) {
        if (f.fd >= 0) {
            ::close(f.fd);
        }
    }
    if (timed_out) {
        kill_and_reap(pid);
        result.exit_code = -1;
        return result;
    }
    auto status = wait_until(pid, deadline + std::chrono::seconds(5));
    result.exit_code = status ? *status : (kill_and_reap(pid), -1);
    return result;
}

}  // namespace beacon::test
