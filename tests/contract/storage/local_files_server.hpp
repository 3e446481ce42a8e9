#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "backends/localfs/local_artifact_store.hpp"

namespace beacon::contract {

// A stand-in for Beacon's GET /files/{key}?expires=&name=&sig= route, just
// enough for the contract suite to download local-store links over real HTTP:
// verify_signature() against the system clock (403 when it fails), then the
// bytes of path_for(key) (404 when absent), with a Content-Disposition from
// the link's name. One connection at a time,
// Connection: close. Listens on 127.0.0.1, port 0.
class LocalFilesServer {
public:
    explicit LocalFilesServer(const backends::localfs::LocalArtifactStore& store);
    ~LocalFilesServer();
    LocalFilesServer(const LocalFilesServer&) = delete;
    LocalFilesServer& operator=(const LocalFilesServer&) = delete;

    // "http://127.0.0.1:<port>"
    std::string base_url() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace beacon::contract
