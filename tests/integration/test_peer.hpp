#pragma once

// A private PostgreSQL or Redis for one test binary, run through the same
// scripts as tools/run-tests.sh (tools/test-services/<kind>.sh) so fault tests
// can stop it and start it again on the same port without touching the
// shared peers other suites use.

#include <filesystem>
#include <string>

namespace beacon::e2e {

class TestPeer {
public:
    enum class Kind { Postgres, Redis };

    // Nothing starts yet; `state` is the scripts' STATE_DIR (created by them).
    TestPeer(Kind kind, std::filesystem::path state);
    // Stops the peer if it runs.
    ~TestPeer();
    TestPeer(const TestPeer&) = delete;
    TestPeer& operator=(const TestPeer&) = delete;

    // Why this machine cannot run the peer (its server binary is missing), or
    // empty when it can.
    static std::string unavailable_reason(Kind kind);

    // Each returns empty on success, else what the script printed.
    std::string start();   // fresh instance on a free port; url() is set
    std::string stop();    // by PID; PostgreSQL keeps its data
    std::string resume();  // the stopped instance again, same port (and data)

    // SIGSTOP / SIGCONT to the server's processes (PostgreSQL: the postmaster
    // and its children), found by the PID in the scripts' pid file: a server
    // that accepts connections but never answers. Empty on success.
    std::string freeze();
    std::string thaw();

    bool running() const { return running_; }
    bool frozen() const { return frozen_; }
    // postgres://... or redis://127.0.0.1:PORT (from STATE_DIR/env).
    const std::string& url() const { return url_; }
    // The end of the peer's log, for failure messages.
    std::string logs() const;

private:
    std::string run(const std::string& command) const;
    // Sends `signal` to the server and its children; empty on success.
    std::string signal_all(int signal) const;

    Kind kind_;
    std::filesystem::path state_;
    std::string url_;
    bool running_ = false;
    bool frozen_ = false;
};

}  // namespace beacon::e2e
